"""The execution shortcut for leaf fields (rolemap.api.execution) answers exactly as graphql-core's
own execution does: the same data, and the same errors at the same paths."""

from __future__ import annotations

import asyncio

import pytest
from graphql import ExecutionContext, execute, parse

from rolemap.analysis.index import IndexCache
from rolemap.api.context import Context
from rolemap.api.execution import Execution, is_awaitable
from rolemap.api.schema import schema
from rolemap.bundle import import_bundle
from rolemap.config import Settings
from rolemap.registry import Registry
from rolemap.seed import default_seed_dir, seed_bundle

DOCUMENTS = {
    # enums with nulls among them (stance, outcome), ids, and objects from custom resolvers
    "roleMap": """{ roleMap(cityId: "City:tampere-region") { city { id name kind population }
        rows { capability { id name } stance cells { vendor { id name illustrative } inHouse role outcome
        services { id lifecycle createdAt retiredAt } } } } }""",
    # records through connections: dates, floats, enums, edge properties, aliases and fragments
    "nested": """{ cities(first: 50) { edges { cursor node { ...C kind2: kind } } } }
        fragment C on City { id code name(lang: "sv") kind population website createdAt
          pilots(first: 20) { totalCount edges { node { id title status startDate budgetEur decision { outcome }
            services { edges { node { id lifecycle vendor { id businessId country } } } } } } }
          services(first: 50) { edges { relation since until status node { id externalId } } } }""",
    "lists": """{ services(first: 100) { edges { node { __typename id name lifecycle website } } }
        pilots(first: 100) { edges { node { id status endDate cancelReason } } } }""",
}


@pytest.fixture
def context(store):
    import_bundle(store, seed_bundle(default_seed_dir()))
    settings = Settings()
    index = IndexCache(store, settings.analysis_workers, settings.analysis_timeout_seconds)
    yield lambda: Context(store, Registry(store), index, settings)
    index.pool.shutdown()


def run(document, context, execution_class):
    async def go():
        result = execute(
            schema.graphql_schema,
            document,
            context_value=context(),
            is_awaitable=is_awaitable,
            execution_context_class=execution_class,
        )
        return await result if asyncio.iscoroutine(result) else result

    result = asyncio.run(go())
    return result.data, [(e.message, e.path) for e in result.errors or []]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_shortcut_answers_as_graphql_core_does(context, name):
    document = parse(DOCUMENTS[name])
    theirs, ours = run(document, context, ExecutionContext), run(document, context, Execution)
    assert ours == theirs
    assert theirs[0] and not theirs[1]  # the documents ask for what the sample has


def test_a_null_in_a_required_leaf_is_the_same_error_either_way(context, monkeypatch):
    """The shortcut leaves a null for a required field (and any value that does not serialize) to
    graphql-core: the error, its path and the nulled parent are the same."""
    from rolemap.graph.access import Graph

    nodes = Graph.nodes

    def without_kinds(self, label, ids):
        return {i: {**r, "kind": None} for i, r in nodes(self, label, ids).items()}

    monkeypatch.setattr(Graph, "nodes", without_kinds)  # City.kind is a required enum
    document = parse('{ city(id: "City:oulu") { id kind } other: city(id: "City:tampere") { id } }')
    theirs, ours = run(document, context, ExecutionContext), run(document, context, Execution)
    assert ours == theirs
    assert theirs[0] == {"city": None, "other": {"id": "City:tampere"}}
    assert [path for _, path in theirs[1]] == [["city", "kind"]]
