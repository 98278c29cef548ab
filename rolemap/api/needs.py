"""How much of each record a query needs: its id only, its brief (id and name or title, see
`graph.schema.BRIEF`), or all of it. A connection or hop reads its records at the least level
its selection allows, so a page of names does not carry every description through the store.

A field's needs come from its resolver: graphene's default one reads the property of its own
name, and resolvers built here say what they read (`reads`). Any other resolver may read
anything, so a selection with one gets whole records.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from graphql import GraphQLResolveInfo, SelectionSetNode

from ..graph.schema import BRIEF as BRIEF_PROPS
from .selections import field_names, sub_selections

ID, BRIEF, FULL = "id", "brief", "full"
F = TypeVar("F", bound=Callable[..., Any])


def reads(*props: str) -> Callable[[F], F]:
    """Declare the record properties a resolver reads (besides `_label`, always there)."""

    def mark(fn: F) -> F:
        fn.reads = frozenset(props)  # type: ignore[attr-defined]
        return fn

    return mark


def level(info: GraphQLResolveInfo, label: str, selections: Iterable[SelectionSetNode | None]) -> str:
    """The least a record of `label` selected by `selections` needs: ID, BRIEF or FULL."""
    return _level(info.schema, label, frozenset(field_names(selections, info.fragments)))


def selected(info: GraphQLResolveInfo) -> Iterable[SelectionSetNode | None]:
    """The selection sets of the field `info` resolves."""
    return (node.selection_set for node in info.field_nodes)


def node_level(info: GraphQLResolveInfo, label: str) -> str:
    """The level of the nodes of the connection `info` resolves (its `edges { node { … } }`)."""
    edges = sub_selections(selected(info), "edges", info.fragments)
    nodes = sub_selections(edges, "node", info.fragments)
    return level(info, label, nodes)


@functools.lru_cache(maxsize=4096)
def _level(schema, label: str, names: frozenset[str]) -> str:
    fields = schema.get_type(label).fields
    wanted: set[str] = set()
    for name in names - {"__typename"}:
        field = fields.get(name)
        found = _reads(field.resolve) if field is not None else None
        if found is None:
            return FULL
        wanted |= found
    if wanted <= {"id"}:
        return ID
    return BRIEF if wanted <= set(BRIEF_PROPS[label]) else FULL


def _reads(resolve) -> frozenset[str] | None:
    declared = getattr(resolve, "reads", None)
    if declared is not None:
        return declared
    default = default_read(resolve)
    return frozenset({default[0]}) if default else None


def default_read(resolve) -> tuple[str, str] | None:
    """(the record property, the object attribute) a field's resolver reads when it is graphene's
    default resolver bound to the field (the one `types` sets, marked with `record_property`);
    None for any other resolver."""
    if isinstance(resolve, functools.partial):
        property_of = getattr(resolve.func, "record_property", None)
        if property_of is not None:
            attname = resolve.args[0]
            return property_of(attname), attname
    return None
