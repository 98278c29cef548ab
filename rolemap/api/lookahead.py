"""Reading ahead: once a field's records are loaded, the relationship fields selected below them
are read for all of them at once, level by level, before graphql-core walks the answer.

graphql-core then finds each relationship field's value ready (`Context.ready`) and completes the
whole answer without awaiting: an awaited field costs a coroutine, futures and a task or two, and
a page of 20 pilots with their services and vendors has hundreds of them. The statements are the
same ones the DataLoaders would run (one per relationship and depth, `Context.links` and
`Context.records`), so their number still depends on the depth of the selection only.

A field found ready is exactly what its resolver would answer: both come from `Hop.fill`, for the
same field nodes (graphql-core's own `collect_sub_fields`), arguments and record. Reading ahead
is best effort: a field it could not read (an argument out of range, a store error) is left to
its resolver, which reads it again and reports the error where it belongs.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLResolveInfo,
    get_named_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_sub_fields

from .connections import Page

MISSING = object()
Nodes = list[FieldNode]


def ready_key(nodes: Nodes, node_id: str) -> tuple:
    """Where the value of the field selected by `nodes` on the record `node_id` is kept: the
    field nodes themselves, since a fragment's field may be merged with others in one place and
    not in another (and then needs more of its records there)."""
    return (id(nodes[0]) if len(nodes) == 1 else tuple(map(id, nodes)), node_id)


def sub_fields(info: GraphQLResolveInfo, parent: GraphQLObjectType, nodes: Nodes) -> Iterable[Nodes]:
    """The fields selected on a `parent` by `nodes`, merged by response key as graphql-core merges
    them."""
    return collect_sub_fields(info.schema, info.fragments, info.variable_values, parent, nodes).values()


def connection_nodes(info: GraphQLResolveInfo, connection: GraphQLObjectType, nodes: Nodes) -> list[Nodes]:
    """The `edges { node }` field nodes of a connection selected by `nodes`, one list for each
    place graphql-core completes the nodes (an alias of `edges` or of `node` is one more)."""
    found = []
    for edges in sub_fields(info, connection, nodes):
        if edges[0].name.value != "edges":
            continue
        edge = get_named_type(connection.fields["edges"].type)
        found.extend(node for node in sub_fields(info, edge, edges) if node[0].name.value == "node")
    return found


async def ahead(
    info: GraphQLResolveInfo, parent: GraphQLObjectType, records: list[dict], places: list[Nodes]
) -> None:
    """Read the relationship fields that `places` (lists of field nodes selecting `records`, all
    of type `parent`) select below `records`, for all of them at once, and on down."""
    if not records or not places:
        return
    fills = []
    for nodes in places:
        for sub in sub_fields(info, parent, nodes):
            field = parent.fields.get(sub[0].name.value)
            hop = getattr(field.resolve, "hop", None) if field is not None else None
            if hop is not None:
                fills.append(hop.fill(info, parent, records, sub))
    if fills:
        # What fails is left to the field's resolver (see the module's doc).
        await asyncio.gather(*fills, return_exceptions=True)


async def read_ahead(info: GraphQLResolveInfo, value: Any) -> Any:
    """`value`, the answer of the field `info` resolves (a record, a list of records or a page of
    them), once the relationship fields selected below it are read (`ahead`)."""
    if value is None:
        return value
    named = get_named_type(info.return_type)
    places: list[Nodes] = [info.field_nodes]
    if isinstance(value, Page):
        places = connection_nodes(info, named, info.field_nodes)
        named = get_named_type(get_named_type(named.fields["edges"].type).fields["node"].type)
        records = value.items
    else:
        records = value if isinstance(value, list) else [value]
    by_type: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        if isinstance(record, dict):
            by_type[named.name if is_object_type(named) else record["_label"]].append(record)
    await asyncio.gather(
        *(ahead(info, info.schema.get_type(name), group, places) for name, group in by_type.items())
    )
    return value
