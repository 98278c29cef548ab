"""A query that could return too many objects, or nests too deep, is refused before it runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import uvicorn
from graphql import parse

from rolemap.api import limits
from rolemap.api.analysis import AnalysisQuery
from rolemap.api.app import create_app
from rolemap.api.schema import schema
from rolemap.api.types import camel

from .processes import Server, free_port, get, post

GRAPHQL_RESPONSE = "application/graphql-response+json"


@contextmanager
def serving(app) -> Iterator[str]:
    """`app` on uvicorn in a thread, on a free loopback port; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_nested_connections_multiply_and_are_refused_above_the_limit(api):
    huge = "{ cities(first: 100) { edges { node { pilots(first: 100) { edges { node { services(first: 100) { totalCount } } } } } } } }"
    response = api.client.post("/graphql", json={"query": huge}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert (
        "about 2,030,300 values" in error["message"]
    )  # 100 + 100 + 100 (edges, nodes) + 10,000 × 3 + 1,000,000 × 2
    smaller = api(huge.replace("first: 100", "first: 10"))  # the same shape, smaller, runs
    assert isinstance(smaller["cities"]["edges"], list)


def test_variables_and_defaults_count(api):
    query = "query($n: Int) { cities(first: $n) { edges { node { pilots(first: $n) { edges { node { services { totalCount } } } } } } } }"
    assert "errors" not in api.raw(query, n=10)
    body = api.raw(query, n=100)  # 100 × 100 × 20 (services' default first)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"


def test_too_deep_is_refused_and_introspection_is_not_counted(api):
    deep = '{ city(id: "City:x") ' + "{ partOf(first: 1) { edges { node " * 9 + "{ id }" + " } } }" * 9 + " }"
    body = api.raw(deep)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    introspection = "{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }"
    assert "errors" not in api.raw(introspection)


# Hostile documents: refused fast, by a check that runs off the event loop ---------------------

HANG_GUARD = 5.0
"""Seconds: each hostile document is refused well under 1 s; this only stops a hang."""


def doubling_fragments(levels: int) -> str:
    """Fragment F0 spreads F1 twice, F1 spreads F2 twice, …: 2^levels expansions of `id` in 1 KB."""
    lines = ["{ cities(first: 1) { edges { node { ...F0 } } } }"]
    lines += [f"fragment F{i} on City {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "\n".join([*lines, f"fragment F{levels} on City {{ id }}"])


ANALYSIS_CALLS = {
    "roleMap": 'roleMap(cityId: "City:tampere") { city { id } }',
    "overlaps": "overlaps(scope: {all: true}, kind: SERVICE) { score }",
}


def aliases(field: str, n: int, separator: str = " ") -> str:
    return "{ " + separator.join(f"a{i}: {ANALYSIS_CALLS[field]}" for i in range(n)) + " }"


def mutations(n: int) -> str:
    calls = (f'm{i}: createTheme(input: {{name: "T{i}"}}) {{ errors {{ code }} }}' for i in range(n))
    return "mutation { " + " ".join(calls) + " }"


def refusal(api, query: str, **variables) -> tuple[list[str], list[str], float]:
    """The error codes and messages of a refused query, and how long the refusal took."""
    started = time.monotonic()
    response = api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"accept": GRAPHQL_RESPONSE}
    )
    seconds = time.monotonic() - started
    assert response.status_code == 400, response.text[:300]
    errors = response.json()["errors"]
    assert "data" not in response.json()
    return [e.get("extensions", {}).get("code") for e in errors], [e["message"] for e in errors], seconds


def test_doubling_fragments_are_measured_once_each_yet_count_every_expansion(api):
    codes, messages, seconds = refusal(api, doubling_fragments(22))
    assert "QUERY_TOO_LARGE" in codes
    assert any("about 4,194,307 values" in m for m in messages)  # 3 + 2^22: the true size
    assert seconds < HANG_GUARD
    # Linear in the document: 2^90 expansions are measured as fast as 2^22, and still counted.
    document = parse(doubling_fragments(90))
    started = time.monotonic()
    errors = limits.check(schema.graphql_schema, document, document.definitions[0], {})
    assert time.monotonic() - started < 1.0
    assert any("about 10^27 values" in e.message for e in errors)


