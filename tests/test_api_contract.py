"""The GraphQL contract, run on every backend: the walk-through of the issue and every bad input,
each refused with its code and leaving the graph unchanged."""

from __future__ import annotations

import json

import pytest

from .conftest import snapshot
from .test_statement_counts import read_model_unused

ERRORS = "errors { code field message }"


@pytest.fixture
def world(api):
    """A region with a city, a capability, a theme, a vendor with a service and a need."""
    region = api(
        'mutation { createCity(input: {name: "Pirkanmaa", kind: REGION}) { city { id } errors { code } } }'
    )["createCity"]["city"]["id"]
    city = api(
        """mutation($r: ID!) { createCity(input: {name: "Tampere", kind: MUNICIPALITY, partOfId: $r,
           code: "837", names: [{lang: "sv", text: "Tammerfors"}]}) { city { id } errors { code } } }""",
        r=region,
    )["createCity"]["city"]["id"]
    cap = api('mutation { createCapability(input: {name: "Chatbot"}) { capability { id } } }')[
        "createCapability"
    ]["capability"]["id"]
    theme = api('mutation { createTheme(input: {name: "Elderly care"}) { theme { id } } }')["createTheme"][
        "theme"
    ]["id"]
    vendor = api(
        """mutation { registerVendor(input: {name: "Example Bots Oy", businessId: "0000001-1",
           website: "https://bots.example"}) { vendor { id } errors { code } } }"""
    )["registerVendor"]["vendor"]["id"]
    need = api(
        """mutation($c: ID!, $cap: ID!, $t: ID!) { createNeed(input: {cityId: $c, title: "Answer residents around the clock", capabilityIds: [$cap], themeIds: [$t]}) { need { id status } } }""",
        c=city,
        cap=cap,
        t=theme,
    )["createNeed"]["need"]["id"]
    return {"region": region, "city": city, "cap": cap, "theme": theme, "vendor": vendor, "need": need}


REGISTER_SERVICE = f"""mutation($v: ID!, $cap: ID!, $ext: String, $name: String!) {{
  registerService(input: {{vendorId: $v, name: $name, externalId: $ext, capabilityIds: [$cap]}}) {{
    service {{ id name vendor {{ id }} capabilities {{ totalCount }} }} {ERRORS} }} }}"""


