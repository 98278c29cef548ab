"""Close-out: which pilots still owe a decision. A pilot past its `endDate` that is still RUNNING,
or ENDED or CANCELLED without a decision, is awaiting one; it is overdue by the days since it ended
(the end date, or when it was ended or cancelled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .index import RegistryIndex
from .queries import _require

REASONS = {
    "RUNNING": "RUNNING_PAST_END",
    "ENDED": "ENDED_WITHOUT_DECISION",
    "CANCELLED": "CANCELLED_WITHOUT_DECISION",
}


@dataclass(frozen=True)
class Awaiting:
    pilot: str
    reason: str
    since: date
    days_overdue: int


def awaiting_decision(
    index: RegistryIndex, city_id: str | None, overdue_days: int, today: date
) -> list[Awaiting]:
    """Pilots owing a decision, most overdue first (then by id). With a city, that city's pilots
    and those of every member when it is a region."""
    cities = index.with_members(_require(index, city_id, "City", "cityId")) if city_id else None
    found = []
    for pilot in index.pilots:
        status = index.pilot_status[pilot]
        if status not in REASONS or index.out["DECIDED"].get(pilot):
            continue
        if cities is not None and not index.into["RUNS"].get(pilot, set()) & cities:
            continue
        since = _owed_since(index, pilot, status)
        if since is None or since > today:
            continue
        days = (today - since).days
        if days >= overdue_days:
            found.append(Awaiting(pilot, REASONS[status], since, days))
    found.sort(key=lambda a: (-a.days_overdue, a.pilot))
    return found


def _owed_since(index: RegistryIndex, pilot: str, status: str) -> date | None:
    """When the decision became due: the planned end date for a running pilot; for an ended or
    cancelled one the day that happened (the planned end date when that is not recorded)."""
    if status == "RUNNING":
        return index.pilot_end.get(pilot)
    closed = index.pilot_closed[pilot][status]
    return closed.date() if closed else index.pilot_end.get(pilot)
