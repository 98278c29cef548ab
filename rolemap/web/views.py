"""What each page shows, read from the same read model and use-case layer as the API.

Every function here is blocking (the pages call it in a worker thread) and reads through two doors
only: the analysis read model as of today (`index_cache.get().at(today)`, with the functions of
rolemap.analysis) and, for the fields of records, `Graph(store.read)` in batches of ids, one
statement per label or relationship whatever the number of rows. Names come in the page's
language (`localized`), falling back to the default text.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from ..analysis import closeout, queries
from ..analysis.index import RegistryIndex
from ..domain.errors import Code, UserErrors
from ..domain.i18n import localized
from ..domain.pilots import current_decision
from ..graph.access import Graph, Record
from ..graph.schema import label_of
from ..graph.store import Store
from . import charts

REGION_KINDS = ("REGION", "METROPOLIS", "NETWORK")
PAGES = {"City": "city", "Pilot": "pilot", "Vendor": "vendor", "Service": "service"}
"""Labels with a page of their own: `/city/tampere` shows `City:tampere`."""
ROLE_MAP_OFFERED = 3
ROLE_MAP_ROWS = 40
"""Capabilities per page of the role map: at scale M a city has hundreds (the CSV has them all)."""
OVERLAPS_FIRST = 20
OVERLAP_MIN_SCORE = 0.3
PRIOR_ART_FIRST = 6
PRIOR_ART_MIN_SCORE = 0.2
QUEUE_FIRST = 50
DECISIONS_PAGE = 25
OUTCOME_GROUPS = 10


class NotFound(Exception):
    """No record with that id: the page answers 404."""


def today() -> date:
    return datetime.now(UTC).date()


def url_of(node_id: str | None) -> str | None:
    """The page of a record, by its id: `City:tampere` → `/city/tampere`; None when it has none."""
    label = label_of(node_id) if node_id else None
    if label not in PAGES:
        return None
    return f"/{PAGES[label]}/{quote(node_id.partition(':')[2], safe='')}"


def id_of(label: str, slug: str) -> str:
    return f"{label}:{slug}"


def text_of(record: Record | None, lang: str, field_: str | None = None) -> str:
    """A record's name (or title) in `lang`, falling back to the default text."""
    if not record:
        return ""
    name = field_ or ("title" if "title" in record else "name")
    return localized(record, name, lang) or record.get("id", "")


@dataclass
class Reader:
    """One page's reads: the read model as of today (`index`, given by `IndexCache.read`, which
    holds it still meanwhile), and the graph for records' fields."""

    store: Store
    registry_index: RegistryIndex
    lang: str
    day: date = field(default_factory=today)

    def __post_init__(self) -> None:
        self.index = self.registry_index.at(self.day)
        self.graph = Graph(self.store.read)

    def kept(self, node_id: str | None) -> Record | None:
        """A City, Capability or Vendor record, kept whole by the read model (no statement)."""
        return self.index.records.get(node_id) if node_id else None

    def name(self, node_id: str | None, records: dict[str, Record] | None = None) -> str:
        """The localized name of any id: from `records` or the read model's records when there,
        else its stored name."""
        if not node_id:
            return ""
        record = (records or {}).get(node_id) or self.kept(node_id)
        if record:
            return text_of(record, self.lang)
        return self.index.names.get(node_id, node_id)

    def link(self, node_id: str | None, records: dict[str, Record] | None = None) -> dict[str, Any]:
        return {"id": node_id, "name": self.name(node_id, records), "url": url_of(node_id)}

    def city(self, city_id: str) -> Record:
        record = self.kept(city_id)
        if record is None or record["_label"] != "City":
            raise NotFound(city_id)
        return record

    def nodes(self, label: str, ids) -> dict[str, Record]:
        return self.graph.nodes(label, ids)

    def related(self, rel: str, src: str, dst: str, direction: str, ids) -> dict[str, list]:
        return self.graph.related(rel, src, dst, direction, ids)

    def is_region(self, record: Record) -> bool:
        return record.get("kind") in REGION_KINDS

    def members(self, region_id: str) -> list[str]:
        found = queries.scope_cities(self.index, None, region_id)
        return sorted(found - {region_id}, key=lambda c: (self.name(c).lower(), c))


