"""Plain reads take what they can from the analyses' read model, and read ahead: whatever the
registry's state, they answer exactly as reads from the store, field by field, each at its own
depth, with errors where they belong."""

from __future__ import annotations

import pytest

from rolemap.api.records import RecordCache
from rolemap.api.types import TYPES
from rolemap.bundle import import_bundle
from rolemap.seed import default_seed_dir, seed_bundle

from .test_projection import Writer
from .test_statement_counts import read_model_unused


def hops(type_name: str) -> dict[str, bool]:
    """The relationship fields of a type: name -> whether it is a connection."""
    fields = TYPES[type_name]._meta.fields
    found = {}
    for name, field in fields.items():
        hop = getattr(field.resolver, "hop", None)
        if hop is not None:
            found[field.name or _camel(name)] = hop.many
    return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def selection(type_name: str, depth: int) -> str:
    """Every relationship field of a type, `depth` hops deep: ids and names or titles, counts
    and page info, with a page small enough to have a next one."""
    label_field = {"Need": "title", "Pilot": "title", "Decision": "outcome"}.get(type_name, "name")
    parts = ["id", label_field]
    if depth:
        for field, many in hops(type_name).items():
            target = _target(type_name, field)
            inner = selection(target, depth - 1)
            if many:
                parts.append(
                    f"{field}(first: 3) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
                    f"edges {{ cursor node {{ {inner} }} }} }}"
                )
            else:
                parts.append(f"{field} {{ {inner} }}")
    return " ".join(parts)


def _target(type_name: str, field: str) -> str:
    fields = {f.name or _camel(n): f for n, f in TYPES[type_name]._meta.fields.items()}
    return fields[_camel(field)].resolver.hop.label


def every_hop_of(api, ids: dict[str, list[str]]) -> dict:
    """Each node of `ids`, with every relationship field two hops deep."""
    answers = {}
    for label, some in ids.items():
        query = f"query($id: ID!) {{ node(id: $id) {{ ... on {label} {{ {selection(label, 2)} }} }} }}"
        for node_id in some:
            answers[node_id] = api.raw(query, id=node_id)
    return answers


MERGED = """query($city: ID!) {
  city(id: $city) {
    a: pilots(first: 2) { edges { node { id ...P } } }
    b: pilots(first: 4) { totalCount edges { node { title services { edges { node { ...S } } } } } }
    pilots(first: 3) { edges { node { ... on Pilot { city { name kind } } } } }
  }
  services(first: 5) { edges { node { ...S vendor { name services(first: 2) { totalCount } } } } }
}
fragment S on Service { id vendor { name } }
fragment P on Pilot { services(first: 1) { edges { node { ...S name vendor { website description } } } } }"""
"""One field in many places: merged with others in one place (needing more of its records there)
and alone in another, under aliases with other arguments, through fragments."""


def every_list_of(api, ids: dict[str, list[str]]) -> dict:
    """Each top-level list by each filter the read model may page (and none), two pages deep."""
    lists = {
        "Service": ("services", ("vendorId", "Vendor"), ("capabilityId", "Capability")),
        "Pilot": ("pilots", ("cityId", "City"), ("vendorId", "Vendor"), ("needId", "Need")),
        "Need": ("needs", ("cityId", "City"), ("themeId", "Theme")),
        "City": ("cities",),
        "Vendor": ("vendors",),
        "Capability": ("capabilities",),
    }
    answers = {}
    for field, *filters in lists.values():
        asked = [("", None)] + [(name, node) for name, of in filters for node in ids[of]]
        for name, value in asked:
            args = f'{name}: "{value}", ' if name else ""
            query = f"""query($after: String) {{ {field}({args}first: 3, after: $after) {{ totalCount
                pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ id }} }} }} }}"""
            first = api.raw(query)
            answers[field, name, value] = first
            cursor = first.get("data", {})[field]["pageInfo"]["endCursor"]
            if cursor:
                answers[field, name, value, "next"] = api.raw(query, after=cursor)
    return answers


@pytest.fixture
def sample(store):
    import_bundle(store, seed_bundle(default_seed_dir()))
    return store


