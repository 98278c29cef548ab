"""Settings from `ROLEMAP_*` environment variables, with defaults that run with no setup.

A bad value stops start-up with one line that names the variable (`ConfigError`), never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

STORES = ("ladybug", "neo4j")


class ConfigError(ValueError):
    """A setting has a value rolemap cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    store: str = "ladybug"
    db_path: Path = Path("data/rolemap.lbug")
    neo4j_uri: str = "bolt://localhost:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    host: str = "127.0.0.1"
    port: int = 8000
    seed_dir: Path | None = None
    read_pool: int = 4
    cooling_off_months: int = 12

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            value = env.get(f"ROLEMAP_{name}", "").strip()
            return value or default

        store = get("STORE", cls.store).lower()
        if store not in STORES:
            raise ConfigError(f"ROLEMAP_STORE={store!r} is not one of: {', '.join(STORES)}")
        uri = get("NEO4J_URI", cls.neo4j_uri)
        if store == "neo4j" and not uri.startswith(("bolt://", "bolt+s://", "neo4j://", "neo4j+s://")):
            raise ConfigError(f"ROLEMAP_NEO4J_URI={uri!r} must start with bolt:// or neo4j://")
        seed_dir = get("SEED_DIR", "")
        if seed_dir and not Path(seed_dir).is_dir():
            raise ConfigError(f"ROLEMAP_SEED_DIR={seed_dir!r} is not a directory")
        return cls(
            store=store,
            db_path=Path(get("DB", str(cls.db_path))),
            neo4j_uri=uri,
            neo4j_user=get("NEO4J_USER", cls.neo4j_user),
            neo4j_password=get("NEO4J_PASSWORD", cls.neo4j_password),
            neo4j_database=get("NEO4J_DATABASE", cls.neo4j_database),
            host=get("HOST", cls.host),
            port=_int(env, "PORT", cls.port, 1, 65535),
            seed_dir=Path(seed_dir) if seed_dir else None,
            read_pool=_int(env, "READ_POOL", cls.read_pool, 1, 64),
            cooling_off_months=_int(env, "COOLING_OFF_MONTHS", cls.cooling_off_months, 0, 120),
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(f"ROLEMAP_{name}", "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"ROLEMAP_{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"ROLEMAP_{name}={value} is outside {low}..{high}")
    return value
