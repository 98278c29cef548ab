"""The analyses as CSV, for spreadsheets and reports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from .closeout import decisions
from .index import RegistryIndex
from .queries import role_map

OFFERED_IN_CSV = 5

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take for the start of a formula (OWASP, "CSV Injection")."""


def safe_cell(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading `'`, so a spreadsheet shows it as text
    instead of running it. Numbers are left alone; no text column holds a number or a date that
    starts with one of these (dates are ISO, ids start with their label)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` for every CSV rolemap produces: each cell goes through `safe_cell`, and every
    cell is quoted (as OWASP recommends; it also keeps a carriage return inside a cell, which the
    minimal quoting leaves bare, from starting a new row in a spreadsheet)."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])


def role_map_table(index: RegistryIndex, city_id: str) -> str:
    """One row per capability, one column per vendor (and `in-house` for the city's own services);
    a cell is the vendor's role there, `DECIDED:<outcome>` for decided pilots."""
    rows = role_map(index, city_id, OFFERED_IN_CSV)
    vendors = sorted({c.vendor for r in rows for c in r.cells if c.vendor}, key=lambda v: (index.names[v], v))
    in_house = any(c.vendor is None for r in rows for c in r.cells)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(
        ["capability", "capability_id", "stance", *(index.names[v] for v in vendors)]
        + (["in-house"] if in_house else [])
    )
    for row in rows:
        roles = {c.vendor: c.role + (f":{c.outcome}" if c.outcome else "") for c in row.cells}
        writer.writerow(
            [index.names[row.capability], row.capability, row.stance or ""]
            + [roles.get(v, "") for v in vendors]
            + ([roles.get(None, "")] if in_house else [])
        )
    return out.getvalue()


DECISION_COLUMNS = (
    "decided_at",
    "decision_id",
    "pilot_id",
    "pilot",
    "city",
    "outcome",
    "rationale",
    "lessons",
    "next_steps",
    "decided_by",
    "procurement_ref",
    "results",
    "supersedes",
    "superseded_by",
    "current",
)


def decisions_table(index: RegistryIndex, **filters) -> str:
    """The review list as CSV, newest first; lists are joined with " | "."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(DECISION_COLUMNS)
    for d in decisions(index, **filters):
        pilot = next(iter(sorted(index.into["DECIDED"].get(d["id"], ()))), "")
        city = index.pilot_city(pilot) if pilot else None
        current = bool(pilot) and index.decisions_of(pilot)[0]["id"] == d["id"]
        writer.writerow(
            [
                d["decidedAt"].isoformat().replace("+00:00", "Z"),
                d["id"],
                pilot,
                index.names.get(pilot, ""),
                index.names.get(city or "", ""),
                d["outcome"],
                d["rationale"],
                " | ".join(d["lessons"] or []),
                " | ".join(d["nextSteps"] or []),
                d["decidedBy"],
                d.get("procurementRef") or "",
                " | ".join(_result(r) for r in json.loads(d.get("results") or "[]")),
                next(iter(index.out["SUPERSEDES"].get(d["id"], ())), ""),
                next(iter(index.into["SUPERSEDES"].get(d["id"], ())), ""),
                "yes" if current else "no",
            ]
        )
    return out.getvalue()


def _result(result: dict) -> str:
    """`name: measured (met)`: what was measured against one success criterion."""
    measured = "" if result.get("measured") is None else f" {result['measured']:g}"
    return f"{result['name']}:{measured} ({'met' if result['met'] else 'not met'})"
