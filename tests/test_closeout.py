"""The close-out gate (issue 4): what a decision must contain, each missing part with its own code,
nothing written when anything is missing; success criteria and measured results; the follow-on
procurement reference."""

from __future__ import annotations

import pytest

from .conftest import snapshot

ERRORS = "errors { code field message }"
DECIDE = f"""mutation($input: RecordDecisionInput!) {{ recordDecision(input: $input) {{
  decision {{ id outcome rationale lessons nextSteps results {{ name measured met }} procurementRef }}
  pilot {{ status }} {ERRORS} }} }}"""


@pytest.fixture
def ended_pilot(api):
    city = api('mutation { createCity(input: {name: "Oulu", kind: MUNICIPALITY}) { city { id } } }')[
        "createCity"
    ]["city"]["id"]
    pilot = api(
        f"""mutation($c: ID!) {{ createPilot(input: {{cityId: $c, title: "OuluBot for enrolment",
            successCriteria: [{{name: "Questions answered", target: 70, unit: "%"}}, {{name: "Staff hours saved", target: 200, unit: "h"}}]}})
            {{ pilot {{ id successCriteria {{ name target unit }} }} {ERRORS} }} }}""",
        c=city,
    )["createPilot"]
    assert pilot["errors"] == []
    assert pilot["pilot"]["successCriteria"] == [
        {"name": "Questions answered", "target": 70.0, "unit": "%"},
        {"name": "Staff hours saved", "target": 200.0, "unit": "h"},
    ]
    pid = pilot["pilot"]["id"]
    for action in ("startPilot", "endPilot"):
        api(f'mutation {{ {action}(id: "{pid}") {{ {ERRORS} }} }}')
    return pid