def _cities(reader: Reader) -> list[Record]:
    return [r for r in reader.index.records.values() if r["_label"] == "City"]


# Home ----------------------------------------------------------------------------------------


def home(reader: Reader) -> dict[str, Any]:
    cities = _cities(reader)
    regions = sorted((c for c in cities if reader.is_region(c)), key=lambda c: text_of(c, reader.lang))
    grouped: set[str] = set()
    groups = []
    for region in regions:
        members = reader.members(region["id"])
        grouped.update(members)
        groups.append(
            {"region": _city_item(reader, region), "members": [_city_item(reader, m) for m in members]}
        )
    alone = sorted(
        (c for c in cities if c["id"] not in grouped and not reader.is_region(c)),
        key=lambda c: text_of(c, reader.lang),
    )
    return {"groups": groups, "alone": [_city_item(reader, c) for c in alone], "count": len(cities)}


def _city_item(reader: Reader, city: Record | str) -> dict[str, Any]:
    record = reader.kept(city) if isinstance(city, str) else city
    return {
        **reader.link(record["id"]),
        "kind": record.get("kind"),
        "country": record.get("country"),
        "population": record.get("population"),
    }


# City ----------------------------------------------------------------------------------------


def city(reader: Reader, city_id: str) -> dict[str, Any]:
    record = reader.city(city_id)
    lang, day = reader.lang, reader.day
    index = reader.index  # ids and decisions from the read model; records only for their fields
    parents = sorted(index.out["PART_OF"].get(city_id, ()))
    needs = [n for n, _ in reader.related("HAS_NEED", "City", "Need", "out", [city_id]).get(city_id, [])]
    used = reader.related("USES", "City", "Service", "out", [city_id]).get(city_id, [])
    operated = reader.related("OPERATES", "City", "Service", "out", [city_id]).get(city_id, [])
    pilots = [n for n, _ in reader.related("RUNS", "City", "Pilot", "out", [city_id]).get(city_id, [])]

    services = []
    for service, props in used:
        if props.get("status") == "REJECTED":
            continue
        services.append(_service_use(reader, service, props, "USES", day))
    for service, _ in operated:
        services.append(_service_use(reader, service, {}, "OPERATES", day))
    services.sort(key=lambda s: (not s["current"], s["name"].lower(), s["id"]))

    by_status: dict[str, list] = {s: [] for s in ("RUNNING", "PROPOSED", "ENDED", "DECIDED", "CANCELLED")}
    for pilot in sorted(pilots, key=lambda p: p.get("startDate") or date.min, reverse=True):
        decisions = index.decisions_of(pilot["id"])
        by_status.setdefault(pilot["status"], []).append(
            {
                **reader.link(pilot["id"], {pilot["id"]: pilot}),
                "start": pilot.get("startDate"),
                "end": pilot.get("endDate"),
                "outcome": decisions[0]["outcome"] if decisions else None,
            }
        )
    stances = [
        {
            "capability": reader.link(entry.capability),
            "ring": entry.history[0].ring,
            "since": entry.history[0].since.date(),
            "rationale": entry.history[0].rationale,
        }
        for entry in queries.radar(reader.index, city_id)
        if entry.history
    ]
    return {
        "city": _city_item(reader, record),
        "description": localized(record, "description", lang),
        "website": record.get("website"),
        "code": record.get("code"),
        "parents": [reader.link(p) for p in parents],
        "members": [reader.link(m) for m in reader.members(city_id)] if reader.is_region(record) else [],
        "needs": [
            {
                "id": n["id"],
                "anchor": _anchor(n["id"]),
                "title": text_of(n, lang),
                "description": localized(n, "description", lang),
                "status": n["status"],
                "capabilities": sorted(reader.name(c) for c in index.out["REQUIRES"].get(n["id"], ())),
            }
            for n in sorted(needs, key=lambda n: (n["status"] != "OPEN", text_of(n, lang).lower()))
        ],
        "services": services,
        "pilots": [(status, items) for status, items in by_status.items() if items],
        "stances": stances,
        "is_region": reader.is_region(record),
    }


