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


ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
"""Signature algorithms an OIDC access token may use: public keys from a JWKS, never a shared
secret (HS*) or `none`, so a key can never be mistaken for a secret."""


@dataclass(frozen=True)
class OidcSettings:
    """Access tokens from a city's identity provider (`ROLEMAP_OIDC_*`)."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    jwks_file: Path | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    role_claim: str = "rolemap_role"
    city_claim: str = "rolemap_city"
    vendor_claim: str = "rolemap_vendor"
    name_claim: str = "name"
    leeway_seconds: int = 60
    login: OidcLogin | None = None
    """Signing in to the pages with the provider (authorization code with PKCE), when configured."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        def get(name: str) -> str:
            return env.get(f"ROLEMAP_OIDC_{name}", "").strip()

        given = {k for k in env if k.startswith("ROLEMAP_OIDC_") and env[k].strip()}
        if not given:
            return None
        for name in ("ISSUER", "AUDIENCE"):
            if not get(name):
                raise ConfigError(f"ROLEMAP_OIDC_{name} is required when any ROLEMAP_OIDC_* is set")
        url, file = get("JWKS_URL"), get("JWKS_FILE")
        if bool(url) == bool(file):
            raise ConfigError("give exactly one of ROLEMAP_OIDC_JWKS_URL or ROLEMAP_OIDC_JWKS_FILE")
        if url and not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise ConfigError(f"ROLEMAP_OIDC_JWKS_URL={url!r} must be https://")
        if file and not Path(file).is_file():
            raise ConfigError(f"ROLEMAP_OIDC_JWKS_FILE={file!r} is not a file")
        algorithms = tuple(a.strip() for a in (get("ALGORITHMS") or ",".join(cls.algorithms)).split(",") if a)
        bad = [a for a in algorithms if a not in ASYMMETRIC]
        if bad or not algorithms:
            raise ConfigError(
                f"ROLEMAP_OIDC_ALGORITHMS: {', '.join(bad) or 'none'} not allowed; "
                f"use {', '.join(ASYMMETRIC)}"
            )
        return cls(
            issuer=get("ISSUER"),
            audience=get("AUDIENCE"),
            jwks_url=url or None,
            jwks_file=Path(file) if file else None,
            algorithms=algorithms,
            role_claim=get("ROLE_CLAIM") or cls.role_claim,
            city_claim=get("CITY_CLAIM") or cls.city_claim,
            vendor_claim=get("VENDOR_CLAIM") or cls.vendor_claim,
            name_claim=get("NAME_CLAIM") or cls.name_claim,
            leeway_seconds=_int(env, "OIDC_LEEWAY_SECONDS", cls.leeway_seconds, 0, 600),
            login=OidcLogin.from_env(env, get("ISSUER")),
        )


