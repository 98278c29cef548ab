"""`rolemap report`: a city's close-out state for people who read it on paper or in a spreadsheet:
pilots awaiting a decision, the year's decisions by outcome, and the lessons learned."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date

from .closeout import MAX_PILOT_MONTHS, Awaiting, awaiting_decision, decisions
from .index import RegistryIndex
from .queries import require
from .tables import SafeWriter

OUTCOME_ORDER = ("DEVELOP", "LEARNED", "DROP")


@dataclass
class CityReport:
    city: str
    year: int
    awaiting: list[Awaiting]
    decisions: list[dict]
    """The year's decisions that still stand: these are counted."""
    superseded: list[dict]
    """The year's decisions a later one replaced: listed, never counted."""
    pilot_of: dict[str, str]

    def by_outcome(self) -> Counter[str]:
        return Counter(d["outcome"] for d in self.decisions)


def city_report(
    index: RegistryIndex, city_id: str, year: int, today: date, max_months: int = MAX_PILOT_MONTHS
) -> CityReport:
    city = require(index, city_id, "City", "city")
    made = decisions(index, city_id=city, since=date(year, 1, 1), until=date(year, 12, 31))
    standing = {d["id"] for d in decisions(index, city_id=city, current_only=True)}
    pilot_of = {d["id"]: next(iter(sorted(index.into["DECIDED"].get(d["id"], ()))), "") for d in made}
    return CityReport(
        city,
        year,
        awaiting_decision(index, city, 0, today, max_months),
        [d for d in made if d["id"] in standing],
        [d for d in made if d["id"] not in standing],
        pilot_of,
    )


def markdown(index: RegistryIndex, report: CityReport) -> str:
    name = index.names[report.city]
    lines = [f"# Pilot close-out: {name}", ""]
    lines += [f"## Awaiting a decision ({len(report.awaiting)})", ""]
    if report.awaiting:
        lines += ["| pilot | why | due since | days overdue |", "| --- | --- | --- | ---: |"]
        lines += [
            f"| {_cell(index.names[a.pilot])} | {a.reason} | {a.since.isoformat()} | {a.days_overdue} |"
            for a in report.awaiting
        ]
    else:
        lines.append("Every ended pilot has a decision.")
    counts = report.by_outcome()
    lines += ["", f"## Decisions in {report.year} ({len(report.decisions)})", ""]
    lines += [", ".join(f"{o}: {counts[o]}" for o in OUTCOME_ORDER), ""]
    for d in report.decisions:
        pilot = index.names.get(report.pilot_of[d["id"]], "")
        lines.append(
            f"- {d['decidedAt'].date().isoformat()} **{d['outcome']}** {pilot}: {_cell(d['rationale'])}"
        )
    if report.superseded:
        lines += ["", f"Superseded by a later decision, not counted ({len(report.superseded)}):", ""]
        for d in report.superseded:
            pilot = _cell(index.names.get(report.pilot_of[d["id"]], ""))
            lines.append(
                f"- {d['decidedAt'].date().isoformat()} ~~{d['outcome']}~~ {pilot}: {_cell(d['rationale'])}"
            )
    lines += ["", "## Lessons learned", ""]
    lessons = [(d, lesson) for d in report.decisions for lesson in d["lessons"] or []]
    lines += [f"- {_cell(lesson)} ({index.names.get(report.pilot_of[d['id']], '')})" for d, lesson in lessons]
    if not lessons:
        lines.append(f"No decisions recorded in {report.year}.")
    return "\n".join(lines) + "\n"


def table(index: RegistryIndex, report: CityReport) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["section", "pilot_id", "pilot", "outcome_or_reason", "date", "days_overdue", "text"])
    for a in report.awaiting:
        writer.writerow(
            ["awaiting", a.pilot, index.names[a.pilot], a.reason, a.since.isoformat(), a.days_overdue, ""]
        )
    for d in report.decisions:
        pilot = report.pilot_of[d["id"]]
        day = d["decidedAt"].date().isoformat()
        writer.writerow(
            ["decision", pilot, index.names.get(pilot, ""), d["outcome"], day, "", d["rationale"]]
        )
        for lesson in d["lessons"] or []:
            writer.writerow(["lesson", pilot, index.names.get(pilot, ""), d["outcome"], day, "", lesson])
    for d in report.superseded:
        pilot = report.pilot_of[d["id"]]
        day = d["decidedAt"].date().isoformat()
        writer.writerow(
            ["superseded", pilot, index.names.get(pilot, ""), d["outcome"], day, "", d["rationale"]]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")