def test_thousands_of_aliased_analyses_are_refused_fast(api):
    for field in ANALYSIS_CALLS:
        # 5,000 aliases: 270-300 KB, longer than any query needs.
        codes, messages, seconds = refusal(api, aliases(field, 5_000))
        assert codes == ["QUERY_TOO_LONG"] and "100,000 allowed" in messages[0]
        assert seconds < HANG_GUARD
        # 1,000 (55-60 KB) fit in the length, but not in the tokens: parsing stops there.
        codes, messages, seconds = refusal(api, aliases(field, 1_000))
        assert codes == ["QUERY_TOO_LONG"] and "5,000 tokens" in messages[0]
        assert seconds < HANG_GUARD
        # 51 fit in the tokens: the root field limit refuses them.
        codes, messages, _ = refusal(api, aliases(field, 51))
        assert codes == ["QUERY_TOO_MANY_FIELDS"]
        assert "51 fields at its root" in messages[0] and "50 allowed" in messages[0]


def test_aliased_mutations_are_bounded_too(api):
    codes, _, seconds = refusal(api, mutations(1_000))  # a 500 before
    assert codes == ["QUERY_TOO_LONG"] and seconds < HANG_GUARD
    codes, messages, _ = refusal(api, mutations(51))
    assert codes == ["QUERY_TOO_MANY_FIELDS"] and "51 fields at its root" in messages[0]
    # Fragments count as what they expand to: ten mutations spread a hundred times are 1,000.
    ten = " ".join(f"m{i}: createTheme(input: $input) {{ errors {{ code }} }}" for i in range(10))
    spread = (
        "mutation($input: CreateThemeInput!) { "
        + "...M " * 100
        + "}\nfragment M on RootMutation { "
        + ten
        + " }"
    )
    before = api.store.statement_count
    codes, messages, _ = refusal(api, spread, input={"name": "T"})
    assert codes == ["QUERY_TOO_MANY_FIELDS"] and "1,000 fields at its root" in messages[0]
    assert api.store.statement_count == before  # refused before anything ran


def test_a_selection_with_too_many_fields_or_one_field_repeated_is_refused(api):
    wide = "{ themes { " + " ".join(f"t{i}: totalCount" for i in range(501)) + " } }"
    codes, messages, _ = refusal(api, wide)
    assert codes == ["QUERY_TOO_MANY_FIELDS"]
    assert "`themes` holds 501 fields" in messages[0] and "500 allowed" in messages[0]
    assert "errors" not in api.raw(wide.replace("t500: totalCount", ""))
    # Fields merged at one place are compared pairwise by validation: a repeat is bounded.
    repeated = "{ " + "t: themes { totalCount } " * 11 + "}"
    codes, messages, _ = refusal(api, repeated)
    assert codes == ["QUERY_TOO_MANY_FIELDS"] and "`t` is selected 11 times at `t`" in messages[0]
    assert "errors" not in api.raw("{ " + "t: themes { totalCount } " * 10 + "}")
    # So are fragments: more than 100 in one document is too long.
    many = "{ themes { ...F0 } }\n" + "\n".join(
        f"fragment F{i} on ThemeConnection {{ totalCount }}" for i in range(101)
    )
    codes, messages, _ = refusal(api, many)
    assert codes == ["QUERY_TOO_LONG"] and "101 fragments" in messages[0]