GOOD = {
    "rationale": "The bot answered most enrolment questions",
    "lessons": ["Parents asked at night"],
    "decidedBy": "Oulu CIO",
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"outcome": "DROP", "lessons": []}, [("LESSONS_REQUIRED", "lessons")]),
        ({"outcome": "DROP", "rationale": None}, [("RATIONALE_TOO_SHORT", "rationale")]),
        ({"outcome": "DROP", "rationale": "Too short"}, [("RATIONALE_TOO_SHORT", "rationale")]),
        ({"outcome": "DEVELOP"}, [("NEXT_STEPS_REQUIRED", "nextSteps")]),
        (
            {"outcome": "DEVELOP", "rationale": "", "lessons": [" "], "nextSteps": []},
            [
                ("RATIONALE_TOO_SHORT", "rationale"),
                ("LESSONS_REQUIRED", "lessons"),
                ("NEXT_STEPS_REQUIRED", "nextSteps"),
            ],
        ),
        (
            {"outcome": "LEARNED", "results": [{"name": "Cost per answer", "measured": 1.2, "met": True}]},
            [("UNKNOWN_CRITERION", "results[0].name")],
        ),
        ({"outcome": "DROP", "procurementRef": "HEL-2026-12"}, [("INVALID", "procurementRef")]),
        (
            {"outcome": "DEVELOP", "nextSteps": ["Procure"], "procurementRef": "ocds-12-x"},
            [("INVALID_OCID", "procurementRef")],
        ),
    ],
)
def test_an_incomplete_decision_is_refused_with_each_code_and_nothing_written(
    api, store, ended_pilot, given, expected
):
    before = snapshot(store)
    out = api(DECIDE, input={**GOOD, "pilotId": ended_pilot, **given})["recordDecision"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == expected
    assert out["decision"] is None
    assert snapshot(store) == before


def test_a_complete_decision_with_results_and_a_procurement(api, ended_pilot):
    out = api(
        DECIDE,
        input={
            **GOOD,
            "pilotId": ended_pilot,
            "outcome": "DEVELOP",
            "nextSteps": ["Tender for all enrolment questions"],
            "results": [
                {"name": "Questions answered", "measured": 74, "met": True},
                {"name": "Staff hours saved", "measured": 150, "met": False},
            ],
            "procurementRef": "ocds-a1b2c3-2026-0042",
        },
    )["recordDecision"]
    assert out["errors"] == []
    assert out["pilot"]["status"] == "DECIDED"
    assert out["decision"]["results"] == [
        {"name": "Questions answered", "measured": 74.0, "met": True},
        {"name": "Staff hours saved", "measured": 150.0, "met": False},
    ]
    assert out["decision"]["procurementRef"] == "ocds-a1b2c3-2026-0042"
    own_ref = api(
        DECIDE,
        input={
            **GOOD,
            "pilotId": ended_pilot,
            "outcome": "DEVELOP",
            "nextSteps": ["Scale"],
            "procurementRef": "OULU/2026/17",
        },
    )["recordDecision"]
    assert own_ref["errors"] == []


def test_superseding_keeps_both_decisions(api, ended_pilot):
    first = api(DECIDE, input={**GOOD, "pilotId": ended_pilot, "outcome": "LEARNED"})["recordDecision"][
        "decision"
    ]
    second = api(DECIDE, input={**GOOD, "pilotId": ended_pilot, "outcome": "DROP"})["recordDecision"][
        "decision"
    ]
    chain = api(
        "query($p: ID!) { pilot(id: $p) { decision { id supersedes { id } } decisions { id outcome } } }",
        p=ended_pilot,
    )["pilot"]
    assert chain["decision"] == {"id": second["id"], "supersedes": {"id": first["id"]}}
    assert [d["outcome"] for d in chain["decisions"]] == ["DROP", "LEARNED"]


def test_success_criteria_names_are_unique(api):
    city = api('mutation { createCity(input: {name: "X", kind: MUNICIPALITY}) { city { id } } }')[
        "createCity"
    ]["city"]["id"]
    out = api(
        f"""mutation($c: ID!) {{ createPilot(input: {{cityId: $c, title: "P",
            successCriteria: [{{name: "Use"}}, {{name: "Use"}}]}}) {{ pilot {{ id }} {ERRORS} }} }}""",
        c=city,
    )["createPilot"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("DUPLICATE", "successCriteria")]


QUEUE = """query($city: ID, $days: Int, $first: Int, $after: String) {
  pilotsAwaitingDecision(cityId: $city, overdueDays: $days, first: $first, after: $after) {
    totalCount edges { cursor node { pilot { id status } reason since daysOverdue } } pageInfo { hasNextPage } } }"""


@pytest.fixture
def sample_api(api, store):
    from rolemap.bundle import import_bundle
    from rolemap.seed import default_seed_dir, seed_bundle

    import_bundle(store, seed_bundle(default_seed_dir()))
    return api


def queue(api, **variables) -> list[dict]:
    return [e["node"] for e in api(QUEUE, **variables)["pilotsAwaitingDecision"]["edges"]]


def test_the_sample_has_overdue_pilots_in_the_queue(sample_api):
    from datetime import UTC, date, datetime

    today = datetime.now(UTC).date()
    waiting = {n["pilot"]["id"]: n for n in queue(sample_api, first=100)}
    chatbot = waiting["Pilot:tampere-welfare-chatbot"]
    assert (chatbot["pilot"]["status"], chatbot["reason"]) == ("RUNNING", "RUNNING_PAST_END")
    assert chatbot["daysOverdue"] == (today - date(2025, 8, 31)).days > 0
    ended = waiting["Pilot:tampere-kipina-wellbeing-self-check"]
    assert ended["reason"] == "ENDED_WITHOUT_DECISION"
    days = [n["daysOverdue"] for n in waiting.values()]
    assert [n["daysOverdue"] for n in queue(sample_api, first=100)] == sorted(days, reverse=True)


def test_a_valid_decision_takes_a_pilot_out_of_the_queue(sample_api):
    pilot = "Pilot:tampere-kipina-wellbeing-self-check"
    assert pilot in {n["pilot"]["id"] for n in queue(sample_api, city="City:tampere")}
    refused = sample_api(DECIDE, input={"pilotId": pilot, "outcome": "DROP", "decidedBy": "Tampere CIO"})
    assert refused["recordDecision"]["errors"]
    assert pilot in {n["pilot"]["id"] for n in queue(sample_api, city="City:tampere")}
    out = sample_api(DECIDE, input={**GOOD, "pilotId": pilot, "outcome": "LEARNED"})["recordDecision"]
    assert out["errors"] == []
    assert pilot not in {n["pilot"]["id"] for n in queue(sample_api, city="City:tampere")}


def test_queue_filters_and_pages(sample_api):
    everything = queue(sample_api, first=100)
    assert len(everything) >= 2
    threshold = everything[-1]["daysOverdue"] + 1
    assert queue(sample_api, days=threshold, first=100) == everything[:-1]
    region = {n["pilot"]["id"] for n in queue(sample_api, city="City:tampere-region", first=100)}
    assert "Pilot:tampere-welfare-chatbot" in region  # a region's queue has its members' pilots
    first = sample_api(QUEUE, first=1)["pilotsAwaitingDecision"]
    assert first["totalCount"] == len(everything) and first["pageInfo"]["hasNextPage"]
    second = queue(sample_api, first=1, after=first["edges"][0]["cursor"])
    assert second == everything[1:2]
    body = sample_api.raw(QUEUE, days=-1)
    assert "overdueDays must not be negative" in body["errors"][0]["message"]


CREATE = f"""mutation($input: CreatePilotInput!) {{ createPilot(input: $input) {{ pilot {{ id status }}
  warnings {{ score pilot {{ id }} reasons {{ kind detail weight }} }} {ERRORS} }} }}"""


@pytest.fixture
def dropped(api, store):
    """A kiosk pilot in Tampere, dropped today; the kiosk has the capability a need requires."""
    from rolemap.bundle import import_bundle

    import_bundle(
        store,
        {
            "format": "rolemap-bundle",
            "version": 1,
            "nodes": {
                "City": [
                    {"id": "City:tampere", "name": "Tampere", "kind": "MUNICIPALITY"},
                    {"id": "City:oulu", "name": "Oulu", "kind": "MUNICIPALITY"},
                ],
                "Capability": [{"id": "Capability:kiosk", "name": "Self-service kiosk"}],
                "Vendor": [{"id": "Vendor:k", "name": "Kiosk Oy"}],
                "Service": [{"id": "Service:kiosk", "name": "Library kiosk", "lifecycle": "ACTIVE"}],
                "Need": [{"id": "Need:oulu-desk", "title": "Help at the library desk", "status": "OPEN"}],
            },
            "relationships": {
                "OFFERS": [{"src": "Vendor:k", "dst": "Service:kiosk"}],
                "HAS_CAPABILITY": [{"src": "Service:kiosk", "dst": "Capability:kiosk"}],
                "HAS_NEED": [{"src": "City:oulu", "dst": "Need:oulu-desk"}],
                "REQUIRES": [{"src": "Need:oulu-desk", "dst": "Capability:kiosk"}],
            },
        },
    )
    pilot = api(CREATE, input={"cityId": "City:tampere", "title": "Kiosk", "serviceIds": ["Service:kiosk"]})
    pid = pilot["createPilot"]["pilot"]["id"]
    for action in ("startPilot", "endPilot"):
        api(f'mutation {{ {action}(id: "{pid}") {{ {ERRORS} }} }}')
    out = api(
        DECIDE,
        input={
            **GOOD,
            "pilotId": pid,
            "outcome": "DROP",
            "rationale": "Residents would not queue at a kiosk",
        },
    )["recordDecision"]
    return pid, out["decision"]["id"]


def test_repiloting_a_dropped_service_warns_of_the_cooling_off(api, dropped):
    pid, decision = dropped
    out = api(
        CREATE, input={"cityId": "City:tampere", "title": "Kiosk again", "serviceIds": ["Service:kiosk"]}
    )["createPilot"]
    assert out["errors"] == [] and out["pilot"]["status"] == "PROPOSED"  # warnings never block
    warning = out["warnings"][0]
    assert (warning["pilot"]["id"], warning["score"]) == (pid, 1.0)
    reason = warning["reasons"][0]
    assert reason["kind"] == "cooling-off"
    assert decision in reason["detail"] and "Residents would not queue at a kiosk" in reason["detail"]
    assert reason["detail"].startswith("Library kiosk was dropped in Tampere on ")


def test_a_drop_elsewhere_warns_with_lower_weight_through_a_needs_capability(api, dropped):
    pid, _ = dropped
    out = api(CREATE, input={"cityId": "City:oulu", "title": "Desk help", "needIds": ["Need:oulu-desk"]})[
        "createPilot"
    ]
    cooling = [w for w in out["warnings"] if w["reasons"][0]["kind"] == "cooling-off"]
    assert [(w["pilot"]["id"], w["score"]) for w in cooling] == [(pid, 0.5)]
    assert cooling[0]["reasons"][0]["detail"].startswith("Self-service kiosk was dropped in Tampere")


def test_no_cooling_off_warning_after_the_period(api, dropped, monkeypatch):
    from rolemap.analysis import closeout

    real = closeout.months_before
    monkeypatch.setattr(
        closeout, "months_before", lambda day, months: real(day, months).replace(year=day.year + 1)
    )
    out = api(
        CREATE, input={"cityId": "City:tampere", "title": "Kiosk again", "serviceIds": ["Service:kiosk"]}
    )["createPilot"]
    assert all(w["reasons"][0]["kind"] != "cooling-off" for w in out["warnings"])


def test_months_before():
    from datetime import date

    from rolemap.analysis.closeout import months_before

    assert months_before(date(2026, 11, 23), 12) == date(2025, 11, 23)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 3) == date(2025, 10, 15)
