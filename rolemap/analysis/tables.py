"""The analyses as CSV, for spreadsheets and reports."""

from __future__ import annotations

import csv
import io

from .index import RegistryIndex
from .queries import role_map

OFFERED_IN_CSV = 5


def role_map_table(index: RegistryIndex, city_id: str) -> str:
    """One row per capability, one column per vendor (and `in-house` for the city's own services);
    a cell is the vendor's role there, `DECIDED:<outcome>` for decided pilots."""
    rows = role_map(index, city_id, OFFERED_IN_CSV)
    vendors = sorted({c.vendor for r in rows for c in r.cells if c.vendor}, key=lambda v: (index.names[v], v))
    in_house = any(c.vendor is None for r in rows for c in r.cells)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
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