def test_analyses_and_lists_without_first_have_a_cost(api):
    # Each radar is an analysis (1,000) plus 20 entries (a list with no `first`), each with 20
    # history items and 20 decisions: 1,000 + 20 × (1 + 1 + 20 × 2 + 20 × 2) = 2,640; fifty of
    # them are 132,000. Counted as single objects they would have passed.
    radar = 'radar(cityId: "City:x") { ring history { ring } suggestedFrom { id } }'
    query = "{ " + " ".join(f"r{i}: {radar}" for i in range(50)) + " }"
    codes, messages, _ = refusal(api, query)
    assert codes == ["QUERY_TOO_LARGE"] and "about 132,000 values" in messages[0]
    body = api.raw(query.replace(" ".join(f"r{i}: {radar}" for i in range(30, 50)), ""))
    assert not any(
        e.get("extensions", {}).get("code", "").startswith("QUERY_") for e in body.get("errors", [])
    )
    # pilots(100) × (1 + edges × (1 + node × (1 + decisions 20 × (1 + 20 + 20 + 20 × 3)))) = 202,300.
    lists = (
        "{ pilots(first: 100) { edges { node { decisions { lessons nextSteps results { name met } } } } } }"
    )
    codes, messages, _ = refusal(api, lists)
    assert codes == ["QUERY_TOO_LARGE"] and "about 202,300 values" in messages[0]
    assert "errors" not in api.raw(lists.replace("first: 100", "first: 10"))


def test_every_analysis_at_the_root_is_weighted():
    assert {camel(name) for name in AnalysisQuery._meta.fields} == limits.ANALYSES


def test_the_check_runs_off_the_event_loop(ladybug_store, monkeypatch):
    """A slow parse/validate/check (here made slow on purpose) never holds up /healthz."""
    started = threading.Event()
    prepare = limits.prepare

    def slow(*args):
        started.set()
        time.sleep(2)
        return prepare(*args)

    monkeypatch.setattr(limits, "prepare", slow)
    with serving(create_app(ladybug_store)) as base, ThreadPoolExecutor(1) as pool:
        # A document no request sent before: a kept one skips preparing (limits.prepared_before).
        pending = pool.submit(post, f"{base}/graphql", "{ themes { totalCount } } # off the loop")
        assert started.wait(10)
        began = time.monotonic()
        assert get(f"{base}/healthz", timeout=5) == (200, {"status": "ok"})
        assert time.monotonic() - began < 1.0  # not after the 2 s check
        assert pending.result(timeout=30) == (200, {"data": {"themes": {"totalCount": 0}}})


def test_a_live_server_keeps_answering_healthz_while_refusing_hostile_documents(tmp_path):
    hostile = {
        "fragments": (doubling_fragments(22), "QUERY_TOO_LARGE"),
        "roleMap": (aliases("roleMap", 5_000), "QUERY_TOO_LONG"),
        "overlaps": (aliases("overlaps", 5_000), "QUERY_TOO_LONG"),
        "mutations": (mutations(1_000), "QUERY_TOO_LONG"),
    }
    env = {"ROLEMAP_DB": str(tmp_path / "served.lbug")}
    with Server(env, "--no-seed") as server:
        server.wait_ready()
        health: list[tuple[int, float]] = []
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                began = time.monotonic()
                status, _ = get(f"{server.base}/healthz", timeout=5)
                health.append((status, time.monotonic() - began))
                time.sleep(0.05)

        def send(query: str) -> tuple[int, list[str], float]:
            began = time.monotonic()
            status, body = post(f"{server.base}/graphql", query, timeout=30)
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            return status, codes, time.monotonic() - began

        with ThreadPoolExecutor(5) as pool:
            poller = pool.submit(poll)
            try:
                for _ in range(2):  # all four at once, twice
                    sent = {name: pool.submit(send, query) for name, (query, _) in hostile.items()}
                    for name, future in sent.items():
                        status, codes, seconds = future.result(timeout=60)
                        assert status == 200 and hostile[name][1] in codes, (name, status, codes)
                        assert seconds < HANG_GUARD, (name, seconds)
            finally:
                done.set()
                poller.result(timeout=30)
    assert len(health) >= 2
    assert all(status == 200 for status, _ in health)
    assert max(seconds for _, seconds in health) < 2.0