def test_walk_through_the_contract(api, world):
    # Register the same service twice with one external id: one service results, updated.
    first = api(REGISTER_SERVICE, v=world["vendor"], cap=world["cap"], ext="bot-1", name="Bot")
    again = api(REGISTER_SERVICE, v=world["vendor"], cap=world["cap"], ext="bot-1", name="Bot 2")
    service = first["registerService"]["service"]
    assert again["registerService"]["service"]["id"] == service["id"]
    assert again["registerService"]["service"]["name"] == "Bot 2"
    listed = api("query($v: ID!) { services(vendorId: $v) { totalCount } }", v=world["vendor"])
    assert listed["services"]["totalCount"] == 1

    pilot = api(
        f"""mutation($c: ID!, $n: ID!, $s: ID!, $v: ID!) {{ createPilot(input: {{cityId: $c,
            title: "Night-time chatbot", needIds: [$n], serviceIds: [$s], vendorIds: [$v],
            startDate: "2026-01-01", endDate: "2026-06-30", budgetEur: 25000}}) {{
            pilot {{ id status }} {ERRORS} }} }}""",
        c=world["city"],
        n=world["need"],
        s=service["id"],
        v=world["vendor"],
    )["createPilot"]
    assert pilot["errors"] == [] and pilot["pilot"]["status"] == "PROPOSED"
    pid = pilot["pilot"]["id"]
    for action, status in (("startPilot", "RUNNING"), ("endPilot", "ENDED")):
        out = api(f"mutation($p: ID!) {{ {action}(id: $p) {{ pilot {{ status }} {ERRORS} }} }}", p=pid)
        assert out[action] == {"pilot": {"status": status}, "errors": []}

    decide = f"""mutation($p: ID!, $o: Outcome!, $r: String!, $steps: [String!]) {{
        recordDecision(input: {{pilotId: $p, outcome: $o, rationale: $r, lessons: ["Residents use it at night"],
        nextSteps: $steps, decidedBy: "CIO office"}}) {{ decision {{ id outcome }} pilot {{ status }} {ERRORS} }} }}"""
    first_decision = api(decide, p=pid, o="LEARNED", r="Useful, but no budget for next year")[
        "recordDecision"
    ]
    assert first_decision["errors"] == [] and first_decision["pilot"]["status"] == "DECIDED"
    second = api(decide, p=pid, o="DEVELOP", r="Budget found; scale to all services", steps=["Procure"])[
        "recordDecision"
    ]
    assert second["errors"] == []

    read = api(
        """query($p: ID!) { pilot(id: $p) { status city { name } needs { totalCount }
             vendors { edges { node { name } } }
             decision { id outcome supersedes { id outcome } }
             decisions { id outcome nextSteps supersedes { id } } } }""",
        p=pid,
    )["pilot"]
    assert read["status"] == "DECIDED"
    assert read["city"]["name"] == "Tampere"
    assert read["vendors"]["edges"] == [{"node": {"name": "Example Bots Oy"}}]
    assert read["decision"]["id"] == second["decision"]["id"]
    assert read["decision"]["supersedes"] == {"id": first_decision["decision"]["id"], "outcome": "LEARNED"}
    assert [d["outcome"] for d in read["decisions"]] == ["DEVELOP", "LEARNED"]
    assert read["decisions"][0]["nextSteps"] == ["Procure"]
    assert read["decisions"][1]["supersedes"] is None

    # The same pilot, seen from the other ends of its relationships.
    back = api(
        """query($c: ID!, $n: ID!, $v: ID!) {
             city(id: $c) { pilots { edges { node { id } } } partOf { edges { node { name } } } }
             need(id: $n) { pilots { totalCount } city { id } }
             vendor(id: $v) { pilots { totalCount } services { totalCount } }
             pilots(cityId: $c, outcome: DEVELOP) { totalCount } }""",
        c=world["city"],
        n=world["need"],
        v=world["vendor"],
    )
    assert back["city"]["pilots"]["edges"] == [{"node": {"id": pid}}]
    assert back["city"]["partOf"]["edges"] == [{"node": {"name": "Pirkanmaa"}}]
    assert back["need"] == {"pilots": {"totalCount": 1}, "city": {"id": world["city"]}}
    assert back["vendor"] == {"pilots": {"totalCount": 1}, "services": {"totalCount": 1}}
    assert back["pilots"]["totalCount"] == 1


def test_use_service_is_navigable_both_ways(api, world):
    sid = api(REGISTER_SERVICE, v=world["vendor"], cap=world["cap"], ext=None, name="Bot")["registerService"][
        "service"
    ]["id"]
    for _ in range(2):  # using it again only updates `since`
        out = api(
            f"""mutation($c: ID!, $s: ID!) {{ useService(cityId: $c, serviceId: $s, since: "2024-03-01") {{
                service {{ id }} city {{ id }} {ERRORS} }} }}""",
            c=world["city"],
            s=sid,
        )["useService"]
        assert out["errors"] == []
    read = api(
        """query($c: ID!, $s: ID!) {
             city(id: $c) { services { totalCount edges { since node { id } } } }
             service(id: $s) { usedBy { edges { since node { id } } } }
             services(cityId: $c) { totalCount } }""",
        c=world["city"],
        s=sid,
    )
    assert read["city"]["services"]["edges"] == [{"since": "2024-03-01", "node": {"id": sid}}]
    assert read["service"]["usedBy"]["edges"] == [{"since": "2024-03-01", "node": {"id": world["city"]}}]
    assert read["services"]["totalCount"] == 1


def test_localised_names_fall_back_to_the_default(api, world):
    read = api(
        """query($c: ID!) { city(id: $c) { sv: name(lang: "sv") fi: name(lang: "fi") plain: name } }""",
        c=world["city"],
    )["city"]
    assert read == {"sv": "Tammerfors", "fi": "Tampere", "plain": "Tampere"}


def test_node_resolves_every_label_and_refuses_foreign_ids(api, world):
    for key, typename in (("city", "City"), ("cap", "Capability"), ("need", "Need"), ("vendor", "Vendor")):
        out = api("query($id: ID!) { node(id: $id) { __typename id } }", id=world[key])
        assert out["node"] == {"__typename": typename, "id": world[key]}
    assert api('{ node(id: "City:nope") { id } }')["node"] is None
    body = api.raw('{ node(id: "no-prefix") { id } }')
    assert "not a rolemap id" in body["errors"][0]["message"]


