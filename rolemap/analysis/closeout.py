"""Close-out: which pilots still owe a decision. A pilot past its `endDate` that is still RUNNING,
or ENDED or CANCELLED without a decision, is awaiting one; it is overdue by the days since it ended
(the end date, or when it was ended or cancelled)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta

from ..domain import overlap
from .index import RegistryIndex
from .queries import DRAFT_ID, PilotDraft, require

REASONS = {
    "RUNNING": "RUNNING_PAST_END",
    "ENDED": "ENDED_WITHOUT_DECISION",
    "CANCELLED": "CANCELLED_WITHOUT_DECISION",
}
NO_END_DATE = "NO_END_DATE"
"""A pilot running with no end date for longer than the longest a pilot may run."""
MAX_PILOT_MONTHS = 24


@dataclass(frozen=True)
class Awaiting:
    pilot: str
    reason: str
    since: date
    days_overdue: int


def awaiting_decision(
    index: RegistryIndex,
    city_id: str | None,
    overdue_days: int,
    today: date,
    max_months: int = MAX_PILOT_MONTHS,
) -> list[Awaiting]:
    """Pilots owing a decision, most overdue first (then by id). With a city, that city's pilots
    and those of every member when it is a region. A pilot running with no end date owes one once
    it has run `max_months` (reason NO_END_DATE)."""
    found = []
    for pilot in _pilots_of(index, city_id):
        status = index.pilot_status[pilot]
        if status not in REASONS or index.out["DECIDED"].get(pilot):
            continue
        since, reason = _owed_since(index, pilot, status, max_months)
        if since is None or since > today:
            continue
        days = (today - since).days
        if days >= overdue_days:
            found.append(Awaiting(pilot, reason, since, days))
    found.sort(key=lambda a: (-a.days_overdue, a.pilot))
    return found


def _owed_since(index: RegistryIndex, pilot: str, status: str, max_months: int) -> tuple[date | None, str]:
    """When the decision became due, and why: the planned end date for a running pilot (with none,
    `max_months` after it started); for an ended or cancelled one the day that happened (the
    planned end date when that is not recorded)."""
    if status == "RUNNING":
        end = index.pilot_end.get(pilot)
        if end is None:
            return index.pilot_start[pilot] + relativedelta(months=max_months), NO_END_DATE
        return end, REASONS[status]
    closed = index.pilot_closed[pilot][status]
    return (closed.date() if closed else index.pilot_end.get(pilot)), REASONS[status]


# Review ---------------------------------------------------------------------------------------

GROUPINGS = ("VENDOR", "CAPABILITY", "CITY", "THEME")


def _pilots_of(index: RegistryIndex, city_id: str | None):
    """Every pilot, or with a city those that it (or, for a region, a member) runs, in id order."""
    if not city_id:
        return index.pilots
    cities = index.with_members(require(index, city_id, "City", "cityId"))
    return sorted({p for c in cities for p in index.out["RUNS"].get(c, ())})


def decisions(
    index: RegistryIndex,
    city_id: str | None = None,
    outcome: str | None = None,
    vendor_id: str | None = None,
    capability_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    current_only: bool = False,
) -> list[dict]:
    """Decisions for review, newest first (then by id); `since`/`until` are inclusive days (UTC)."""
    pilots = _pilots_of(index, city_id)
    if vendor_id:
        require(index, vendor_id, "Vendor", "vendorId")
    if capability_id:
        require(index, capability_id, "Capability", "capabilityId")
    found = []
    for pilot in pilots:
        if vendor_id and vendor_id not in index.out["PARTNER"].get(pilot, ()):
            continue
        if capability_id and capability_id not in index.pilot_capabilities(pilot):
            continue
        history = index.decisions_of(pilot)
        for decision in history[:1] if current_only else history:
            day = decision["decidedAt"].date()
            if outcome and decision["outcome"] != outcome:
                continue
            if (since and day < since) or (until and day > until):
                continue
            found.append(decision)
    found.sort(key=lambda d: (d["decidedAt"], d["id"]), reverse=True)
    return found


@dataclass
class Summary:
    """How a set of pilots fares: every pilot is in progress, awaiting a decision or decided, and
    every decided one has the outcome of its current decision."""

    group: str | None
    pilots: list[str] = field(default_factory=list)
    in_progress: int = 0
    awaiting: int = 0
    decided: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"LEARNED": 0, "DEVELOP": 0, "DROP": 0})
    decisions: list[str] = field(default_factory=list)
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Pilot → (IN_PROGRESS | AWAITING | DECIDED, its current decision)."""