@dataclass(frozen=True)
class OidcLogin:
    """Signing in to the pages through the identity provider: the authorization code flow with PKCE
    (`ROLEMAP_OIDC_CLIENT_ID` turns it on). The access token it returns is checked like any bearer
    token (issuer, audience, signature), and its claims give the person's role and scope."""

    client_id: str
    client_secret: str | None = None
    """Empty for a public client: PKCE alone protects the code."""
    authorize_url: str | None = None
    token_url: str | None = None
    discovery_url: str | None = None
    """The provider's OpenID configuration; the issuer's `/.well-known/openid-configuration` when
    neither the authorize nor the token URL is given."""
    scopes: str = "openid profile"
    redirect_url: str | None = None
    """Where the provider sends the browser back; by default this server's `/signin/oidc/callback`
    as the request reached it (set it behind a proxy that changes the host or scheme)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str], issuer: str) -> OidcLogin | None:
        def get(name: str) -> str:
            return env.get(f"ROLEMAP_OIDC_{name}", "").strip()

        client_id = get("CLIENT_ID")
        login_names = (
            "CLIENT_SECRET",
            "AUTHORIZE_URL",
            "TOKEN_URL",
            "DISCOVERY_URL",
            "SCOPES",
            "REDIRECT_URL",
        )
        if not client_id:
            given = [f"ROLEMAP_OIDC_{n}" for n in login_names if get(n)]
            if given:
                raise ConfigError(f"{given[0]} needs ROLEMAP_OIDC_CLIENT_ID (signing in to the pages)")
            return None
        authorize, token, discovery = get("AUTHORIZE_URL"), get("TOKEN_URL"), get("DISCOVERY_URL")
        if bool(authorize) != bool(token):
            raise ConfigError("give both ROLEMAP_OIDC_AUTHORIZE_URL and ROLEMAP_OIDC_TOKEN_URL, or neither")
        if authorize and discovery:
            raise ConfigError("give ROLEMAP_OIDC_DISCOVERY_URL or the authorize and token URLs, not both")
        if not authorize and not discovery:
            discovery = issuer.rstrip("/") + "/.well-known/openid-configuration"
        for name, url in (("AUTHORIZE_URL", authorize), ("TOKEN_URL", token), ("DISCOVERY_URL", discovery)):
            if url and not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
                raise ConfigError(f"ROLEMAP_OIDC_{name}={url!r} must be https://")
        redirect = get("REDIRECT_URL")
        if redirect and not redirect.startswith(("https://", "http://")):
            raise ConfigError(f"ROLEMAP_OIDC_REDIRECT_URL={redirect!r} must be an http(s) URL")
        return cls(
            client_id=client_id,
            client_secret=get("CLIENT_SECRET") or None,
            authorize_url=authorize or None,
            token_url=token or None,
            discovery_url=discovery or None,
            scopes=get("SCOPES") or cls.scopes,
            redirect_url=redirect or None,
        )


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
    read_pool: int = 2
    """Embedded store: connections for concurrent reads. Each keeps memory of its own inside
    LadybugDB: at scale M, 4 connections took about 90 MB more than 2 (benchmarks/freshness.py),
    for no more reads per second on 2 cores (two servers side by side under wrk, 16 connections:
    2 and 4 within each other's noise on the nested, by-id and capability queries)."""
    db_buffer_mb: int = 2048
    """Embedded store: the most memory its page cache and query working space may take; 0 leaves
    it to LadybugDB (80% of the machine's memory). The pool is used as needed (at M about 130 MB
    while serving), but LadybugDB keeps bookkeeping for all of it from the start, about 2 MB per
    GB: 44 MB for the 19 GB of a 24 GB machine, 10 MB for 2 GB."""
    analysis_workers: int = 2
    """Threads that run analyses (their own pool: plain reads never queue behind them)."""
    analysis_timeout_seconds: float = 30.0
    """An analysis request still running after this long is answered with a TIMEOUT error."""
    analysis_saved: str = "auto"
    """Where the analyses' read model is saved between runs (analysis/checkpoint.py): a file path,
    "off", or "auto": beside the embedded store's file, and nowhere on Neo4j."""
    cooling_off_months: int = 12
    max_pilot_months: int = 24
    """A pilot with no end date owes a decision once it has run this long (NO_END_DATE)."""
    max_body_bytes: int = 1_048_576
    """The largest request body /graphql accepts (1 MiB); a larger one gets 413."""
    public_read: bool = True
    """Anonymous callers may read (never write); false: reads need a token too."""
    oidc: OidcSettings | None = None
    session_secret: str | None = None
    """Signs the pages' session cookie (who signed in); None: a random one per process, so
    sign-ins end when it restarts. Several instances behind one address need the same one."""
    session_secure: bool = False
    """Send the session cookie over HTTPS only (set it when the pages are served over HTTPS)."""
    access_log: bool = True
    """A log line for every request answered (uvicorn's access log); false leaves it out, as a
    proxy in front that logs requests may: writing it takes about a fifth of a plain request."""

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
            db_buffer_mb=_int(env, "DB_BUFFER_MB", cls.db_buffer_mb, 0, 1_048_576),
            analysis_workers=_int(env, "ANALYSIS_WORKERS", cls.analysis_workers, 1, 64),
            analysis_timeout_seconds=_int(
                env, "ANALYSIS_TIMEOUT_SECONDS", int(cls.analysis_timeout_seconds), 1, 3600
            ),
            analysis_saved=get("ANALYSIS_SAVED", cls.analysis_saved),
            cooling_off_months=_int(env, "COOLING_OFF_MONTHS", cls.cooling_off_months, 0, 120),
            max_pilot_months=_int(env, "MAX_PILOT_MONTHS", cls.max_pilot_months, 1, 240),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes, 1_024, 1_073_741_824),
            public_read=_bool(env, "PUBLIC_READ", cls.public_read),
            oidc=OidcSettings.from_env(env),
            session_secret=_secret(env, "SESSION_SECRET"),
            session_secure=_bool(env, "SESSION_SECURE", cls.session_secure),
            access_log=_bool(env, "ACCESS_LOG", cls.access_log),
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


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(f"ROLEMAP_{name}", "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"ROLEMAP_{name}={raw!r} is not true or false")


def _secret(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(f"ROLEMAP_{name}", "").strip()
    if raw and len(raw) < 32:
        raise ConfigError(f"ROLEMAP_{name} must be at least 32 characters long")
    return raw or None
