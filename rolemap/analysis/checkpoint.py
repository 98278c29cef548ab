"""The analyses' read model saved to a file, so that a restarted server answers its first analysis
within seconds instead of building the model again from the whole registry (about 25 s at scale M).

- **What is saved**: the `RegistryIndex` as of one revision, with today's overlap corpora, their
  matrices and today's rankings: a small header, then one pickle.
- **When**: after a build from the store at start (a registry served for the first time, or one
  whose saved model could not be used), and when the server stops.
- **Used only when it is this registry's, as this code makes it.** The header names:
  - the registry's token and revision (see `schema.INTERNAL["Registry"]`: the token is drawn again
    by every write that leaves no change record, such as an import or an upgrade);
  - the change record of that revision, by its time and a digest of its fields, so that two
    copies of one store that went separate ways since are told apart;
  - a digest of the code that makes the model, and of the Python, numpy and scipy that pickle it.

  At start, a saved model whose token, change record or code differs, or whose revision is ahead
  of the registry's, is not used: the model is built from the store as before, and saved again.
  One that is behind follows the change log like any instance (`IndexCache._follow`), or is
  rebuilt when too far behind.
- **Whole or not at all**: written to a temporary file in the same folder, flushed to disk, then
  renamed over the old one.

A pickle can run code when it is loaded. The file is written readable by its owner only, next to
(or where configured for) a store that whoever can write the file can change anyway.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import logging
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from ..graph.schema import change_id
from ..graph.store import Store

log = logging.getLogger(__name__)

FORMAT = 1
SUFFIX = ".analysis"
MODULES = (
    "rolemap.analysis.index",
    "rolemap.domain.overlap",
    "rolemap.domain.bulk",
    "rolemap.domain.text",
    "rolemap.graph.schema",
    "rolemap.graph.access",
)
"""The code whose objects (or whose way of deriving them) the saved model holds."""


@cache
def code_digest() -> str:
    import numpy
    import scipy

    digest = hashlib.sha256(f"{FORMAT} {sys.version} {numpy.__version__} {scipy.__version__}".encode())
    for name in MODULES:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    return digest.hexdigest()


def path_for(setting: str, store: Store) -> Path | None:
    """Where the model is saved: `setting` is a path, "off", or "auto" (beside an embedded store's
    file, as `<file>.analysis`; nowhere for a server store, which several instances share)."""
    if setting == "off":
        return None
    if setting != "auto":
        return Path(setting)
    db = getattr(store, "path", None)
    return Path(f"{db}{SUFFIX}") if db is not None and str(db) != ":memory:" else None


def _stamp(store: Store, revision: int) -> tuple[str, str] | None:
    """The change record of `revision`, as its time and a digest of its fields; None when that
    revision has none (an import's, an upgrade's)."""
    rows = store.read("node.get.Change", {"ids": [change_id(revision)]})
    if not rows:
        return None
    change = rows[0]["n"]
    fields = hashlib.sha256((change.get("fields") or "").encode()).hexdigest()
    return change["createdAt"].isoformat(), fields


def header(store: Store, revision: int, token: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "code": code_digest(),
        "token": token,
        "revision": revision,
        "change": _stamp(store, revision),
    }


def save(path: Path, index, store: Store, token: str) -> None:
    """Write `index` (exactly the registry's revision `index.revision`, whose token is `token`)."""
    head = header(store, index.revision, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(head, out, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def mismatch(saved: dict[str, Any], store: Store) -> str | None:
    """Why a saved model (its header) cannot stand for this store's registry; None when it can."""
    if saved.get("format") != FORMAT or saved.get("code") != code_digest():
        return "it was saved by other code"
    revision, token = store.identity()
    if saved.get("token") != token:
        return "it is another registry's (or this one's before an import)"
    if saved.get("revision", revision + 1) > revision:
        return "it is ahead of the registry"
    if _stamp(store, saved["revision"]) != saved.get("change"):
        return "the registry's change record of its revision differs"
    return None


def load(path: Path, store: Store):
    """The saved `RegistryIndex`, when there is one this registry can trust; else None (and the
    reason is logged)."""
    try:
        with open(path, "rb") as file:
            why = mismatch(pickle.load(file), store)
            if why is not None:
                log.info("not using the saved analysis read model %s: %s", path, why)
                return None
            gc.disable()  # a million objects at scale M: no collection can free any of them
            try:
                index = pickle.load(file)
            finally:
                gc.enable()
    except FileNotFoundError:
        return None
    except Exception as exc:  # unreadable or cut short: the store has it all; build from there
        log.warning("could not read the saved analysis read model %s (%s): building it", path, exc)
        return None
    log.info("analysis read model loaded from %s (revision %d)", path, index.revision)
    return index
