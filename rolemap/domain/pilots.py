"""The pilot lifecycle: PROPOSED → RUNNING → ENDED → DECIDED, or CANCELLED on the way.

A decision closes a pilot that has ended or was cancelled; a decided pilot may be decided again,
the new decision superseding the current one (decisions are never edited in place).
"""

from __future__ import annotations

from .errors import Code, UserErrors

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