def test_connections_page_with_cursors_and_count_only_when_asked(api, monkeypatch):
    for name in ("A", "B", "C", "D", "E"):
        api(f'mutation {{ createTheme(input: {{name: "{name}"}}) {{ theme {{ id }} }} }}')
    page1 = api("{ themes(first: 2) { edges { node { name } } pageInfo { hasNextPage endCursor } } }")
    assert [e["node"]["name"] for e in page1["themes"]["edges"]] == ["A", "B"]
    assert page1["themes"]["pageInfo"]["hasNextPage"] is True
    cursor = page1["themes"]["pageInfo"]["endCursor"]
    page2 = api(
        "query($a: String) { themes(first: 10, after: $a) { totalCount edges { node { name } } "
        "pageInfo { hasNextPage hasPreviousPage } } }",
        a=cursor,
    )
    assert [e["node"]["name"] for e in page2["themes"]["edges"]] == ["C", "D", "E"]
    assert page2["themes"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    assert page2["themes"]["totalCount"] == 5
    # The read model pages a list it keeps, and counts it, with no statement; from the store,
    # without totalCount no count statement runs: one statement for the page alone.
    head = not api.store.sole_writer  # Neo4j: the registry's head, read once a request
    assert api.statements("{ themes(first: 2) { totalCount edges { node { id } } } }") == head
    with monkeypatch.context() as patched:
        read_model_unused(patched)
        assert api.statements("{ themes(first: 2) { edges { node { id } } } }") == 1 + head
        assert api.statements("{ themes(first: 2) { totalCount edges { node { id } } } }") == 2 + head
    for bad in (0, 101):
        body = api.raw(f"{{ themes(first: {bad}) {{ totalCount }} }}")
        assert "first must be between 1 and 100" in body["errors"][0]["message"]
    assert "cursor" in api.raw('{ themes(after: "%%%") { totalCount } }')["errors"][0]["message"]


def test_list_filters(api, world):
    api(REGISTER_SERVICE, v=world["vendor"], cap=world["cap"], ext="a", name="Night Bot")
    other = api('mutation { registerVendor(input: {name: "Other Oy"}) { vendor { id } } }')
    api(
        REGISTER_SERVICE,
        v=other["registerVendor"]["vendor"]["id"],
        cap=world["cap"],
        ext=None,
        name="Day desk",
    )
    out = api(
        """query($cap: ID!, $v: ID!) {
             bot: services(search: "BOT") { totalCount }
             byCap: services(capabilityId: $cap) { totalCount }
             byVendor: services(vendorId: $v, capabilityId: $cap) { totalCount }
             vendors(capabilityId: $cap) { totalCount }
             munis: cities(kind: MUNICIPALITY) { edges { node { name } } }
             active: services(lifecycle: ACTIVE) { totalCount }
             open: needs(status: OPEN) { totalCount } }""",
        cap=world["cap"],
        v=world["vendor"],
    )
    assert out["bot"]["totalCount"] == 1
    assert out["byCap"]["totalCount"] == 2
    assert out["byVendor"]["totalCount"] == 1
    assert out["vendors"]["totalCount"] == 2
    assert out["munis"]["edges"] == [{"node": {"name": "Tampere"}}]
    assert out["active"]["totalCount"] == 2
    assert out["open"]["totalCount"] == 1


def test_update_and_retire_service(api, world):
    sid = api(REGISTER_SERVICE, v=world["vendor"], cap=world["cap"], ext="x", name="Bot")["registerService"][
        "service"
    ]["id"]
    out = api(
        f"""mutation($s: ID!, $n: ID!) {{ updateService(id: $s, input: {{description: "Answers FAQs",
            needIds: [$n]}}) {{ service {{ description needs {{ totalCount }} capabilities {{ totalCount }} }}
            {ERRORS} }} }}""",
        s=sid,
        n=world["need"],
    )["updateService"]
    assert out["errors"] == []
    assert out["service"] == {
        "description": "Answers FAQs",
        "needs": {"totalCount": 1},
        "capabilities": {"totalCount": 1},
    }
    retire = f'mutation($s: ID!) {{ retireService(id: $s, reason: "Replaced") {{ service {{ lifecycle retiredReason }} {ERRORS} }} }}'
    assert api(retire, s=sid)["retireService"] == {
        "service": {"lifecycle": "RETIRED", "retiredReason": "Replaced"},
        "errors": [],
    }
    assert api(retire, s=sid)["retireService"]["errors"][0]["code"] == "INVALID_STATE"


def test_update_vendor_and_need(api, world):
    out = api(
        f"""mutation($v: ID!) {{ updateVendor(id: $v, input: {{website: "https://new.example",
            names: [{{lang: "fi", text: "Esimerkkibotit Oy"}}]}}) {{ vendor {{ website name(lang: "fi") businessId }}
            {ERRORS} }} }}""",
        v=world["vendor"],
    )["updateVendor"]
    assert out == {
        "vendor": {"website": "https://new.example", "name": "Esimerkkibotit Oy", "businessId": "0000001-1"},
        "errors": [],
    }
    out = api(
        f"""mutation($n: ID!) {{ updateNeed(id: $n, input: {{status: MET, themeIds: []}}) {{
            need {{ status themes {{ totalCount }} capabilities {{ totalCount }} }} {ERRORS} }} }}""",
        n=world["need"],
    )["updateNeed"]
    assert out == {
        "need": {"status": "MET", "themes": {"totalCount": 0}, "capabilities": {"totalCount": 1}},
        "errors": [],
    }


def test_cancel_pilot_then_decide(api, world):
    pid = api(
        'mutation($c: ID!) { createPilot(input: {cityId: $c, title: "Kiosk"}) { pilot { id } } }',
        c=world["city"],
    )["createPilot"]["pilot"]["id"]
    out = api(
        f'mutation($p: ID!) {{ cancelPilot(id: $p, reason: "Vendor withdrew") {{ pilot {{ status cancelReason }} {ERRORS} }} }}',
        p=pid,
    )["cancelPilot"]
    assert out == {"pilot": {"status": "CANCELLED", "cancelReason": "Vendor withdrew"}, "errors": []}
    out = api(
        f"""mutation($p: ID!) {{ recordDecision(input: {{pilotId: $p, outcome: DROP, rationale: "The vendor left the market",
            lessons: ["Check vendor commitment first"], decidedBy: "CIO"}}) {{ pilot {{ status }} {ERRORS} }} }}""",
        p=pid,
    )["recordDecision"]
    assert out == {"pilot": {"status": "DECIDED"}, "errors": []}


# Bad input: each returns its code and changes nothing. ---------------------------------------------

BAD_INPUTS = [
    (
        "unknown city",
        'mutation { createNeed(input: {cityId: "City:nowhere", title: "x"}) { need { id } %s } }',
        "NOT_FOUND",
        "cityId",
    ),
    (
        "id of the wrong label",
        'mutation($cap: ID!) { createNeed(input: {cityId: $cap, title: "x"}) { need { id } %s } }',
        "NOT_FOUND",
        "cityId",
    ),
    (
        "unknown capability in a list",
        'mutation($c: ID!) { createNeed(input: {cityId: $c, title: "x", capabilityIds: ["Capability:none"]}) '
        "{ need { id } %s } }",
        "NOT_FOUND",
        "capabilityIds",
    ),
    (
        "empty required text",
        'mutation { registerVendor(input: {name: "   "}) { vendor { id } %s } }',
        "REQUIRED",
        "name",
    ),
    (
        "end before start",
        'mutation($c: ID!) { createPilot(input: {cityId: $c, title: "x", startDate: "2026-05-01", '
        'endDate: "2026-04-01"}) { pilot { id } %s } }',
        "INVALID_DATE_RANGE",
        "endDate",
    ),
    (
        "negative budget",
        'mutation($c: ID!) { createPilot(input: {cityId: $c, title: "x", budgetEur: -5}) { pilot { id } %s } }',
        "NEGATIVE",
        "budgetEur",
    ),
    (
        "malformed URL",
        'mutation { registerVendor(input: {name: "X", website: "not a url"}) { vendor { id } %s } }',
        "INVALID_URL",
        "website",
    ),
    (
        "duplicate business id",
        'mutation { registerVendor(input: {name: "Copy", businessId: "0000001-1"}) { vendor { id } %s } }',
        "DUPLICATE",
        "businessId",
    ),
    (
        "duplicate city code",
        'mutation { createCity(input: {name: "Copy", kind: MUNICIPALITY, code: "837"}) { city { id } %s } }',
        "DUPLICATE",
        "code",
    ),
    (
        "unknown language",
        'mutation { createTheme(input: {name: "X", names: [{lang: "de", text: "Y"}]}) { theme { id } %s } }',
        "INVALID_LANGUAGE",
        "names[0].lang",
    ),
    (
        "service with neither vendor nor city",
        'mutation { registerService(input: {name: "X"}) { service { id } %s } }',
        "REQUIRED",
        "vendorId",
    ),
    (
        "decision for a proposed pilot",
        'mutation($p: ID!) { recordDecision(input: {pilotId: $p, outcome: DROP, rationale: "Long enough reason here", lessons: ["l"], '
        'decidedBy: "me"}) { decision { id } %s } }',
        "INVALID_STATE",
        "pilotId",
    ),
    (
        "decision without lessons",
        'mutation($ended: ID!) { recordDecision(input: {pilotId: $ended, outcome: DROP, rationale: "Long enough reason here", '
        'lessons: [], decidedBy: "me"}) { decision { id } %s } }',
        "LESSONS_REQUIRED",
        "lessons",
    ),
    (
        "decision with an empty lesson",
        'mutation($ended: ID!) { recordDecision(input: {pilotId: $ended, outcome: DROP, rationale: "Long enough reason here", '
        'lessons: [" "], decidedBy: "me"}) { decision { id } %s } }',
        "LESSONS_REQUIRED",
        "lessons",
    ),
    (
        "ending a proposed pilot",
        "mutation($p: ID!) { endPilot(id: $p) { pilot { id } %s } }",
        "INVALID_STATE",
        "id",
    ),
    (
        "starting an unknown pilot",
        'mutation { startPilot(id: "Pilot:x") { pilot { id } %s } }',
        "NOT_FOUND",
        "id",
    ),
    (
        "cancelling without a reason",
        'mutation($p: ID!) { cancelPilot(id: $p, reason: "") { pilot { id } %s } }',
        "REQUIRED",
        "reason",
    ),
    (
        "updating to end before start",
        'mutation($ended: ID!) { updatePilot(id: $ended, input: {endDate: "2020-01-01"}) { pilot { id } %s } }',
        "INVALID_DATE_RANGE",
        "endDate",
    ),
    (
        "using a service in an unknown city",
        'mutation($s: ID!) { useService(cityId: "City:x", serviceId: $s) { service { id } %s } }',
        "NOT_FOUND",
        "cityId",
    ),
]


@pytest.mark.parametrize(("case", "mutation", "code", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_returns_its_code_and_changes_nothing(api, world, store, case, mutation, code, field):
    sid = api(REGISTER_SERVICE, v=world["vendor"], cap=world["cap"], ext=None, name="Bot")["registerService"][
        "service"
    ]["id"]
    proposed = api(
        'mutation($c: ID!) { createPilot(input: {cityId: $c, title: "P"}) { pilot { id } } }', c=world["city"]
    )
    ended = api(
        'mutation($c: ID!) { createPilot(input: {cityId: $c, title: "E", startDate: "2026-01-01"}) { pilot { id } } }',
        c=world["city"],
    )["createPilot"]["pilot"]["id"]
    api("mutation($p: ID!) { startPilot(id: $p) { pilot { id } } }", p=ended)
    api("mutation($p: ID!) { endPilot(id: $p) { pilot { id } } }", p=ended)
    variables = {
        "c": world["city"],
        "cap": world["cap"],
        "p": proposed["createPilot"]["pilot"]["id"],
        "ended": ended,
        "s": sid,
    }
    query = mutation % ERRORS
    used = {k: v for k, v in variables.items() if f"${k}" in query}
    before = snapshot(store)
    body = api.raw(query, **used)
    assert "errors" not in body, body
    payload = next(iter(body["data"].values()))
    assert payload["errors"], f"{case}: no user error"
    assert (payload["errors"][0]["code"], payload["errors"][0]["field"]) == (code, field)
    assert all(v is None for k, v in payload.items() if k != "errors")
    assert snapshot(store) == before


def test_enum_and_type_errors_are_graphql_errors(api):
    body = api.raw('mutation { createCity(input: {name: "X", kind: VILLAGE}) { city { id } } }')
    assert "VILLAGE" in body["errors"][0]["message"]
    assert "data" not in body or body["data"] is None


def test_city_services_include_in_house_ones(api, world):
    out = api(
        f"""mutation($c: ID!, $cap: ID!) {{ registerService(input: {{operatorCityId: $c, name: "OuluBot",
            capabilityIds: [$cap]}}) {{ service {{ id operator {{ id }} vendor {{ id }} }} {ERRORS} }} }}""",
        c=world["city"],
        cap=world["cap"],
    )["registerService"]
    assert out["errors"] == [] and out["service"]["operator"] == {"id": world["city"]}
    assert out["service"]["vendor"] is None
    read = api(
        "query($c: ID!) { city(id: $c) { services { edges { relation since node { id } } } } }",
        c=world["city"],
    )
    assert read["city"]["services"]["edges"] == [
        {"relation": "OPERATES", "since": None, "node": {"id": out["service"]["id"]}}
    ]


BULK = """mutation($items: [RegisterServiceInput!]!) { registerServices(input: $items) {
  services { id name } errors { code field message } } }"""


def test_bulk_registration_is_all_or_nothing_and_idempotent(api, world, store):
    items = [
        {
            "vendorId": world["vendor"],
            "externalId": f"svc-{i}",
            "name": f"Service {i}",
            "capabilityIds": [world["cap"]],
        }
        for i in range(3)
    ]
    first = api(BULK, items=items)["registerServices"]
    assert first["errors"] == [] and len(first["services"]) == 3
    again = api(BULK, items=items)["registerServices"]
    assert [s["id"] for s in again["services"]] == [s["id"] for s in first["services"]]
    before = snapshot(store)
    broken = [*items, {"vendorId": world["vendor"], "name": " "}, {"vendorId": "Vendor:nope", "name": "X"}]
    out = api(BULK, items=broken)["registerServices"]
    assert out["services"] == []
    # Every bad item at once: the one that does not validate, and the one the graph refuses.
    assert [(e["code"], e["field"]) for e in out["errors"]] == [
        ("REQUIRED", "input[3].name"),
        ("NOT_FOUND", "input[4].vendorId"),
    ]
    out = api(BULK, items=[items[0], {"vendorId": "Vendor:nope", "name": "X"}])["registerServices"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "input[1].vendorId")]
    assert snapshot(store) == before
    assert api(BULK, items=[])["registerServices"]["errors"][0]["code"] == "REQUIRED"


# Texts: the rules the importer shares (rolemap.domain.rules). ------------------------------------

TEXT_CASES = [
    ("NUL in a name", "registerVendor", "{name: $t}", "Bots\x00Oy", "INVALID", "name"),
    ("newline in a name", "registerVendor", "{name: $t}", "Bots\nOy", "INVALID", "name"),
    (
        "escape in a business id",
        "registerVendor",
        '{name: "X", businessId: $t}',
        "1\x1b[31m",
        "INVALID",
        "businessId",
    ),
    ("CR in a description", "createTheme", '{name: "T", description: $t}', "a\rb", "INVALID", "description"),
    (
        "C1 control in a description",
        "createTheme",
        '{name: "T", description: $t}',
        "a\x85b",
        "INVALID",
        "description",
    ),
    ("lone surrogate in a name", "createTheme", "{name: $t}", "T\ud800", "INVALID", "name"),
    (
        "newline in a translated name",
        "createTheme",
        '{name: "T", names: [{lang: "fi", text: $t}]}',
        "a\nb",
        "INVALID",
        "names[0].text",
    ),
    (
        "a translated name too long",
        "createTheme",
        '{name: "T", names: [{lang: "fi", text: $t}]}',
        "x" * 201,
        "TOO_LONG",
        "names[0].text",
    ),
    (
        "tab in a website",
        "registerVendor",
        '{name: "X", website: $t}',
        "https://x.fi/\t",
        "INVALID",
        "website",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutation", "input_", "text", "code", "field"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES]
)
def test_control_characters_are_refused_in_every_text(api, store, case, mutation, input_, text, code, field):
    result = mutation.replace("register", "").replace("create", "").lower()
    query = f"mutation($t: String!) {{ {mutation}(input: {input_}) {{ {result} {{ id }} {ERRORS} }} }}"
    before = snapshot(store)
    body = json.dumps({"query": query, "variables": {"t": text}})  # \u escapes: a lone surrogate too
    headers = {"content-type": "application/json", **api.headers()}
    response = api.client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    payload = response.json()["data"][mutation]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload
    assert payload[result] is None
    assert snapshot(store) == before


def test_multi_line_texts_keep_newlines_and_tabs(api):
    text = "First line\n\tindented second line"
    out = api(
        """mutation($d: String!) { createTheme(input: {name: "T", description: $d,
           descriptions: [{lang: "fi", text: $d}]}) { theme { id description } errors { code field } } }""",
        d=text,
    )["createTheme"]
    assert out["errors"] == [] and out["theme"]["description"] == text
