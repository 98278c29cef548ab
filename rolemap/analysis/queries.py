"""The analyses a CIO office asks for, computed on a `RegistryIndex` (no statements of their own):

- overlaps: which services, pilots or vendors in a scope do the same thing, and why;
- similar pilots: prior art for a pilot being planned, with what was decided;
- coverage gaps: open needs that nothing the city (or its region) has covers, with candidates;
- role map: per capability, each vendor's role in the city (in use, piloting, decided, offered);
- radar: the city's stance per capability, its history, and a ring suggested by its decisions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..domain import overlap
from ..domain.errors import Code, UserErrors
from ..domain.text import terms
from ..graph.schema import label_of
from .index import RegistryIndex, StanceChange

KINDS = ("SERVICE", "PILOT", "VENDOR")
ROLE_ORDER = ("IN_USE", "PILOTING", "DECIDED", "OFFERED")
SUGGESTED_RING = {"DROP": "EXCLUDE", "LEARNED": "WATCH"}
OPEN_PILOT = ("PROPOSED", "RUNNING", "ENDED")


def require(index: RegistryIndex, node_id: str | None, label: str, field: str) -> str:
    """The id when the index has a `label` with it; NOT_FOUND naming `field` otherwise."""
    if not node_id or label_of(node_id) != label or node_id not in index.names:
        raise UserErrors.one(Code.NOT_FOUND, field, f"no {label} with id {node_id}")
    return node_id


# Overlaps -----------------------------------------------------------------------------------


def scope_cities(index: RegistryIndex, city_id=None, region_id=None, all_=False) -> set[str] | None:
    """The cities a scope covers (None for the whole registry)."""
    given = [x for x in (city_id, region_id, all_ or None) if x]
    if len(given) != 1:
        raise UserErrors.one(Code.INVALID, "scope", "give exactly one of cityId, regionId or all: true")
    if all_:
        return None
    if city_id:
        return {require(index, city_id, "City", "scope.cityId")}
    return index.with_members(require(index, region_id, "City", "scope.regionId"))


CORPORA = {"SERVICE": "service_corpus", "PILOT": "pilot_corpus", "VENDOR": "vendor_corpus"}


def overlaps(
    index: RegistryIndex, cities: set[str] | None, kind: str, min_score: float, first: int
) -> list[overlap.Overlap]:
    """SERVICE and VENDOR: pairs inside the scope. PILOT: pilots in the scope against pilots
    anywhere, since duplicates across cities are the point."""
    corpus = getattr(index, CORPORA[kind])  # built on first use: only the kind asked for
    inside = None if cities is None else corpus.in_cities(cities)
    if kind == "PILOT":
        return corpus.best_from(inside if inside is not None else corpus.items, min_score, first)
    return corpus.best_within(inside, min_score, first)


# Prior art ----------------------------------------------------------------------------------


@dataclass
class PilotDraft:
    city_id: str | None = None
    need_ids: list[str] = field(default_factory=list)
    service_ids: list[str] = field(default_factory=list)
    capability_ids: list[str] = field(default_factory=list)
    title: str | None = None
    description: str | None = None


DRAFT_ID = "Pilot:draft"


def draft_item(index: RegistryIndex, draft: PilotDraft) -> overlap.Item:
    for ids, label, name in (
        (draft.need_ids, "Need", "needIds"),
        (draft.service_ids, "Service", "serviceIds"),
        (draft.capability_ids, "Capability", "capabilityIds"),
    ):
        for node_id in ids:
            require(index, node_id, label, name)
    cities = {require(index, draft.city_id, "City", "cityId")} if draft.city_id else set()
    written = tuple(terms(draft.title, draft.description))
    cities |= index.cities_named(Counter(written))  # "…in Tammerfors": a place given in words
    # Like a pilot's: the capabilities it targets and those of the services it would trial, never
    # those its needs require (a need is why, not what is tried).
    caps = set(draft.capability_ids)
    caps |= {c for s in draft.service_ids for c in index.out["HAS_CAPABILITY"].get(s, ())}
    return overlap.Item(
        id=DRAFT_ID,
        capabilities=frozenset(caps),
        needs=frozenset(draft.need_ids),
        themes=frozenset(t for n in draft.need_ids for t in index.out["IN_THEME"].get(n, ())),
        cities=frozenset(cities),
        regions=frozenset(r for c in cities for r in index.regions_of(c)),
        terms=written,
    )


def similar_pilots(
    index: RegistryIndex, draft: PilotDraft, min_score: float, first: int
) -> list[overlap.Overlap]:
    corpus = index.pilot_corpus
    item = draft_item(index, draft)
    found = (corpus.compare_draft(item, corpus.items[p]) for p in sorted(corpus.candidates_of(item)))
    return overlap.rank(found, min_score, first)


# Coverage gaps ------------------------------------------------------------------------------


@dataclass
class Gap:
    need: str
    missing: list[str]
    candidates: list[str]


def coverage_gaps(index: RegistryIndex, city_id: str, candidates_first: int) -> list[Gap]:
    """Open needs of the city whose required capabilities nothing the city or its region uses,
    operates or pilots covers. A narrower capability covers a broader requirement."""
    city = require(index, city_id, "City", "cityId")
    neighbours = {city} | {m for r in index.regions_of(city) for m in index.with_members(r)}
    in_scope = {
        s for c in neighbours for s in index.city_services(c) if index.service_lifecycle[s] == "ACTIVE"
    }
    covered = {c for s in in_scope for c in index.out["HAS_CAPABILITY"].get(s, ())}
    gaps = []
    for need in sorted(index.out["HAS_NEED"].get(city, ())):
        if index.need_status[need] != "OPEN":
            continue
        required = sorted(index.out["REQUIRES"].get(need, ()))
        missing = [c for c in required if not index.narrower_or_same(c) & covered]
        if missing:
            gaps.append(Gap(need, missing, _candidates(index, missing, in_scope, candidates_first)))
    return gaps


def _candidates(index: RegistryIndex, missing: list[str], exclude: set[str], first: int) -> list[str]:
    """Active services elsewhere offering the missing capabilities: those covering more of them
    first, then those more cities already use, then by id."""
    offering: Counter[str] = Counter()
    for cap in missing:
        covering = {s for c in index.narrower_or_same(cap) for s in index.popular_services(c)}
        offering.update(covering - exclude)
    ranked = sorted(offering, key=lambda s: (-offering[s], -index.users(s), s))
    return ranked[:first]


# Role map -----------------------------------------------------------------------------------


@dataclass
class Cell:
    vendor: str | None
    role: str
    outcome: str | None = None
    services: set[str] = field(default_factory=set)
    pilots: set[str] = field(default_factory=set)


@dataclass
class Row:
    capability: str
    stance: str | None
    cells: list[Cell]


def role_map(index: RegistryIndex, city_id: str, offered_first: int) -> list[Row]:
    """Rows per capability the city uses, pilots, decided on, needs or has a stance on; a cell per
    vendor (None: the city's own, in-house) with its strongest role there."""
    city = require(index, city_id, "City", "cityId")
    cells: dict[tuple[str, str | None], Cell] = {}

    def mark(service: str, role: str, pilot: str | None = None, outcome: str | None = None) -> None:
        vendor = next(iter(sorted(index.into["OFFERS"].get(service, ()))), None)
        for cap in index.out["HAS_CAPABILITY"].get(service, ()):
            cell = cells.get((cap, vendor))
            if cell is None or ROLE_ORDER.index(role) < ROLE_ORDER.index(cell.role):
                cell = cells[cap, vendor] = Cell(vendor, role, outcome)
            elif cell.role == role and outcome:
                cell.outcome = outcome  # pilots come oldest decision first: the newest wins
            if cell.role == role:
                if index.service_lifecycle[service] == "ACTIVE":  # a retired one is history: the
                    cell.services.add(service)  # decided pilot still shows, the service does not
                if pilot:
                    cell.pilots.add(pilot)

    for service in index.out["USES"].get(city, set()) | index.out["OPERATES"].get(city, set()):
        mark(service, "IN_USE")
    for pilot in sorted(index.out["RUNS"].get(city, ()), key=_newest_decision_last(index)):
        decisions = index.decisions_of(pilot)
        for service in index.out["TRIALS"].get(pilot, ()):
            if decisions:
                mark(service, "DECIDED", pilot, decisions[0]["outcome"])
            elif index.pilot_status[pilot] in OPEN_PILOT:
                mark(service, "PILOTING", pilot)
    caps = {cap for cap, _ in cells}
    caps |= {c for n in index.out["HAS_NEED"].get(city, ()) for c in index.out["REQUIRES"].get(n, ())}
    caps |= {cap for (c, cap) in index.stances if c == city}
    by_cap: dict[str, list[Cell]] = {}
    for (cap, _), cell in cells.items():
        by_cap.setdefault(cap, []).append(cell)
    rows = []
    for cap in sorted(caps, key=lambda c: (index.names.get(c, c), c)):
        row_cells = sorted(
            by_cap.get(cap, []),
            key=lambda cell: (
                ROLE_ORDER.index(cell.role),
                index.names.get(cell.vendor or "", ""),
                cell.vendor or "",
            ),
        )
        taken = {cell.vendor for cell in row_cells}
        row_cells += [Cell(v, "OFFERED", services=s) for v, s in _offered(index, cap, taken, offered_first)]
        history = index.stances.get((city, cap))
        rows.append(Row(cap, history[0].ring if history else None, row_cells))
    return rows


def _newest_decision_last(index: RegistryIndex):
    """Order pilots so that a later decision marks its cell after an earlier one."""

    def key(pilot: str):
        decisions = index.decisions_of(pilot)
        return (decisions[0]["decidedAt"].isoformat() if decisions else "", pilot)

    return key


def _offered(index: RegistryIndex, cap: str, taken: set, first: int) -> list[tuple[str, set[str]]]:
    """Vendors offering an active service with the capability, most used first."""
    found = []
    for vendor, services in index.popular_vendors(cap):
        if len(found) == first:
            break
        if vendor not in taken:
            found.append((vendor, set(services)))
    return found


# Radar --------------------------------------------------------------------------------------


def _suggested_ring(outcome: str, in_use: bool) -> str:
    """DEVELOP → ADOPT when the city already has a service with it, else TRIAL; DROP → EXCLUDE;
    LEARNED → WATCH."""
    if outcome == "DEVELOP":
        return "ADOPT" if in_use else "TRIAL"
    return SUGGESTED_RING[outcome]


@dataclass
class RadarEntry:
    capability: str
    history: list[StanceChange]
    suggested_ring: str | None
    suggested_from: list[str]


def radar(index: RegistryIndex, city_id: str) -> list[RadarEntry]:
    """Every capability the city has a stance on or has decided pilots about."""
    city = require(index, city_id, "City", "cityId")
    decided: dict[str, list[dict]] = {}
    for pilot in index.out["RUNS"].get(city, ()):
        decisions = index.decisions_of(pilot)
        if decisions:
            for cap in index.pilot_capabilities(pilot):
                decided.setdefault(cap, []).append(decisions[0])
    in_use = {
        c
        for s in index.out["USES"].get(city, set()) | index.out["OPERATES"].get(city, set())
        if index.service_lifecycle[s] == "ACTIVE"
        for c in index.out["HAS_CAPABILITY"].get(s, ())
    }
    caps = decided.keys() | {cap for (c, cap) in index.stances if c == city}
    entries = []
    for cap in sorted(caps, key=lambda c: (index.names.get(c, c), c)):
        decisions = sorted(decided.get(cap, []), key=lambda d: (d["decidedAt"], d["id"]), reverse=True)
        suggested = _suggested_ring(decisions[0]["outcome"], cap in in_use) if decisions else None
        entries.append(
            RadarEntry(cap, list(index.stances.get((city, cap), [])), suggested, [d["id"] for d in decisions])
        )
    return entries
