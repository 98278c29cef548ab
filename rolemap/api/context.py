"""Per-request context: the store, the registry and one set of DataLoaders.

Loaders batch every lookup of one kind made while resolving one level of a query into a single
statement, so the number of statements depends on the depth of the selection, never on the
number of rows.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aiodataloader import DataLoader

from ..analysis.index import RECORDS_KEPT, SERVED, IndexCache, RegistryIndex
from ..config import Settings
from ..domain.actors import ANONYMOUS, Actor
from ..graph.access import Edge, Graph, Link, Record
from ..graph.store import Store
from ..registry import Registry
from .needs import BRIEF, FULL, ID
from .records import RecordCache

T = TypeVar("T")


class Context:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        index: IndexCache,
        settings: Settings | None = None,
        actor: Actor = ANONYMOUS,
        kept: RecordCache | None = None,
    ) -> None:
        self.store = store
        self.kept = kept or RecordCache(0)
        """Records read by earlier requests at the same revision (shared by the app's requests)."""
        self.settings = settings or Settings()
        self.actor = actor
        """Who is calling (from the credentials): every mutation passes it to its use case."""
        self.registry = registry
        self.index_cache = index
        self._index: RegistryIndex | None = None
        self._index_lock = threading.Lock()
        self.graph = Graph(store.read)
        self._nodes: dict[tuple[str, str], DataLoader] = {}
        self._remembered: dict[str, Record] = {}
        self._related: dict[tuple[str, ...], DataLoader] = {}
        self._head: asyncio.Future[int] | None = None
        self._head_read: int | None = None
        self._loaded_at = store.revision
        """The newest revision this process had written when the loaders began to keep records."""
        self._head_lock = threading.Lock()
        self.ready: dict[tuple, Any] = {}
        """Relationship fields read ahead (`lookahead`), by field nodes and record."""

    def close(self) -> None:
        """Let go of the request's loaders when it has been answered. Each loader's batch function
        holds this context, which holds the loaders: without this, every record the request loaded
        waited for a full garbage collection (at scale M, a role map with its cells' services and
        pilots left 12,000 futures, each holding a record)."""
        self._nodes.clear()
        self._related.clear()
        self._remembered.clear()
        self.ready.clear()

    def index(self) -> RegistryIndex:
        """The analysis index for this request: the head is checked once per request, and again
        only when this request's own mutations moved it."""
        with self._index_lock:  # the analyses of one request run in parallel threads
            if self._index is None or self._index.revision < self.store.revision:
                self._index = self.index_cache.get(self._read_head() if self._index is None else None)
            return self._index

    async def head(self) -> int:
        """The registry's head: what this request may take from the read model and the records
        kept must be as of it or newer. A store only this process writes knows it; any other is
        asked once a request (the fields that ask at the same time share the one statement). A
        write this request made since counts: a mutation's answer shows it."""
        if self.store.sole_writer:
            return self.store.revision
        if self._head is None:
            self._head = asyncio.ensure_future(self.call(self._read_head))
        return max(await self._head, self.store.revision)

    def _read_head(self) -> int:
        """`head`, from a thread (the analyses' threads ask too)."""
        with self._head_lock:
            if self.store.sole_writer:
                return self.store.revision
            if self._head_read is None:
                self._head_read = self.store.head()
            return max(self._head_read, self.store.revision)

    async def _from_index(self, read: Callable[[RegistryIndex], T | None]) -> T | None:
        """`read(index)` on the analyses' read model, when it is as new as the registry was when
        this request first asked (`IndexCache.serving`): whole records of the labels it keeps, and
        the links of relationships without properties, with no statement. None when it cannot
        answer: the store does."""
        with self.index_cache.serving(await self.head()) as index:
            return None if index is None else read(index)

    async def listed(
        self, label: str, filters: dict[str, Any], after: str, limit: int
    ) -> tuple[list[str], int] | None:
        """A page of a list's ids and the whole list's length, from the read model when it can
        say (`RegistryIndex.listed`, `_from_index`); None: the store pages them."""
        return await self._from_index(lambda index: index.listed(label, filters, after, limit))

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking store work off the event loop."""
        return await asyncio.to_thread(fn, *args)

    def _since_writes(self) -> None:
        """Forget what this request loaded before a write of this process landed (a mutation of
        this request: the next mutation's answer must show its own write, not what the one
        before it loaded)."""
        if self.store.revision != self._loaded_at:
            self._loaded_at = self.store.revision
            self._nodes.clear()
            self._related.clear()
            self.ready.clear()

    def node_loader(self, label: str, level: str = FULL) -> DataLoader:
        """Records of `label` by id: whole ones, or (BRIEF) only their id and name."""
        self._since_writes()
        key = (label, level)
        if key not in self._nodes:
            read = self.graph.briefs if level == BRIEF else self.graph.nodes

            async def batch(ids: list[str]) -> list[Record | None]:
                found = await self.call(read, label, ids)
                return [found.get(i) for i in ids]

            self._nodes[key] = DataLoader(batch)
        return self._nodes[key]

    def related_loader(self, rel: str, src: str, dst: str, direction: str) -> DataLoader:
        return self._hop_loader(self.graph.related, rel, src, dst, direction)

    def links_loader(self, rel: str, src: str, dst: str, direction: str) -> DataLoader:
        return self._hop_loader(self.graph.links, rel, src, dst, direction)

    def _hop_loader(self, hop, rel: str, src: str, dst: str, direction: str) -> DataLoader:
        self._since_writes()
        key = (hop.__name__, rel, src, dst, direction)
        if key not in self._related:

            async def batch(ids: list[str]) -> list[list]:
                found = await self.call(hop, rel, src, dst, direction, ids)
                return [found.get(i, []) for i in ids]

            self._related[key] = DataLoader(batch)
        return self._related[key]

    def remember(self, records: list[Record]) -> None:
        """Keep loaded records for fields that resolve many at once (role-map cells): awaiting
        each of thousands separately is what makes a large GraphQL response slow."""
        self._remembered.update((r["id"], r) for r in records)

    def recall(self, node_id: str) -> Record | None:
        return self._remembered.get(node_id)

    async def node(self, label: str, node_id: str, level: str = FULL) -> Record | None:
        """The record of `node_id` (None when there is none), as much of it as `level` says; at
        least its brief, which tells whether it exists."""
        return (await self.records(label, [node_id], BRIEF if level == ID else level))[0]

    async def edges(self, rel: str, src: str, dst: str, direction: str, node_id: str) -> list[Edge]:
        """Every neighbour's record, with the relationship's properties (one statement a level)."""
        return await self.related_loader(rel, src, dst, direction).load(node_id)

    async def links(self, rel: str, src: str, dst: str, direction: str, node_id: str) -> list[Link]:
        """Every neighbour's id, with the relationship's properties: for a connection, which then
        reads only its page's records (`records`)."""
        return (await self.links_of(rel, src, dst, direction, [node_id]))[0]

    async def links_of(
        self, rel: str, src: str, dst: str, direction: str, ids: list[str]
    ) -> list[list[Link]]:
        """`links` of each of `ids`: from the read model when it can say (`_from_index`), else
        batched with every other load of them at this depth of the query."""
        if (rel, src, dst) in SERVED:
            found = await self._from_index(lambda index: index.links(rel, src, dst, direction, ids))
            if found is not None:
                return [found[i] for i in ids]
        return await self.links_loader(rel, src, dst, direction).load_many(ids)

    async def records(self, label: str, ids: list[str], level: str = FULL) -> list[Record | None]:
        """The records of `ids` in their order (None for a node gone meanwhile), batched with
        every other load of `label` at this depth of the query; as much of each as `level` says
        (`needs`): for ID, which the ids of links answer, no statement; whole records of the
        labels the read model keeps, from it when it can say (`_from_index`)."""
        if level == ID:
            return [{"id": node_id, "_label": label} for node_id in ids]
        if not ids:
            return []
        if label in RECORDS_KEPT:
            found = await self._from_index(lambda index: index.kept(label, ids))
            if found is not None:
                return [found.get(i) for i in ids]
        head = await self.head()
        found = self.kept.take(head, level, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            loaded = await self.node_loader(label, level).load_many(missing)
            read = {i: r for i, r in zip(missing, loaded, strict=True) if r is not None}
            self.kept.keep(head, level, read)
            found.update(read)
        return [found.get(i) for i in ids]