def _service_use(reader, service: Record, props: dict, relation: str, day: date) -> dict[str, Any]:
    vendors = sorted(reader.index.into["OFFERS"].get(service["id"], ()))
    since, until = props.get("since"), props.get("until")
    retired = service.get("lifecycle") == "RETIRED"
    ended = bool(until and until <= day)
    return {
        **reader.link(service["id"], {service["id"]: service}),
        "relation": relation,
        "vendor": reader.link(vendors[0]) if vendors else None,
        "since": since,
        "until": until,
        "retired": retired,
        "retired_at": service.get("retiredAt").date() if service.get("retiredAt") else None,
        "claimed": props.get("status") == "CLAIMED",
        "current": not retired and not ended and not (since and since > day),
    }


def _page_of(items: list, page: int, size: int) -> tuple[list, int, int, int]:
    """Page `page` (from 1, brought into range) of `items` by `size`: its items, the page, the
    number of pages (at least 1) and the index of its first item."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 1), pages)
    first = (page - 1) * size
    return items[first : first + size], page, pages, first


def _anchor(node_id: str) -> str:
    return node_id.replace(":", "-")


# Role map ------------------------------------------------------------------------------------

IN_HOUSE = "in-house"


def role_map(reader: Reader, city_id: str, in_house_name: str, page: int = 1) -> dict[str, Any]:
    """One page of the role map's rows (`ROLE_MAP_ROWS` capabilities, in the API's order); the
    legend counts the whole map."""
    record = reader.city(city_id)
    every = queries.role_map(reader.index, city_id, ROLE_MAP_OFFERED)
    rows, page, pages, first = _page_of(every, page, ROLE_MAP_ROWS)
    service_ids = {s for r in rows for c in r.cells for s in c.services}
    pilot_ids = {p for r in rows for c in r.cells for p in c.pilots}
    services = reader.nodes("Service", service_ids)
    pilots = reader.nodes("Pilot", pilot_ids)

    strength: dict[str | None, tuple[int, int]] = {}
    counts: Counter = Counter()
    for row in rows:
        for cell in row.cells:
            order = queries.ROLE_ORDER.index(cell.role)
            counts[cell.vendor] += 1
            strength[cell.vendor] = min(strength.get(cell.vendor, (9, 0)), (order, 0))
    vendors = sorted(
        strength, key=lambda v: (strength[v][0], -counts[v], reader.name(v).lower() if v else "", v or "")
    )
    columns = [
        {"id": v, "name": reader.name(v) if v else in_house_name, "url": url_of(v) if v else None}
        for v in vendors
    ]
    column_of = {v: i for i, v in enumerate(vendors)}
    table = []
    for i, row in enumerate(rows):
        cells = []
        for cell in row.cells:
            j = column_of[cell.vendor]
            cells.append(
                {
                    "anchor": f"cell-{i}-{j}",
                    "column": j,
                    "vendor": columns[j],
                    "role": cell.role,
                    "outcome": cell.outcome,
                    "services": [reader.link(s, services) for s in sorted(cell.services)],
                    "pilots": [reader.link(p, pilots) for p in sorted(cell.pilots)],
                }
            )
        table.append(
            {
                "anchor": f"row-{i}",
                "capability": reader.link(row.capability),
                "stance": row.stance,
                "cells": cells,
                "by_role": {role: [c for c in cells if c["role"] == role] for role in queries.ROLE_ORDER},
            }
        )
    return {
        "city": _city_item(reader, record),
        "rows": table,
        "columns": columns,
        "picture": charts.role_matrix(table, columns),
        "counts": Counter(cell.role for row in every for cell in row.cells),
        "page": page,
        "pages": pages,
        "first_row": first + 1,
        "last_row": first + len(rows),
        "total_rows": len(every),
    }


# Overlaps ------------------------------------------------------------------------------------


def overlaps(reader: Reader, city_id: str, kind: str) -> dict[str, Any]:
    record = reader.city(city_id)
    region = reader.is_region(record)
    index = reader.index
    cities = queries.scope_cities(index, None if region else city_id, city_id if region else None)
    found = queries.overlaps(index, cities, kind, OVERLAP_MIN_SCORE, OVERLAPS_FIRST)
    ids = {o.left for o in found} | {o.right for o in found}
    records: dict[str, Record] = {}
    owners: dict[str, str] = {}
    if kind == "SERVICE":
        records = reader.nodes("Service", ids)
        for service, edges in reader.related("OFFERS", "Vendor", "Service", "in", ids).items():
            owners[service] = reader.name(edges[0][0]["id"]) if edges else ""
    elif kind == "PILOT":
        records = reader.nodes("Pilot", ids)
        for pilot, edges in reader.related("RUNS", "City", "Pilot", "in", ids).items():
            owners[pilot] = reader.name(edges[0][0]["id"]) if edges else ""

    def item(node_id: str) -> dict[str, Any]:
        return {**reader.link(node_id, records), "owner": owners.get(node_id, "")}

    pairs = [
        {
            "rank": n,
            "score": o.score,
            "left": item(o.left),
            "right": item(o.right),
            "reasons": [{"kind": r.kind, "detail": r.detail, "weight": r.weight} for r in o.reasons],
            "bar": charts.stacked_bar([(r.kind, r.weight) for r in o.reasons]),
        }
        for n, o in enumerate(found, start=1)
    ]
    nodes = {}
    for pair in pairs:
        for side in ("left", "right"):
            nodes.setdefault(pair[side]["id"], pair[side])
    edges = [(p["left"]["id"], p["right"]["id"], p["score"], p["rank"]) for p in pairs]
    return {
        "city": _city_item(reader, record),
        "region": region,
        "kind": kind,
        "pairs": pairs,
        "network": charts.network(list(nodes.values()), edges) if pairs else None,
        "kinds": sorted({r["kind"] for p in pairs for r in p["reasons"]}, key=charts.reason_order),
        "min_score": OVERLAP_MIN_SCORE,
    }


# Radar ---------------------------------------------------------------------------------------


def radar(reader: Reader, city_id: str) -> dict[str, Any]:
    record = reader.city(city_id)
    entries = queries.radar(reader.index, city_id)
    decision_ids = {d for e in entries for d in e.suggested_from}
    decisions = reader.nodes("Decision", decision_ids)
    pilot_of = {
        d: edges[0][0]["id"]
        for d, edges in reader.related("DECIDED", "Pilot", "Decision", "in", decision_ids).items()
        if edges
    }
    items = []
    for n, entry in enumerate(entries, start=1):
        ring = entry.history[0].ring if entry.history else None
        items.append(
            {
                "number": n,
                "anchor": f"cap-{n}",
                "capability": reader.link(entry.capability),
                "ring": ring,
                "since": entry.history[0].since.date() if entry.history else None,
                "rationale": entry.history[0].rationale if entry.history else None,
                "history": [
                    {"ring": c.ring, "since": c.since.date(), "rationale": c.rationale} for c in entry.history
                ],
                "suggested": entry.suggested_ring,
                "differs": entry.suggested_ring is not None and entry.suggested_ring != ring,
                "suggested_from": [
                    {
                        "id": d,
                        "outcome": decisions[d]["outcome"],
                        "rationale": decisions[d]["rationale"],
                        "decided_at": decisions[d]["decidedAt"].date(),
                        "pilot": reader.link(pilot_of.get(d)),
                    }
                    for d in entry.suggested_from
                    if d in decisions
                ],
            }
        )
    return {
        "city": _city_item(reader, record),
        "items": items,
        "picture": charts.radar([i for i in items if i["ring"] or i["suggested"]]),
        "unplaced": [i for i in items if not i["ring"]],
    }


# Pilot ---------------------------------------------------------------------------------------


def pilot(reader: Reader, pilot_id: str) -> dict[str, Any]:
    found = reader.nodes("Pilot", [pilot_id])
    if pilot_id not in found:
        raise NotFound(pilot_id)
    record, lang, ids = found[pilot_id], reader.lang, [pilot_id]
    city = [c["id"] for c, _ in reader.related("RUNS", "City", "Pilot", "in", ids).get(pilot_id, [])]
    needs = [n for n, _ in reader.related("FOR_NEED", "Pilot", "Need", "out", ids).get(pilot_id, [])]
    services = [s for s, _ in reader.related("TRIALS", "Pilot", "Service", "out", ids).get(pilot_id, [])]
    vendors = [v["id"] for v, _ in reader.related("PARTNER", "Pilot", "Vendor", "out", ids).get(pilot_id, [])]
    targets = [
        c["id"] for c, _ in reader.related("TARGETS", "Pilot", "Capability", "out", ids).get(pilot_id, [])
    ]
    chain = [d for d, _ in reader.related("DECIDED", "Pilot", "Decision", "out", ids).get(pilot_id, [])]
    chain.sort(key=lambda d: (d["decidedAt"], d["id"]), reverse=True)

    draft = queries.PilotDraft(
        city_id=city[0] if city else None,
        need_ids=[n["id"] for n in needs],
        service_ids=[s["id"] for s in services],
        capability_ids=targets,
        title=record.get("title"),
        description=record.get("description"),
    )
    matches = [
        m
        for m in queries.similar_pilots(reader.index, draft, PRIOR_ART_MIN_SCORE, PRIOR_ART_FIRST + 1)
        if m.right != pilot_id
    ][:PRIOR_ART_FIRST]
    match_ids = [m.right for m in matches]
    match_records = reader.nodes("Pilot", match_ids)
    match_cities = reader.related("RUNS", "City", "Pilot", "in", match_ids)
    match_decisions = reader.related("DECIDED", "Pilot", "Decision", "out", match_ids)
    prior_art = []
    for m in matches:
        decision = current_decision([d for d, _ in match_decisions.get(m.right, [])])
        where = match_cities.get(m.right, [])
        prior_art.append(
            {
                **reader.link(m.right, match_records),
                "score": m.score,
                "city": reader.link(where[0][0]["id"]) if where else None,
                "status": match_records.get(m.right, {}).get("status"),
                "decision": _decision(decision) if decision else None,
                "reasons": [{"kind": r.kind, "detail": r.detail, "weight": r.weight} for r in m.reasons],
                "bar": charts.stacked_bar([(r.kind, r.weight) for r in m.reasons]),
            }
        )
    criteria = json.loads(record.get("successCriteria") or "[]")
    return {
        "pilot": {
            **reader.link(pilot_id, found),
            "description": localized(record, "description", lang),
            "status": record["status"],
            "start": record.get("startDate"),
            "end": record.get("endDate"),
            "budget": record.get("budgetEur"),
            "cancel_reason": record.get("cancelReason"),
            "criteria": criteria,
        },
        "city": reader.link(city[0]) if city else None,
        "needs": [{"title": text_of(n, lang), "status": n["status"]} for n in needs],
        "services": [reader.link(s["id"], {s["id"]: s}) for s in services],
        "vendors": [reader.link(v) for v in vendors],
        "capabilities": sorted((reader.link(c) for c in targets), key=lambda c: c["name"].lower()),
        "chain": [_decision(d) for d in chain],
        "prior_art": prior_art,
        "decidable": record["status"] in ("ENDED", "CANCELLED", "DECIDED"),
    }


def _decision(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "anchor": _anchor(record["id"]),
        "outcome": record["outcome"],
        "rationale": record["rationale"],
        "lessons": record.get("lessons") or [],
        "next_steps": record.get("nextSteps") or [],
        "decided_by": record.get("decidedBy"),
        "decided_at": record["decidedAt"],
        "procurement_ref": record.get("procurementRef"),
        "results": json.loads(record.get("results") or "[]"),
    }


# Procurement ---------------------------------------------------------------------------------

GROUP_SEGMENTS = ("in_progress", "awaiting", "LEARNED", "DEVELOP", "DROP")


def procurement(
    reader: Reader, city_id: str | None, filters: dict[str, Any], page: int, max_months: int
) -> dict[str, Any]:
    index, day = reader.index, reader.day
    if city_id:
        reader.city(city_id)
    # The same for every visitor until the next write: computed once per revision (DayView.memo).
    queue = index.memo(
        ("awaiting", city_id, max_months),
        lambda: closeout.awaiting_decision(index, city_id, 0, day, max_months),
    )
    shown = queue[:QUEUE_FIRST]
    listed = index.memo(
        ("decisions", repr(sorted(filters.items()))), lambda: closeout.decisions(index, **filters)
    )
    decisions, page, pages, _ = _page_of(listed, page, DECISIONS_PAGE)
    decision_ids = [d["id"] for d in decisions]
    pilot_of = {
        d: edges[0][0]["id"]
        for d, edges in reader.related("DECIDED", "Pilot", "Decision", "in", decision_ids).items()
        if edges
    }
    pilot_ids = [a.pilot for a in shown] + list(pilot_of.values())
    pilots = reader.nodes("Pilot", pilot_ids)
    cities = reader.related("RUNS", "City", "Pilot", "in", pilot_ids)

    def pilot_item(pilot_id: str) -> dict[str, Any]:
        where = cities.get(pilot_id, [])
        return {**reader.link(pilot_id, pilots), "city": reader.link(where[0][0]["id"]) if where else None}

    groups = {}
    for group_by in ("VENDOR", "CAPABILITY"):
        summaries = index.memo(
            ("outcomes", group_by, city_id, max_months),
            lambda group_by=group_by: closeout.outcomes(
                index, group_by, city_id, None, day, max_months, first=OUTCOME_GROUPS
            ),
        )
        rows = [
            {
                "group": reader.link(s.group) if s.group else None,
                "pilots": len(s.pilots),
                "in_progress": s.in_progress,
                "awaiting": s.awaiting,
                "decided": s.decided,
                **s.outcomes,
            }
            for s in summaries
        ]
        groups[group_by] = {"rows": rows, "picture": charts.outcome_bars(rows, GROUP_SEGMENTS)}
    return {
        "queue": [
            {
                **pilot_item(a.pilot),
                "reason": a.reason,
                "since": a.since,
                "days": a.days_overdue,
                "status": pilots.get(a.pilot, {}).get("status"),
            }
            for a in shown
        ],
        "queue_total": len(queue),
        "groups": groups,
        "decisions": [
            {**_decision(d), "pilot": pilot_item(pilot_of[d["id"]]) if d["id"] in pilot_of else None}
            for d in decisions
        ],
        "decisions_total": len(listed),
        "page": page,
        "pages": pages,
        "cities": sorted(
            (reader.link(c["id"]) for c in _cities(reader)), key=lambda c: (c["name"].lower(), c["id"])
        ),
        "capabilities": sorted(
            (reader.link(c["id"]) for c in reader.index.records.values() if c["_label"] == "Capability"),
            key=lambda c: (c["name"].lower(), c["id"]),
        ),
        "vendors": [
            r["group"] for r in groups["VENDOR"]["rows"] if r["group"]
        ],  # the busiest, as suggestions for the filter
    }


# Vendor and service --------------------------------------------------------------------------


def vendor(reader: Reader, vendor_id: str, max_months: int) -> dict[str, Any]:
    record = reader.kept(vendor_id)
    if record is None or record["_label"] != "Vendor":
        raise NotFound(vendor_id)
    lang = reader.lang
    offered = [
        s for s, _ in reader.related("OFFERS", "Vendor", "Service", "out", [vendor_id]).get(vendor_id, [])
    ]
    service_ids = [s["id"] for s in offered]
    caps = reader.related("HAS_CAPABILITY", "Service", "Capability", "out", service_ids)
    users = reader.related("USES", "City", "Service", "in", service_ids)
    track = closeout.vendor_track(reader.index, vendor_id, reader.day, max_months)
    pilot_ids = list(track.states)
    pilots = reader.nodes("Pilot", pilot_ids)
    decisions = reader.nodes("Decision", [d for _, d in track.states.values() if d])
    offerings = []
    for service in sorted(offered, key=lambda s: (s["lifecycle"] != "ACTIVE", text_of(s, lang).lower())):
        sid = service["id"]
        offerings.append(
            {
                **reader.link(sid, {sid: service}),
                "anchor": _anchor(sid),
                "slug": sid.partition(":")[2],
                "plain_name": service.get("name"),
                "description": localized(service, "description", lang),
                "plain_description": service.get("description") or "",
                "website": service.get("website"),
                "external_id": service.get("externalId"),
                "lifecycle": service["lifecycle"],
                "retired_at": service.get("retiredAt"),
                "retired_reason": service.get("retiredReason"),
                "capabilities": sorted(
                    (reader.link(c["id"]) for c, p in caps.get(sid, []) if p.get("status") != "REJECTED"),
                    key=lambda c: c["name"].lower(),
                ),
                "users": sorted(
                    {reader.name(c["id"]) for c, p in users.get(sid, []) if p.get("status") != "REJECTED"}
                ),
            }
        )
    track_rows = [
        {
            **reader.link(p, pilots),
            "state": state,
            "outcome": decisions[d]["outcome"] if d and d in decisions else None,
            "rationale": decisions[d]["rationale"] if d and d in decisions else None,
        }
        for p, (state, d) in sorted(track.states.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]
    return {
        "vendor": {
            **reader.link(vendor_id),
            "description": localized(record, "description", lang),
            "website": record.get("website"),
            "business_id": record.get("businessId"),
            "country": record.get("country"),
            "illustrative": bool(record.get("illustrative")),
        },
        "offerings": offerings,
        "track": {
            "pilots": len(track.pilots),
            "in_progress": track.in_progress,
            "awaiting": track.awaiting,
            "decided": track.decided,
            **track.outcomes,
            "rows": track_rows,
        },
        "all_capabilities": capability_choices(reader),
    }


def capability_choices(reader: Reader) -> list[dict[str, Any]]:
    return sorted(
        (reader.link(c["id"]) for c in reader.index.records.values() if c["_label"] == "Capability"),
        key=lambda c: (c["name"].lower(), c["id"]),
    )


def service(reader: Reader, service_id: str) -> dict[str, Any]:
    found = reader.nodes("Service", [service_id])
    if service_id not in found:
        raise NotFound(service_id)
    record, ids, lang = found[service_id], [service_id], reader.lang
    vendors = reader.related("OFFERS", "Vendor", "Service", "in", ids).get(service_id, [])
    operators = reader.related("OPERATES", "City", "Service", "in", ids).get(service_id, [])
    caps = reader.related("HAS_CAPABILITY", "Service", "Capability", "out", ids).get(service_id, [])
    users = reader.related("USES", "City", "Service", "in", ids).get(service_id, [])
    pilots = reader.related("TRIALS", "Pilot", "Service", "in", ids).get(service_id, [])
    return {
        "service": {
            **reader.link(service_id, found),
            "description": localized(record, "description", lang),
            "lifecycle": record["lifecycle"],
            "website": record.get("website"),
            "retired_at": record.get("retiredAt"),
            "retired_reason": record.get("retiredReason"),
        },
        "vendor": reader.link(vendors[0][0]["id"]) if vendors else None,
        "operator": reader.link(operators[0][0]["id"]) if operators else None,
        "capabilities": sorted(
            (
                {**reader.link(c["id"]), "claimed": p.get("status") == "CLAIMED"}
                for c, p in caps
                if p.get("status") != "REJECTED"
            ),
            key=lambda c: c["name"].lower(),
        ),
        "users": [
            {
                **reader.link(c["id"]),
                "since": p.get("since"),
                "until": p.get("until"),
                "claimed": p.get("status") == "CLAIMED",
            }
            for c, p in sorted(users, key=lambda e: reader.name(e[0]["id"]).lower())
            if p.get("status") != "REJECTED"
        ],
        "pilots": [{**reader.link(p["id"], {p["id"]: p}), "status": p["status"]} for p, _ in pilots],
    }


def not_found_error(exc: UserErrors) -> bool:
    return any(e.code is Code.NOT_FOUND for e in exc.errors)