def ends_of_every_relationship() -> dict[str, set[str]]:
    """Both ends of the first link of each relationship type in the sample, by label."""
    found: dict[str, set[str]] = {}
    for links in seed_bundle(default_seed_dir())["relationships"].values():
        for end in (links[0]["src"], links[0]["dst"]):
            found.setdefault(end.split(":")[0], set()).add(end)
    return found


def pick(api, label: str, k: int) -> list[str]:
    plural = {"City": "cities", "Capability": "capabilities"}.get(label, label.lower() + "s")
    data = api.raw(f"{{ {plural}(first: 100) {{ edges {{ node {{ id }} }} }} }}")["data"]
    found = [edge["node"]["id"] for edge in data[plural]["edges"]]
    return found[:: max(1, len(found) // k)][:k]


def both_ways(api, monkeypatch, ask):
    """`ask()` answered with the read model (caught up first, so that it serves) and from the
    store alone, and how many statements each took."""
    index = api.client.app.state.index
    index.caught_up()
    before = api.store.statement_count
    served = ask()
    used = api.store.statement_count - before
    with monkeypatch.context() as patched:
        read_model_unused(patched)
        before = api.store.statement_count
        stored = ask()
        unserved = api.store.statement_count - before
    return served, stored, used, unserved


@pytest.mark.parametrize("seed", [1, 2])
def test_reads_from_the_read_model_answer_as_the_store_does(api, sample, monkeypatch, seed):
    labels = ("City", "Vendor", "Service", "Pilot", "Need", "Capability", "Theme", "Decision", "Goal")
    ids = {label: pick(api, label, 4) for label in labels}
    for label, ends in ends_of_every_relationship().items():
        ids[label] = sorted(set(ids[label]) | ends)
    writer = Writer(sample, seed)
    for round_ in range(3):
        served, stored, used, unserved = both_ways(api, monkeypatch, lambda: every_hop_of(api, ids))
        assert served == stored, round_
        assert used < unserved, "the read model served some of it"
        assert not any("errors" in body for body in served.values()), served
        served, stored, used, unserved = both_ways(api, monkeypatch, lambda: every_list_of(api, ids))
        assert served == stored, round_
        assert used < unserved, "the read model paged some of them"
        assert not any("errors" in body for body in served.values()), served
        for city in ids["City"]:
            merged, merged_stored, _, _ = both_ways(
                api, monkeypatch, lambda city=city: api.raw(MERGED, city=city)
            )
            assert merged == merged_stored
            assert "errors" not in merged, merged
        done = [writer.write() for _ in range(10)]  # the read model follows (or the store answers)
        ids["Service"] += writer.new_services[-2:]
        ids["Pilot"] += writer.new_pilots[-2:]
        assert any(not d.endswith("(refused)") for d in done)


def test_a_write_shows_in_the_next_read(api, sample):
    """The read model may be behind when a read begins: that read asks the store."""
    vendor = pick(api, "Vendor", 1)[0]
    query = "query($v: ID!) { vendor(id: $v) { services(first: 100) { totalCount edges { node { id } } } } }"
    api.client.app.state.index.caught_up()
    before = api(query, v=vendor)["vendor"]["services"]["totalCount"]
    made = api(
        """mutation($input: RegisterServiceInput!) { registerService(input: $input) {
             service { id } errors { message } } }""",
        input={"vendorId": vendor, "name": "A service registered just now"},
    )["registerService"]
    assert made["errors"] == []
    after = api(query, v=vendor)["vendor"]["services"]
    assert after["totalCount"] == before + 1
    assert made["service"]["id"] in {edge["node"]["id"] for edge in after["edges"]}


def test_an_error_read_ahead_is_reported_at_its_own_field(api, sample, monkeypatch):
    city = api("{ pilots(first: 1) { edges { node { city { id } } } } }")["pilots"]["edges"][0]["node"]
    city = city["city"]["id"]
    query = """query($c: ID!) { city(id: $c) { name pilots(first: 2) { edges { node { title
                 services(first: 0) { totalCount } } } } } }"""
    served, stored, _, _ = both_ways(api, monkeypatch, lambda: api.raw(query, c=city))
    assert served == stored
    errors = served["errors"]
    assert {tuple(e["path"][-1:]) for e in errors} == {("services",)}
    assert all("first must be between 1 and 100" in e["message"] for e in errors)
    city = served["data"]["city"]  # the rest is answered; the nodes in error are null
    assert city["name"] and city["pilots"]["edges"] and not any(e["node"] for e in city["pilots"]["edges"])


def test_kept_records_go_when_the_registry_moves(api, sample):
    """A record read once is kept for the requests that follow, until the next write (here a
    rename), after which it is read again."""
    service = pick(api, "Service", 1)[0]
    query = "query($s: ID!) { service(id: $s) { name description } }"
    anyone = api.as_(None)  # no key to look up
    first = anyone(query, s=service)["service"]
    api.client.app.state.index.caught_up()  # nothing runs behind the count's back
    before = api.store.statement_count
    assert anyone(query, s=service)["service"] == first
    assert api.store.statement_count == before + (not sample.sole_writer), "kept: none but the head"
    renamed = api(
        """mutation($id: ID!) { updateService(id: $id, input: {name: "Renamed just now"}) {
             errors { message } } }""",
        id=service,
    )["updateService"]
    assert renamed["errors"] == []
    assert anyone(query, s=service)["service"] == {**first, "name": "Renamed just now"}


def test_a_request_that_began_before_a_write_keeps_nothing():
    kept = RecordCache()
    kept.keep(5, "full", {"Service:a": {"id": "Service:a", "name": "new"}})
    kept.keep(4, "full", {"Service:b": {"id": "Service:b", "name": "old"}})  # began before 5
    assert kept.take(5, "full", ["Service:a", "Service:b"]) == {
        "Service:a": {"id": "Service:a", "name": "new"}
    }
    assert kept.take(4, "full", ["Service:a"]) == {}
    assert kept.take(6, "full", ["Service:a"]) == {}  # a write since: all of it goes
    assert kept.take(5, "full", ["Service:a"]) == {}
    given = kept.take(6, "full", ["Service:a"])
    kept.keep(6, "full", {"Service:a": {"id": "Service:a"}})
    kept.take(6, "full", ["Service:a"])["Service:a"]["name"] = "changed by a caller"
    assert kept.take(6, "full", ["Service:a"]) == {"Service:a": {"id": "Service:a"}}
    assert given == {}


def test_the_oldest_kept_records_go_first():
    kept = RecordCache(size=3)
    for i in range(5):
        kept.keep(1, "brief", {f"Service:{i}": {"id": f"Service:{i}"}})
    assert sorted(kept.take(1, "brief", [f"Service:{i}" for i in range(5)])) == [
        "Service:2",
        "Service:3",
        "Service:4",
    ]


def test_a_mutations_answer_shows_the_writes_before_it_in_the_same_request(api, sample):
    """What one request keeps (its loaders, the records kept, the read model's revision) never
    hides a write the request itself made since."""
    service = pick(api, "Service", 1)[0]
    shown = "service { id vendor { services(first: 100) { edges { node { id name } } } } }"
    data = api(
        f"""mutation($id: ID!) {{
          a: updateService(id: $id, input: {{name: "First name"}}) {{ {shown} }}
          b: updateService(id: $id, input: {{name: "Second name"}}) {{ {shown} }} }}""",
        id=service,
    )
    for alias, name in (("a", "First name"), ("b", "Second name")):
        nodes = data[alias]["service"]["vendor"]["services"]["edges"]
        assert {edge["node"]["id"]: edge["node"]["name"] for edge in nodes}[service] == name, alias


def test_a_field_is_answered_when_a_write_lands_while_it_is_read(api, sample, monkeypatch):
    """A write of this process while a request reads makes the request forget what it read ahead
    (`Context._since_writes`); the fields still answer, each read again where it is resolved."""
    from rolemap.api import types

    city = api("{ pilots(first: 1) { edges { node { city { id } } } } }")["pilots"]["edges"][0]["node"]
    query = """query($c: ID!) { city(id: $c) { name pilots(first: 5) { edges { node { title
                 services { edges { node { name vendor { name } } } } } } } } }"""
    expected = api(query, c=city["city"]["id"])
    original = types.ahead

    async def a_write_lands(info, *args):
        info.context.ready.clear()  # what a write landing meanwhile does
        await original(info, *args)

    monkeypatch.setattr(types, "ahead", a_write_lands)
    assert api(query, c=city["city"]["id"]) == expected
