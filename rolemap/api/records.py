"""Records read by id, kept for the requests that follow while the registry does not change.

Every write moves the registry's head (through any instance: see `schema.REGISTRY_HEAD`), and a
request knows the head as it began (`Context.head`). What a request read is kept under that
revision, and given to the requests that began at the same revision; the first request that sees
a newer head lets all of it go. So a record given from here is exactly what the store would give.
The number kept is bounded: the oldest go first.
"""

from __future__ import annotations

import threading
from itertools import islice

from ..graph.access import Record

KEPT = 20_000
"""Records kept at most (at scale M a brief is about 0.5 KB, a whole record 1–2 KB)."""


class RecordCache:
    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._revision = -1
        self._kept: dict[tuple[str, str], Record] = {}

    def take(self, revision: int, level: str, ids: list[str]) -> dict[str, Record]:
        """Copies of the records of `ids` kept at `revision` and `level` (none for a request that
        began before the newest head seen)."""
        with self._lock:
            if revision != self._revision:
                self._moved(revision)
                return {}
            kept = self._kept
            found = ((node_id, kept.get((level, node_id))) for node_id in ids)
            return {node_id: dict(record) for node_id, record in found if record is not None}

    def keep(self, revision: int, level: str, records: dict[str, Record]) -> None:
        """Keep (copies of) `records`, read at `level` by a request that began at `revision`."""
        with self._lock:
            self._moved(revision)
            if revision != self._revision:
                return
            kept = self._kept
            kept.update(((level, node_id), dict(record)) for node_id, record in records.items())
            if len(kept) > self.size:
                for key in list(islice(kept, len(kept) - self.size)):
                    del kept[key]

    def clear(self) -> None:
        with self._lock:
            self._kept = {}

    def _moved(self, revision: int) -> None:
        if revision > self._revision:
            self._revision, self._kept = revision, {}
