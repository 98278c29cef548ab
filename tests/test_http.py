"""GraphQL over HTTP, GraphiQL served offline, health and readiness."""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from graphql import (
    Undefined,
    get_named_type,
    get_nullable_type,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from starlette.testclient import TestClient

from rolemap.analysis.index import RegistryIndex
from rolemap.api.app import create_app
from rolemap.api.schema import schema
from rolemap.bundle import import_bundle
from rolemap.config import ConfigError, Settings
from rolemap.seed import default_seed_dir, seed_bundle

from .processes import Server

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def client(ladybug_store):
    with TestClient(create_app(ladybug_store)) as c:
        yield c


def test_post_json_and_get_with_query_parameters(client):
    r = client.post("/graphql", json={"query": "{ themes { totalCount } }"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"data": {"themes": {"totalCount": 0}}}
    r = client.get(
        "/graphql",
        params={
            "query": "query Q($k: CityKind) { cities(kind: $k) { totalCount } }",
            "variables": '{"k": "REGION"}',
        },
    )
    assert r.json() == {"data": {"cities": {"totalCount": 0}}}


def test_graphql_response_media_type_gives_request_errors_4xx(client):
    headers = {"accept": GRAPHQL_RESPONSE}
    r = client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "nope" in r.json()["errors"][0]["message"]
    r = client.post("/graphql", json={"query": "{"}, headers=headers)
    assert r.status_code == 400
    ok = client.post("/graphql", json={"query": "{ themes { totalCount } }"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["data"]["themes"]["totalCount"] == 0
    # With plain JSON the same validation error is a 200 with errors (legacy clients).
    assert client.post("/graphql", json={"query": "{ nope }"}).status_code == 200


def test_mutations_are_refused_over_get(client):
    r = client.get(
        "/graphql", params={"query": 'mutation { createTheme(input: {name: "X"}) { errors { code } } }'}
    )
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert client.post("/graphql", json={"query": "{ themes { totalCount } }"}).json()["data"]["themes"] == {
        "totalCount": 0
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "not JSON"),
        ({"content": b"query=x", "headers": {"content-type": "text/plain"}}, 415, "Content-Type"),
        ({"json": {"variables": {}}}, 400, "query"),
        ({"json": {"query": "{ themes { totalCount } }", "variables": [1]}}, 400, "variables"),
        ({"json": ["query"]}, 400, "JSON object"),
    ],
)
def test_malformed_requests_get_clear_errors(client, kwargs, status, fragment):
    r = client.post("/graphql", **kwargs)
    assert r.status_code == status
    assert fragment in r.json()["errors"][0]["message"]


def test_unacceptable_accept_header(client):
    r = client.post("/graphql", json={"query": "{ themes { totalCount } }"}, headers={"accept": "text/csv"})
    assert r.status_code == 406


def test_bad_variables_are_errors_not_crashes(client):
    r = client.post(
        "/graphql",
        json={
            "query": "query($k: CityKind) { cities(kind: $k) { totalCount } }",
            "variables": {"k": "VILLAGE"},
        },
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert r.status_code == 400
    assert "VILLAGE" in r.json()["errors"][0]["message"]


def test_browsers_get_graphiql_with_no_external_assets(client):
    r = client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "__DEFAULT_QUERY__" not in page
    assert not re.search(r"(src|href)=\"https?:", page), "GraphiQL must not load anything from the internet"
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        fetched = client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
    default_query = re.search(r"defaultQuery: (\".*?\"),\n", page).group(1)
    assert "city(" in json.loads(default_query)


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    # Started, the app builds the analyses' read model in the background; ready once it is built.
    deadline = time.monotonic() + 60
    while (r := client.get("/readyz")).status_code == 503:
        assert r.json() == {"status": "starting", "store": "ladybug", "analyses": "building"}
        assert time.monotonic() < deadline, "the read model was not built within 60 s"
        time.sleep(0.05)
    assert r.json() == {"status": "ok", "store": "ladybug", "analyses": "ready"}


def test_readiness_waits_for_the_read_model(ladybug_store, monkeypatch):
    """A build that has not finished keeps the server unready; analyses wait for it meanwhile."""
    release = threading.Event()
    load = RegistryIndex.load

    def slow_load(store):
        release.wait(30)
        return load(store)

    monkeypatch.setattr(RegistryIndex, "load", staticmethod(slow_load))
    with TestClient(create_app(ladybug_store)) as c:
        for _ in range(3):
            r = c.get("/readyz")
            assert r.status_code == 503 and r.json()["analyses"] == "building"
        # Plain reads do not wait for the analyses' build.
        assert c.post("/graphql", json={"query": "{ themes { totalCount } }"}).status_code == 200
        release.set()
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_readiness_waits_for_todays_corpora_too(ladybug_store, monkeypatch):
    """The background build goes on to the overlap and prior-art corpora: until they are built,
    the first overlaps request would build them, so the server is not ready yet."""
    from rolemap.domain import overlap

    import_bundle(ladybug_store, seed_bundle(default_seed_dir()))
    release, building = threading.Event(), threading.Event()
    matrices = overlap.Corpus.matrices

    def slow_matrices(self):
        building.set()
        release.wait(30)
        return matrices(self)

    monkeypatch.setattr(overlap.Corpus, "matrices", slow_matrices)
    with TestClient(create_app(ladybug_store)) as c:
        assert building.wait(30), "the background build did not reach the corpora"
        for _ in range(3):
            r = c.get("/readyz")
            assert r.status_code == 503 and r.json()["analyses"] == "building"
        release.set()
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_what_the_background_build_keeps_is_left_out_of_garbage_collections(ladybug_store):
    """The read model and today's rankings live as long as the server: a full collection that
    walked them paused every request (about 130 ms every 20 requests at M)."""
    import gc

    from rolemap.analysis.index import IndexCache

    import_bundle(ladybug_store, seed_bundle(default_seed_dir()))
    cache = IndexCache(ladybug_store)
    try:
        cache.start_once()
        deadline = time.monotonic() + 60
        while not cache.ready:
            assert time.monotonic() < deadline and not cache.failure
            time.sleep(0.05)
        rankings = cache.get()._popular["vendors"]
        assert rankings, "the build ranks each capability's vendors"
        collected = {id(o) for o in gc.get_objects()}  # generations 0-2, not the frozen objects
        assert id(rankings) not in collected
        assert not [cap for cap, ranked in rankings.items() if id(ranked) in collected]
    finally:
        cache.pool.shutdown()


def test_a_request_and_a_write_leave_nothing_for_the_garbage_collector(api):
    """What a request loaded is freed once it is answered, and the analyses' view of the registry
    once a write replaces it. A reference cycle would keep them until a full collection, which the
    server makes rare (cli.py): at scale M, a role map with its cells' services and pilots left
    12,000 futures, each holding a record."""
    import gc
    from collections import Counter

    import_bundle(api.store, seed_bundle(default_seed_dir()))
    city = api("{ cities(first: 1) { edges { node { id } } } }")["cities"]["edges"][0]["node"]["id"]
    role_map = """query($c: ID!) { roleMap(cityId: $c) { rows { capability { name }
      cells { role vendor { name } services { id name } pilots { id title } } } } }"""
    nested = """query($c: ID!) { city(id: $c) { name pilots(first: 5) { edges { node { title
      services(first: 5) { edges { node { name vendor { name } } } } } } } } }"""
    write = """mutation { createTheme(input: {name: "Garbage-free"}) { errors { code } } }"""
    api(role_map, c=city)
    api(nested, c=city)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        api(role_map, c=city)
        api(nested, c=city)
        assert api(write)["createTheme"]["errors"] == []
        api(role_map, c=city)  # the view before the write is dropped for a new one
        gc.collect()
        kinds = Counter(type(o).__name__ for o in gc.garbage)
        records = sum(isinstance(o, dict) and "_label" in o for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    left = {k: n for k, n in kinds.items() if k in ("Context", "DataLoader", "DayView", "_Filtered")}
    assert not left and not records, (left, records, kinds.most_common(10))


def test_an_analysis_past_its_time_is_a_timeout_error_and_reads_go_on(ladybug_store, monkeypatch):
    """Analyses run on their own threads: a stuck one answers TIMEOUT at the deadline, and plain
    reads meanwhile are answered at once."""
    from rolemap.analysis import queries

    release = threading.Event()
    started = threading.Event()
    role_map = queries.role_map

    def stuck(*args):
        started.set()
        release.wait(30)
        return role_map(*args)

    monkeypatch.setattr(queries, "role_map", stuck)
    import_bundle(ladybug_store, seed_bundle(default_seed_dir()))
    app = create_app(ladybug_store, analysis_timeout_seconds=1, analysis_workers=1)
    query = '{ roleMap(cityId: "City:tampere") { rows { capability { id } } } }'
    try:
        with TestClient(app) as c:
            with ThreadPoolExecutor(1) as pool:
                slow = pool.submit(c.post, "/graphql", json={"query": query})
                assert started.wait(30)
                for _ in range(5):  # the only analysis thread is busy; reads do not need it
                    r = c.post("/graphql", json={"query": "{ themes { totalCount } }"})
                    assert r.status_code == 200 and "errors" not in r.json()
                body = slow.result(30).json()
            assert body["data"] is None
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "TIMEOUT"
            assert "ROLEMAP_ANALYSIS_TIMEOUT_SECONDS" in error["message"]
            # A queued analysis that could not start in time is refused the same way, not run late.
            r = c.post("/graphql", json={"query": query})
            assert r.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
            release.set()
            deadline = time.monotonic() + 30
            while "errors" in (r := c.post("/graphql", json={"query": query})).json():
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert r.json()["data"]["roleMap"]["rows"]
    finally:
        release.set()


def test_an_analysis_answer_is_resolved_off_the_servers_loop(ladybug_store, monkeypatch):
    """Resolving an analysis answer's fields (thousands for a role map at scale) happens on the
    analyses' own loop: while one of those fields is stuck, the server's loop answers the rest."""
    from rolemap.api.context import Context

    release, started, threads = threading.Event(), threading.Event(), set()
    recall = Context.recall

    def stuck(self, node_id):  # the rows' capabilities come from here: hold the loop (no await)
        if node_id.startswith("Capability:"):
            threads.add(threading.current_thread().name)
            started.set()
            release.wait(60)
        return recall(self, node_id)

    monkeypatch.setattr(Context, "recall", stuck)
    import_bundle(ladybug_store, seed_bundle(default_seed_dir()))
    query = 'query Q { ...F } fragment F on Query { roleMap(cityId: "City:tampere") { rows { capability { id } } } }'
    with TestClient(create_app(ladybug_store)) as c, ThreadPoolExecutor(3) as pool:
        try:
            slow = pool.submit(c.post, "/graphql", json={"query": query})
            assert started.wait(30)
            # (were the loop held, these would wait for the release: bounded, then a failure)
            assert pool.submit(c.get, "/healthz").result(20).json() == {"status": "ok"}
            plain = '{ __typename city(id: "City:tampere") { name } }'
            r = pool.submit(c.post, "/graphql", json={"query": plain}).result(20)
            assert r.json() == {"data": {"__typename": "Query", "city": {"name": "Tampere"}}}
            assert not slow.done()
        finally:
            release.set()
        rows = slow.result(30).json()["data"]["roleMap"]["rows"]
    assert rows and threads == {"rolemap-analysis-loop"}


def test_readiness_reports_a_store_that_does_not_answer(tmp_path):
    from rolemap.graph.ladybug_store import LadybugStore

    store = LadybugStore(tmp_path / "db")
    store.apply_schema()
    with TestClient(create_app(store)) as c:
        store.close()
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"


# Sizes: the body bounded in bytes, its JSON in nesting ----------------------------------------


def body(variables: dict | None = None, query: str = "{ themes { totalCount } }") -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def post_body(client, content, **headers):
    return client.post("/graphql", content=content, headers={"content-type": "application/json", **headers})


def test_a_body_over_the_limit_is_413(ladybug_store):
    with TestClient(create_app(ladybug_store, max_body_bytes=4096)) as c:
        r = post_body(c, body({"x": "y" * 5000}))  # with Content-Length
        assert r.status_code == 413
        assert "4,096 allowed" in r.json()["errors"][0]["message"]
        r = post_body(c, iter([body({"x": "y" * 5000})]))  # chunked, no Content-Length
        assert r.status_code == 413
        assert post_body(c, body({"x": "y" * 3000})).json() == {"data": {"themes": {"totalCount": 0}}}


def test_the_default_limit_is_one_mebibyte(client):
    assert Settings().max_body_bytes == 1_048_576
    assert post_body(client, body({"x": "y" * 1_000_000})).status_code == 200
    assert post_body(client, body({"x": "y" * 1_100_000})).status_code == 413


def test_the_body_limit_is_a_setting():
    assert Settings.from_env({"ROLEMAP_MAX_BODY_BYTES": "2048"}).max_body_bytes == 2048
    for bad, fragment in [("12", "outside 1024..1073741824"), ("1MB", "not a whole number")]:
        with pytest.raises(ConfigError, match=f"ROLEMAP_MAX_BODY_BYTES.*{fragment}"):
            Settings.from_env({"ROLEMAP_MAX_BODY_BYTES": bad})


def test_json_nested_too_deep_is_400_not_500(client):
    deep = (
        b'{"query": "{ themes { totalCount } }", "variables": {"x": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}"
    )
    r = post_body(client, deep)  # a RecursionError in json.loads before: 500
    assert r.status_code == 400
    assert "nested more than 64 levels" in r.json()["errors"][0]["message"]
    nested = lambda levels: json.loads("[" * levels + "]" * levels)  # noqa: E731
    assert post_body(client, body({"x": nested(62)})).status_code == 200  # 64 with the two objects
    assert post_body(client, body({"x": nested(63)})).status_code == 400
    brackets_in_strings = body({"x": "[" * 10_000, "y": ["]" * 10_000]})
    assert post_body(client, brackets_in_strings).status_code == 200
    r = client.get(
        "/graphql", params={"query": "{ themes { totalCount } }", "variables": "[" * 5000 + "]" * 5000}
    )
    assert r.status_code == 400 and "`variables` is JSON nested" in r.json()["errors"][0]["message"]


def test_json_that_python_cannot_read_is_400_not_500(client):
    huge_number = b'{"query": "{ themes { totalCount } }", "variables": {"n": 1' + b"0" * 5000 + b"}}"
    r = post_body(client, huge_number)
    assert r.status_code == 400 and "not JSON" in r.json()["errors"][0]["message"]
    r = post_body(client, b'{"query": "\xff"}')  # not UTF-8
    assert r.status_code == 400 and "not JSON" in r.json()["errors"][0]["message"]
    # An open string full of escaped quotes: the nesting check reads it once, not once per quote.
    started = time.monotonic()
    r = post_body(client, b'{"query": "' + b'\\"' * 400_000)
    assert r.status_code == 400 and "not JSON" in r.json()["errors"][0]["message"]
    assert time.monotonic() - started < 5


def raw_post(port: int, headers: dict[str, str], chunks: list[bytes], answer_after: int) -> tuple[int, int]:
    """POST /graphql over a plain socket, chunked unless `headers` give a Content-Length; stops
    sending as soon as the server answers, which it must once `answer_after` bytes are sent. The
    status, and how many body bytes were sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        chunked = "Content-Length" not in headers
        head = {"Host": "127.0.0.1", "Content-Type": "application/json", **headers}
        if chunked:
            head["Transfer-Encoding"] = "chunked"
        sock.sendall(
            (
                "POST /graphql HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
            ).encode()
        )
        sent = 0
        for chunk in chunks:
            waiting = 5 if sent >= answer_after else 0
            if select.select([sock], [], [], waiting)[0]:
                break
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            except OSError:
                break
            sent += len(chunk)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        assert select.select([sock], [], [], 10)[0], "no answer"
        return int(sock.recv(4096).split(b" ", 2)[1]), sent


def test_a_live_server_answers_413_without_reading_the_whole_body(tmp_path):
    limit = 65_536
    env = {"ROLEMAP_DB": str(tmp_path / "served.lbug"), "ROLEMAP_MAX_BODY_BYTES": str(limit)}
    with Server(env, "--no-seed") as server:
        server.wait_ready()
        # Declared too large: answered from the header, before any of the body.
        status, sent = raw_post(server.port, {"Content-Length": "100000000"}, [b"{"] * 10, 0)
        assert status == 413 and sent == 0
        # Chunked: answered once the limit is passed; the other 15 MB are never sent.
        status, sent = raw_post(server.port, {}, [b" " * 16_384] * 1000, limit + 1)
        assert status == 413 and sent <= limit + 2 * 16_384
        status, _ = raw_post(server.port, {}, [body({"x": "y" * 50_000})], limit + 1)
        assert status == 200


# An explicit null for an argument with a default -------------------------------------------

SAMPLES = {
    "ID": '"City:x"',
    "String": '"x"',
    "Int": "1",
    "Float": "0.5",
    "Boolean": "true",
    "Date": '"2025-01-01"',
}


def literal(type_) -> str:
    """Some valid literal of an input type (for the arguments a field requires)."""
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        return "[]"
    if is_enum_type(nullable):
        return next(iter(nullable.values))
    if is_input_object_type(nullable):
        required = {
            k: f
            for k, f in nullable.fields.items()
            if is_non_null_type(f.type) and f.default_value is Undefined
        }
        return "{" + ", ".join(f"{k}: {literal(f.type)}" for k, f in required.items()) + "}"
    return SAMPLES[nullable.name]


def arguments_with_defaults():
    gql = schema.graphql_schema
    for type_ in gql.type_map.values():
        if type_.name.startswith("__") or not (is_object_type(type_) or is_interface_type(type_)):
            continue
        for name, field in type_.fields.items():
            for arg_name, arg in field.args.items():
                if arg.default_value is not Undefined:
                    yield type_, name, field, arg_name, arg


def test_an_explicit_null_for_an_argument_with_a_default_is_a_graphql_error(client):
    """`first: null` where `first` defaults to 50 used to reach the resolver and fail with a
    Python message ("'<=' not supported between 'int' and 'NoneType'"). Every argument with a
    default is non-null, so GraphQL refuses a null literal (validation) or variable (coercion)."""
    gql = schema.graphql_schema
    found = list(arguments_with_defaults())
    assert len(found) >= 8
    roots = {gql.query_type: "query", gql.mutation_type: "mutation"}
    nullable = [
        f"{t.name}.{n}({a}: {arg.type})" for t, n, _, a, arg in found if not is_non_null_type(arg.type)
    ]
    assert not nullable, f"arguments with a default that accept null (declare them required=True): {nullable}"
    for type_, name, field, arg_name, arg in found:
        if type_ not in roots:
            continue
        required = [
            f"{k}: {literal(a.type)}"
            for k, a in field.args.items()
            if is_non_null_type(a.type) and a.default_value is Undefined
        ]
        selection = "" if is_leaf_type(get_named_type(field.type)) else "{ __typename }"
        nullable = get_nullable_type(arg.type)
        for query, variables in [
            (f"{roots[type_]} {{ {name}({', '.join([*required, f'{arg_name}: null'])}) {selection} }}", {}),
            (
                f"{roots[type_]}($v: {nullable}) {{ {name}({', '.join([*required, f'{arg_name}: $v'])}) {selection} }}",
                {"v": None},
            ),
        ]:
            r = client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"accept": GRAPHQL_RESPONSE},
            )
            assert r.status_code == 400, (query, r.text)
            message = r.json()["errors"][0]["message"]
            assert "found null" in message or "must not be null" in message, (query, message)
            assert not re.search(r"NoneType|not supported|unsupported operand", message), (query, message)


def test_a_document_is_parsed_and_validated_once_and_its_limits_checked_every_time(client, monkeypatch):
    from rolemap.api import limits

    calls = {"parse": 0, "validate": 0}
    parse, validate = limits.parse, limits.validate

    def counted(name, fn):
        def call(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return call

    monkeypatch.setattr(limits, "parse", counted("parse", parse))
    monkeypatch.setattr(limits, "validate", counted("validate", validate))
    query = "query($n: Int) { services(first: $n) { totalCount } } # unique to this test"
    for _ in range(3):
        r = client.post("/graphql", json={"query": query, "variables": {"n": 5}})
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert calls == {"parse": 1, "validate": 1}
    # The limits depend on the variables, so they are checked again on a kept document.
    r = client.post("/graphql", json={"query": query, "variables": {"n": 10_000_000}})
    assert [e["extensions"]["code"] for e in r.json()["errors"]] == ["QUERY_TOO_LARGE"], r.text
    assert calls == {"parse": 1, "validate": 1}
