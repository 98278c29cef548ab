"""Per-request context: the store, the registry and one set of DataLoaders.

Loaders batch every lookup of one kind made while resolving one level of a query into a single
statement, so the number of statements depends on the depth of the selection, never on the
number of rows.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from aiodataloader import DataLoader

from ..analysis.index import IndexCache, RegistryIndex
from ..config import Settings
from ..domain.actors import ANONYMOUS, Actor
from ..graph.access import Edge, Graph, Record
from ..graph.store import Store
from ..registry import Registry


class Context:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        index: IndexCache,
        settings: Settings | None = None,
        actor: Actor = ANONYMOUS,
    ) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.actor = actor
        """Who is calling (from the credentials): every mutation passes it to its use case."""
        self.registry = registry
        self.index_cache = index
        self._index: RegistryIndex | None = None
        self._index_lock = threading.Lock()
        self.graph = Graph(store.read)
        self._nodes: dict[str, DataLoader] = {}
        self._remembered: dict[str, Record] = {}
        self._related: dict[tuple[str, str, str, str], DataLoader] = {}

    def index(self) -> RegistryIndex:
        """The analysis index for this request: the head is checked once per request, and again
        only when this request's own mutations moved it."""
        with self._index_lock:  # the analyses of one request run in parallel threads
            if self._index is None or self._index.revision < self.store.revision:
                self._index = self.index_cache.get()
            return self._index

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking store work off the event loop."""
        return await asyncio.to_thread(fn, *args)

    def node_loader(self, label: str) -> DataLoader:
        if label not in self._nodes:

            async def batch(ids: list[str]) -> list[Record | None]:
                found = await self.call(self.graph.nodes, label, ids)
                return [found.get(i) for i in ids]

            self._nodes[label] = DataLoader(batch)
        return self._nodes[label]

    def related_loader(self, rel: str, src: str, dst: str, direction: str) -> DataLoader:
        key = (rel, src, dst, direction)
        if key not in self._related:

            async def batch(ids: list[str]) -> list[list[Edge]]:
                found = await self.call(self.graph.related, rel, src, dst, direction, ids)
                return [found.get(i, []) for i in ids]

            self._related[key] = DataLoader(batch)
        return self._related[key]

    def remember(self, records: list[Record]) -> None:
        """Keep loaded records for fields that resolve many at once (role-map cells): awaiting
        each of thousands separately is what makes a large GraphQL response slow."""
        self._remembered.update((r["id"], r) for r in records)

    def recall(self, node_id: str) -> Record | None:
        return self._remembered.get(node_id)

    async def node(self, label: str, node_id: str) -> Record | None:
        return await self.node_loader(label).load(node_id)

    async def edges(self, rel: str, src: str, dst: str, direction: str, node_id: str) -> list[Edge]:
        return await self.related_loader(rel, src, dst, direction).load(node_id)
