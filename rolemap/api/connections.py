"""Relay connections: `first` (1–100) / `after`, `pageInfo`, and `totalCount` computed only when
asked for. Cursors are the opaque (base64) id of the last item; lists are ordered by id, so a
cursor stays valid while other items come and go.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import graphene
from graphql import GraphQLError

from ..graph.schema import label_of

MAX_FIRST = 100
DEFAULT_FIRST = 20


def paged(type_, **kwargs) -> graphene.Field:
    """A required connection field with `first` (1–100, default 20) and `after`; `kwargs` are the
    field's own arguments, description and resolver."""
    return graphene.Field(
        type_,
        required=True,
        first=graphene.Int(description=f"1 to {MAX_FIRST}; default {DEFAULT_FIRST}."),
        after=graphene.String(),
        **kwargs,
    )


def encode_cursor(node_id: str) -> str:
    return base64.urlsafe_b64encode(node_id.encode()).decode()


def decode_cursor(cursor: str | None) -> str:
    if not cursor:
        return ""
    try:
        node_id = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        node_id = None
    if not node_id or label_of(node_id) is None:
        raise GraphQLError(f"after: {cursor!r} is not a cursor this API gave out")
    return node_id


def check_first(first: int | None) -> int:
    first = DEFAULT_FIRST if first is None else first
    if not 1 <= first <= MAX_FIRST:
        raise GraphQLError(f"first must be between 1 and {MAX_FIRST}, got {first}")
    return first


@dataclass
class Page:
    """One page of items; `total` is awaited only when a client selects `totalCount`."""

    items: list[Any]
    has_next: bool
    has_previous: bool
    total: Callable[[], int | Awaitable[int]]
    """How many items the whole list has: a number, or (when it takes a statement) an awaitable."""
    cursor_of: Callable[[Any], str]
    facets: Callable[[], Awaitable[list]] | None = None
    """Counts per value of each filter, over the whole list (top-level lists that have them)."""


def page_of_list(items: list[Any], first: int | None, after: str | None, key=None) -> Page:
    """A page of an already loaded, id-ordered list (nested connections)."""
    key = key or (lambda item: item["id"])
    limit = check_first(first)
    after_id = decode_cursor(after)
    rest = [item for item in items if key(item) > after_id] if after_id else items
    return Page(rest[:limit], len(rest) > limit, bool(after_id), functools.partial(len, items), key)


def link_window(links: list[tuple[str, Any]], first: int | None = None, after: str | None = None) -> Window:
    """Which of an id-ordered list of (id, what the link carries) a page shows: `first` after the
    cursor `after`. Pages and cursors as `page_of_list`'s."""
    limit = check_first(first)
    after_id = decode_cursor(after)
    rest = [link for link in links if link[0] > after_id] if after_id else links
    return Window(rest[:limit], len(rest) > limit, bool(after_id), len(links))


@dataclass
class Window:
    shown: list[tuple[str, Any]]
    has_next: bool
    has_previous: bool
    total: int

    def page(self, found: list[Any], item: Callable[[Any, Any], Any]) -> Page:
        """The page of the shown links' records `found` (in their order; None for one gone
        meanwhile, left out): `item(record, carried)` makes each item."""
        items = [item(r, carried) for r, (_, carried) in zip(found, self.shown, strict=True) if r is not None]
        return Page(items, self.has_next, self.has_previous, functools.partial(int, self.total), _id_of)


def _id_of(item: Any) -> str:
    return item["id"]


async def page_of_links(
    links: list[tuple[str, Any]],
    first: int | None,
    after: str | None,
    load: Callable[[list[str]], Awaitable[list[Any]]],
    item: Callable[[Any, Any], Any],
) -> Page:
    """A page of an id-ordered list of (id, what the link carries) whose records are read for
    the page only: `load(ids)` gives them in order (None for one gone meanwhile, left out), and
    `item(record, carried)` makes each item (`link_window`)."""
    window = link_window(links, first, after)
    return window.page(await load([node_id for node_id, _ in window.shown]), item)


def page_in_order(items: list[Any], first: int | None, after: str | None, key) -> Page:
    """A page of a list in its own order (not by id): the cursor is the last item's id, found again
    by position."""
    limit = check_first(first)
    after_id = decode_cursor(after)
    start = 0
    if after_id:
        keys = [key(item) for item in items]
        if after_id not in keys:
            raise GraphQLError(f"after: {after!r} is no longer in this list; start again without it")
        start = keys.index(after_id) + 1
    rest = items[start:]
    return Page(rest[:limit], len(rest) > limit, start > 0, functools.partial(len, items), key)


class Edge:
    """An edge of a page: its node, and its cursor when asked for (graphene's default resolver
    reads both as attributes; an edge's own fields read `node["_edge"]`)."""

    __slots__ = ("node", "_cursor_of")

    def __init__(self, node: Any, cursor_of: Callable[[Any], str]) -> None:
        self.node = node
        self._cursor_of = cursor_of

    @property
    def cursor(self) -> str:
        return encode_cursor(self._cursor_of(self.node))


class Connection(graphene.relay.Connection):
    """Base of every connection type: adds `totalCount`."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="Items in the whole list.")

    @staticmethod
    def resolve_total_count(page: Page, info) -> int | Awaitable[int]:
        return page.total()

    @staticmethod
    def resolve_edges(page: Page, info):
        return [Edge(item, page.cursor_of) for item in page.items]

    @staticmethod
    def resolve_page_info(page: Page, info):
        cursors = [encode_cursor(page.cursor_of(item)) for item in page.items]
        return graphene.relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


def connection(
    node_type, name: str | None = None, fields: dict | None = None, **edge_fields
) -> type[Connection]:
    """A `<Name>Connection` type for `node_type`, its edges optionally carrying extra fields, and
    the connection itself `fields` besides the usual ones."""
    name = name or f"{node_type._meta.name}Connection"

    edge_attrs = {
        field: graphene.Field(field_type, resolver=_edge_field(field))
        for field, field_type in edge_fields.items()
    }
    meta = type("Meta", (), {"node": node_type, "name": name})
    edge = type("Edge", (), edge_attrs)
    return type(name, (Connection,), {"Meta": meta, "Edge": edge, **(fields or {})})


def _edge_field(field: str):
    def resolve(edge, info):
        return edge.node.get("_edge", {}).get(field)

    return resolve
