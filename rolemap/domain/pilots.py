"""The pilot lifecycle: PROPOSED → RUNNING → ENDED → DECIDED, or CANCELLED on the way.

A decision closes a pilot that has ended or was cancelled; a decided pilot may be decided again,
the new decision superseding the current one (decisions are never edited in place).
"""

from __future__ import annotations

import json
import re

from .errors import Code, UserError, UserErrors

TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": (("PROPOSED",), "RUNNING"),
    "end": (("RUNNING",), "ENDED"),
    "cancel": (("PROPOSED", "RUNNING"), "CANCELLED"),
    "decide": (("ENDED", "CANCELLED", "DECIDED"), "DECIDED"),
}
EDITABLE = ("PROPOSED", "RUNNING", "ENDED")
"""States in which a pilot's plan (title, dates, links, budget) may still be changed."""


def next_status(action: str, status: str) -> str:
    """The status after `action`, or `UserErrors` (INVALID_STATE) when the pilot is not ready."""
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        raise UserErrors.one(
            Code.INVALID_STATE,
            "id" if action != "decide" else "pilotId",
            f"cannot {action} a pilot that is {status}; it must be {' or '.join(allowed)}",
        )
    return target


def check_dates(start, end) -> None:
    """INVALID_DATE_RANGE when a pilot would end before it starts."""
    if start and end and end < start:
        raise UserErrors.one(Code.INVALID_DATE_RANGE, "endDate", "endDate is before startDate")


def check_editable(status: str) -> None:
    if status not in EDITABLE:
        raise UserErrors.one(Code.INVALID_STATE, "id", f"a {status} pilot can no longer be changed")


def current_decision(decisions: list[dict]) -> dict | None:
    """The pilot's current decision: the newest, since each new one supersedes the one before."""
    return max(decisions, key=lambda d: (d["decidedAt"], d["id"]), default=None)


RATIONALE_MIN = 20
OCID = re.compile(r"^ocds-[a-z0-9]{6}-\S+$")
"""An OCDS open contracting id: `ocds-` and a 6-character publisher prefix, then the local id."""


def decision_problems(inp, criteria: list[dict]) -> list[UserError]:
    """Everything a decision lacks, each part with its own code: a rationale of 20 characters or more,
    at least one lesson, next steps for DEVELOP, results only for the pilot's own success criteria,
    and a procurement reference only on DEVELOP (an OCDS ocid when it starts with `ocds-`)."""
    problems = []
    if len(inp.rationale or "") < RATIONALE_MIN:
        problems.append(
            UserError(
                Code.RATIONALE_TOO_SHORT, "rationale", f"say why, in at least {RATIONALE_MIN} characters"
            )
        )
    if not inp.lessons:
        problems.append(UserError(Code.LESSONS_REQUIRED, "lessons", "record at least one lesson learned"))
    if inp.outcome == "DEVELOP" and not inp.nextSteps:
        problems.append(
            UserError(
                Code.NEXT_STEPS_REQUIRED, "nextSteps", "a DEVELOP decision needs at least one next step"
            )
        )
    known = {c["name"] for c in criteria}
    for i, result in enumerate(inp.results or []):
        if result.name not in known:
            problems.append(
                UserError(
                    Code.UNKNOWN_CRITERION,
                    f"results[{i}].name",
                    f"the pilot has no success criterion {result.name!r}",
                )
            )
    ref = inp.procurementRef
    if ref and inp.outcome != "DEVELOP":
        problems.append(
            UserError(Code.INVALID, "procurementRef", "only a DEVELOP decision leads to a procurement")
        )
    elif ref and ref.startswith("ocds-") and not OCID.match(ref):
        problems.append(
            UserError(Code.INVALID_OCID, "procurementRef", "an OCDS ocid looks like ocds-abc123-2026-001")
        )
    return problems


def criteria_of(pilot: dict) -> list[dict]:
    return json.loads(pilot.get("successCriteria") or "[]")
