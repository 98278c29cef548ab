"""The GraphQL schema root: queries over the registry, and the mutations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import graphene
from graphql import GraphQLError

from ..domain.text import terms
from ..graph.schema import label_of
from ..graph.statements import facet_fields
from ..registry import OPERATIONS
from .analysis import AnalysisMutation, AnalysisQuery
from .connections import Page, check_first, connection, decode_cursor, paged
from .lookahead import read_ahead
from .mutations import Mutation
from .needs import level, node_level, selected
from .trust import TrustMutation, TrustQuery
from .types import (
    CONNECTIONS,
    TYPES,
    CityKind,
    NeedStatus,
    Node,
    Outcome,
    PilotStatus,
    ServiceLifecycle,
    camel,
)


def search_terms(text: str) -> list[str] | None:
    """The words of a search, as the tokeniser's stems (so "Kotihoidon" finds "kotihoito"); a
    search of stopwords only is the lowercased text itself; an empty one searches nothing."""
    text = text.strip()
    return terms(text) or ([text.lower()] if text else None)


def listing(label: str, doc: str, **filters):
    """A top-level connection over one label, filtered in the database and paged by id."""

    async def resolve(root, info, first=None, after=None, **given):
        limit = check_first(first)
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in given.items()}
        values = {camel(k): v for k, v in values.items()}
        if values.get("search") is not None:
            values["search"] = search_terms(values["search"])
        graph = info.context.graph
        if values.get("cityId") is not None:  # a region lists its members' too
            values["cityId"] = await info.context.call(graph.with_members, values["cityId"])
        after_id = decode_cursor(after)
        listed = await info.context.listed(label, values, after_id, limit + 1)
        if listed is None:
            ids = await info.context.call(graph.page_ids, label, values, after_id, limit + 1)
        else:
            ids, counted = listed
        found = await info.context.records(label, ids[:limit], node_level(info, label))
        rows = [row for row in found if row is not None]

        def total() -> int | Awaitable[int]:
            return counted if listed is not None else info.context.call(graph.count, label, values)

        async def facets() -> list[Facet]:
            found = await asyncio.gather(
                *(info.context.call(graph.facet, label, field, values) for field in facet_fields(label))
            )
            return [
                Facet(field=field, values=[FacetValue(value=v, count=n) for v, n in counts])
                for field, counts in zip(facet_fields(label), found, strict=True)
            ]

        page = Page(rows, len(ids) > limit, bool(after_id), total, lambda r: r["id"], facets)
        return await read_ahead(info, page)

    return paged(
        lambda: LIST_CONNECTIONS.get(label) or CONNECTIONS[label],
        resolver=resolve,
        description=doc,
        **filters,
    )


class FacetValue(graphene.ObjectType):
    value = graphene.String(required=True, description="An id, or an enumeration's value.")
    count = graphene.Int(required=True, description="Items in the list with it.")
    node = graphene.Field(Node, description="The record, when the value is an id.")

    @staticmethod
    async def resolve_node(facet, info):
        label = label_of(facet.value)
        return await info.context.node(label, facet.value) if label else None


class Facet(graphene.ObjectType):
    """How a list's items spread over one filter's values: each filter is counted with the other
    filters applied, not its own, so the counts show the alternatives."""

    field = graphene.String(required=True, description="The filter argument, e.g. vendorId.")
    values = graphene.List(graphene.NonNull(FacetValue), required=True, description="Most frequent first.")


async def _facets(page: Page, info) -> list[Facet]:
    return await page.facets() if page.facets else []


LIST_CONNECTIONS = {
    label: connection(
        TYPES[label],
        f"{label}ListConnection",
        fields={"facets": graphene.List(graphene.NonNull(Facet), required=True, resolver=_facets)},
    )
    for label in ("Service", "Pilot", "Need")
}
"""Top-level lists with facets (nested connections have none)."""


def single(label: str):
    async def resolve(root, info, id):
        if label_of(id) != label:
            return None
        return await read_ahead(info, await info.context.node(label, id, level(info, label, selected(info))))

    return graphene.Field(
        lambda: TYPES[label], id=graphene.ID(required=True), resolver=resolve, description=f"A {label} by id."
    )


class Query(AnalysisQuery, TrustQuery, graphene.ObjectType):
    node = graphene.Field(Node, id=graphene.ID(required=True), description="Any object by its id.")
    cities = listing("City", "Cities, regions and networks.", kind=CityKind(), search=graphene.String())
    city = single("City")
    goals = listing("Goal", "Strategy goals.", city_id=graphene.ID())
    themes = listing("Theme", "Policy themes.", search=graphene.String())
    theme = single("Theme")
    capabilities = listing("Capability", "The capability taxonomy.", search=graphene.String())
    capability = single("Capability")
    vendors = listing(
        "Vendor",
        "Vendors; `capabilityId` keeps those offering a service with that capability.",
        search=graphene.String(),
        capability_id=graphene.ID(),
    )
    vendor = single("Vendor")
    services = listing(
        "Service",
        "Service offerings; `cityId` keeps those the city uses or operates.",
        search=graphene.String(),
        vendor_id=graphene.ID(),
        capability_id=graphene.ID(),
        city_id=graphene.ID(),
        lifecycle=ServiceLifecycle(),
    )
    service = single("Service")
    needs = listing(
        "Need",
        "Needs of cities.",
        search=graphene.String(),
        city_id=graphene.ID(),
        theme_id=graphene.ID(),
        status=NeedStatus(),
    )
    need = single("Need")
    pilots = listing(
        "Pilot",
        "Pilots; `outcome` keeps those whose current decision has that outcome.",
        search=graphene.String(),
        city_id=graphene.ID(),
        status=PilotStatus(),
        outcome=Outcome(),
        vendor_id=graphene.ID(),
        need_id=graphene.ID(),
    )
    pilot = single("Pilot")
    decision = single("Decision")

    @staticmethod
    async def resolve_node(root, info, id):
        label = label_of(id)
        if label is None:
            raise GraphQLError(f"{id!r} is not a rolemap id (expected Label:slug)")
        return await read_ahead(info, await info.context.node(label, id, level(info, label, selected(info))))


class RootMutation(Mutation, AnalysisMutation, TrustMutation, graphene.ObjectType):
    pass


def _declare_who_may_call() -> None:
    """Each mutation's description ends with who may call it, from its use case's declaration
    (registry.OPERATIONS): every mutation has one."""
    fields = RootMutation._meta.fields
    missing = set(fields) and {camel(name) for name in fields} - set(OPERATIONS)
    if missing:
        raise RuntimeError(f"mutations without a declared rule: {', '.join(sorted(missing))}")
    for name, field in fields.items():
        rule = OPERATIONS[camel(name)].rule.describe()
        field.description = f"{field.description} {rule}" if field.description else rule


_declare_who_may_call()
schema = graphene.Schema(query=Query, mutation=RootMutation, types=list(TYPES.values()))