def summarise(index: RegistryIndex, group: str | None, pilots, waiting: set[str]) -> Summary:
    summary = Summary(group, sorted(pilots))
    for pilot in summary.pilots:
        history = index.decisions_of(pilot)
        if history:
            summary.decided += 1
            summary.outcomes[history[0]["outcome"]] += 1
            summary.decisions.append(history[0]["id"])
            summary.states[pilot] = ("DECIDED", history[0]["id"])
        elif pilot in waiting:
            summary.awaiting += 1
            summary.states[pilot] = ("AWAITING", None)
        else:
            summary.in_progress += 1
            summary.states[pilot] = ("IN_PROGRESS", None)
    return summary


def _groups_of(index: RegistryIndex, pilot: str, group_by: str) -> set[str | None]:
    if group_by == "VENDOR":
        found = set(index.out["PARTNER"].get(pilot, ()))
    elif group_by == "CAPABILITY":
        found = index.pilot_capabilities(pilot)
    elif group_by == "CITY":
        found = set(index.into["RUNS"].get(pilot, ()))
    else:
        found = {t for n in index.out["FOR_NEED"].get(pilot, ()) for t in index.out["IN_THEME"].get(n, ())}
    return found or {None}


def outcomes(
    index: RegistryIndex,
    group_by: str,
    city_id: str | None,
    since: date | None,
    today: date,
    max_months: int = MAX_PILOT_MONTHS,
    first: int | None = None,
) -> list[Summary]:
    """Per vendor, capability, city or theme: its pilots (started on or after `since`) in progress,
    awaiting or decided, and the decided ones by outcome. A pilot counts in every group it belongs
    to; pilots in none (no vendor, say) form the group `None`. Largest groups first; only the
    `first` largest summarised when given."""
    pilots = _pilots_of(index, city_id)
    waiting = {a.pilot for a in awaiting_decision(index, city_id, 0, today, max_months)}
    members: dict[str | None, list[str]] = {}
    for pilot in pilots:
        if since and index.pilot_start[pilot] < since:
            continue
        for group in _groups_of(index, pilot, group_by):
            members.setdefault(group, []).append(pilot)
    order = sorted(
        members, key=lambda g: (-len(members[g]), g is None, index.names.get(g or "", ""), g or "")
    )
    return [summarise(index, group, members[group], waiting) for group in order[:first]]


def vendor_track(
    index: RegistryIndex, vendor_id: str, today: date, max_months: int = MAX_PILOT_MONTHS
) -> Summary:
    waiting = {a.pilot for a in awaiting_decision(index, None, 0, today, max_months)}
    return summarise(index, vendor_id, index.into["PARTNER"].get(vendor_id, ()), waiting)


# Negative choices stay visible -----------------------------------------------------------------

SAME_CITY_WEIGHT = 1.0
OTHER_CITY_WEIGHT = 0.5


def months_before(day: date, months: int) -> date:
    return day - relativedelta(months=months)


def cooling_off(index: RegistryIndex, draft: PilotDraft, months: int, today: date) -> list[overlap.Overlap]:
    """Pilots DROPped within `months` that a planned pilot would repeat: it trials one of their
    services, or needs a capability they had. In the same city the warning weighs 1.0, elsewhere 0.5.
    The reason names the decision and its rationale."""
    services = set(draft.service_ids)
    caps = set(draft.capability_ids) | {c for n in draft.need_ids for c in index.out["REQUIRES"].get(n, ())}
    cutoff = months_before(today, months)
    found = []
    for pilot in index.pilots:
        history = index.decisions_of(pilot)
        if not history or history[0]["outcome"] != "DROP" or history[0]["decidedAt"].date() < cutoff:
            continue
        repeated = sorted(services & index.out["TRIALS"].get(pilot, set()))
        repeated += sorted(caps & index.pilot_capabilities(pilot)) if not repeated else []
        if not repeated:
            continue
        city = index.pilot_city(pilot)
        weight = SAME_CITY_WEIGHT if draft.city_id and city == draft.city_id else OTHER_CITY_WEIGHT
        found.append(
            overlap.Overlap(weight, DRAFT_ID, pilot, (_reason(index, history[0], city, repeated, weight),))
        )
    found.sort(key=lambda o: (-o.score, o.right))
    return found


def _reason(index: RegistryIndex, decision: dict, city: str | None, repeated: list[str], weight: float):
    day = decision["decidedAt"].date()
    what = ", ".join(index.names.get(x, x) for x in repeated)
    detail = (
        f"{what} was dropped in {index.names.get(city or '', 'another city')} on {day.isoformat()} "
        f"({decision['id']}): {decision['rationale']}"
    )
    return overlap.Reason("cooling-off", detail, weight)
