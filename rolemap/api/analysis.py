"""GraphQL fields for the analyses: overlaps, similarPilots, coverageGaps, roleMap, radar and the
setStance mutation. They run on the cached registry index (see analysis/index.py); the objects they
return are loaded through the request's DataLoaders.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import graphene
from graphql import GraphQLError

from ..analysis import closeout, queries
from ..domain.errors import Code, UserErrors
from ..graph.schema import label_of
from ..workers import AnalysisTimeout, unhurried
from .connections import connection, page_in_order, paged
from .logs import log
from .payloads import UserError, run
from .types import CONNECTIONS, TYPES, Node, Outcome, Ring

OverlapKind = graphene.Enum("OverlapKind", [(k, k) for k in queries.KINDS])
Role = graphene.Enum(
    "Role",
    [(r, r) for r in queries.ROLE_ORDER],
    description="A vendor's role for a capability in a city, strongest first.",
)


class OverlapScope(graphene.InputObjectType):
    """Exactly one of: a city, a region (with everything PART_OF it, transitively), or all."""

    city_id = graphene.ID()
    region_id = graphene.ID()
    all = graphene.Boolean()


class PilotDraftInput(graphene.InputObjectType):
    """A pilot being planned; every field is optional."""

    city_id = graphene.ID()
    need_ids = graphene.List(graphene.NonNull(graphene.ID))
    service_ids = graphene.List(graphene.NonNull(graphene.ID))
    capability_ids = graphene.List(graphene.NonNull(graphene.ID))
    title = graphene.String()
    description = graphene.String()


class OverlapReason(graphene.ObjectType):
    """One reason two things overlap; the weights of an overlap's reasons add up to its score."""

    kind = graphene.String(required=True, description="capability, need, theme, text, place or decision")
    detail = graphene.String(required=True)
    weight = graphene.Float(required=True)


async def _node(info, node_id: str):
    return await info.context.node(label_of(node_id), node_id)


async def _nodes(info, ids, keep_order: bool = False) -> list:
    """The records of `ids`, all loaded in one batch per label (sorted unless `keep_order`)."""
    ordered = list(ids) if keep_order else sorted(ids)
    found = await asyncio.gather(*(_node(info, i) for i in ordered))
    return [n for n in found if n is not None]


class Overlap(graphene.ObjectType):
    score = graphene.Float(required=True, description="0..1, the sum of the reasons' weights")
    left = graphene.Field(Node, required=True)
    right = graphene.Field(Node, required=True)
    reasons = graphene.List(graphene.NonNull(OverlapReason), required=True)

    @staticmethod
    async def resolve_left(found, info):
        return await _node(info, found.left)

    @staticmethod
    async def resolve_right(found, info):
        return await _node(info, found.right)


class PilotMatch(graphene.ObjectType):
    """An earlier pilot like the one being planned: prior art, with what was decided."""

    pilot = graphene.Field(lambda: TYPES["Pilot"], required=True)
    score = graphene.Float(required=True)
    reasons = graphene.List(graphene.NonNull(OverlapReason), required=True)

    @staticmethod
    async def resolve_pilot(found, info):
        return await _node(info, found.right)


class CoverageGap(graphene.ObjectType):
    need = graphene.Field(lambda: TYPES["Need"], required=True)
    missing_capabilities = graphene.List(graphene.NonNull(lambda: TYPES["Capability"]), required=True)
    candidates = graphene.List(
        graphene.NonNull(lambda: TYPES["Service"]),
        required=True,
        description="Services elsewhere offering the missing capabilities, best first.",
    )

    @staticmethod
    async def resolve_need(gap, info):
        return await _node(info, gap.need)

    @staticmethod
    async def resolve_missing_capabilities(gap, info):
        return await _nodes(info, gap.missing)

    @staticmethod
    async def resolve_candidates(gap, info):
        return await _nodes(info, gap.candidates, keep_order=True)


class RoleMapCell(graphene.ObjectType):
    vendor = graphene.Field(lambda: TYPES["Vendor"], description="Null for the city's in-house services.")
    in_house = graphene.Boolean(required=True)
    role = graphene.Field(Role, required=True)
    outcome = graphene.Field(Outcome, description="With DECIDED: the current decision's outcome.")
    services = graphene.List(graphene.NonNull(lambda: TYPES["Service"]), required=True)
    pilots = graphene.List(graphene.NonNull(lambda: TYPES["Pilot"]), required=True)

    @staticmethod
    def resolve_vendor(cell, info):
        return info.context.recall(cell.vendor) if cell.vendor else None

    @staticmethod
    def resolve_in_house(cell, info):
        return cell.vendor is None

    @staticmethod
    async def resolve_services(cell, info):
        return await _nodes(info, cell.services)

    @staticmethod
    async def resolve_pilots(cell, info):
        return await _nodes(info, cell.pilots)


class RoleMapRow(graphene.ObjectType):
    capability = graphene.Field(lambda: TYPES["Capability"], required=True)
    stance = graphene.Field(Ring, description="The city's current radar ring for this capability.")
    cells = graphene.List(graphene.NonNull(RoleMapCell), required=True)

    @staticmethod
    def resolve_capability(row, info):
        return info.context.recall(row.capability)


class RoleMap(graphene.ObjectType):
    city = graphene.Field(lambda: TYPES["City"], required=True)
    rows = graphene.List(graphene.NonNull(RoleMapRow), required=True)

    @staticmethod
    async def resolve_city(role_map, info):
        return await _node(info, role_map["city"])

    @staticmethod
    async def resolve_rows(role_map, info):
        """Rows with their capabilities and the cells' vendors taken from the index (as fresh as the
        analysis), so the many cells resolve without a statement or an await each."""
        rows = role_map["rows"]
        ids = {r.capability for r in rows} | {c.vendor for r in rows for c in r.cells if c.vendor}
        index = info.context.index()
        info.context.remember([index.records[i] for i in ids])
        return rows


class StanceChange(graphene.ObjectType):
    ring = graphene.Field(Ring, required=True)
    since = graphene.DateTime(required=True)
    rationale = graphene.String()


class RadarEntry(graphene.ObjectType):
    capability = graphene.Field(lambda: TYPES["Capability"], required=True)
    ring = graphene.Field(Ring, description="The current ring, if the city has taken a stance.")
    since = graphene.DateTime()
    rationale = graphene.String()
    history = graphene.List(graphene.NonNull(StanceChange), required=True, description="Newest first.")
    suggested_ring = graphene.Field(
        Ring,
        description="From the city's newest pilot decision: DEVELOP → ADOPT (in use) or TRIAL, "
        "DROP → EXCLUDE, LEARNED → WATCH.",
    )
    suggested_from = graphene.List(
        graphene.NonNull(lambda: TYPES["Decision"]), required=True, description="Newest first."
    )

    @staticmethod
    async def resolve_capability(entry, info):
        return await _node(info, entry.capability)

    @staticmethod
    def resolve_ring(entry, info):
        return entry.history[0].ring if entry.history else None

    @staticmethod
    def resolve_since(entry, info):
        return entry.history[0].since if entry.history else None

    @staticmethod
    def resolve_rationale(entry, info):
        return entry.history[0].rationale if entry.history else None

    @staticmethod
    async def resolve_suggested_from(entry, info):
        return await _nodes(info, entry.suggested_from, keep_order=True)


async def analyse(info, fn, *args, as_of: date | None = None, verified_only: bool = False, **kwargs):
    """Run an analysis on the registry as it stood on `as_of` (today by default), without vendors'
    unverified claims when `verified_only`; bad input becomes a GraphQL error with its code."""

    def work():
        index = unhurried(info.context.index)
        with info.context.index_cache.reading():
            return fn(index.at(as_of or today(), verified_only), *args, **kwargs)

    try:
        return await info.context.index_cache.run(work)
    except AnalysisTimeout as exc:
        raise GraphQLError(str(exc), extensions={"code": Code.TIMEOUT.value}) from None
    except UserErrors as exc:
        error = exc.errors[0]
        raise GraphQLError(
            f"{error.field}: {error.message}", extensions={"code": error.code.value, "field": error.field}
        ) from None


def check_first(first: int, most: int = 500) -> int:
    if not 1 <= first <= most:
        raise GraphQLError(f"first must be between 1 and {most}, got {first}")
    return first


def draft_of(draft) -> queries.PilotDraft:
    return queries.PilotDraft(
        city_id=draft.get("city_id"),
        need_ids=list(draft.get("need_ids") or []),
        service_ids=list(draft.get("service_ids") or []),
        capability_ids=list(draft.get("capability_ids") or []),
        title=draft.get("title"),
        description=draft.get("description"),
    )


WARNING_MIN_SCORE = 0.3
WARNINGS_FIRST = 5


async def pilot_warnings(info, data: dict) -> list:
    """For a pilot about to be created (computed before it is written): pilots DROPped within the
    cooling-off period that it would repeat, then similar earlier pilots."""
    draft = queries.PilotDraft(
        city_id=data.get("cityId"),
        need_ids=list(data.get("needIds") or []),
        service_ids=list(data.get("serviceIds") or []),
        title=data.get("title"),
        description=data.get("description"),
    )
    months = info.context.settings.cooling_off_months

    def work() -> list:
        base = unhurried(info.context.index)
        with info.context.index_cache.reading():
            index = base.at(today())
            dropped = closeout.cooling_off(index, draft, months, today())
            similar = queries.similar_pilots(index, draft, WARNING_MIN_SCORE, WARNINGS_FIRST)
        seen = {o.right for o in dropped}
        return dropped + [o for o in similar if o.right not in seen]

    try:
        return await info.context.index_cache.run(work)
    except UserErrors:
        return []  # unknown ids: the mutation itself reports them
    except AnalysisTimeout:  # advice only: the pilot is still created, without it
        log.warning("pilot warnings skipped: %s", "the analysis timed out")
        return []


AwaitingReason = graphene.Enum(
    "AwaitingReason", [(r, r) for r in (*closeout.REASONS.values(), closeout.NO_END_DATE)]
)


class AwaitingDecision(graphene.ObjectType):
    """A pilot that owes a decision, and for how long."""

    pilot = graphene.Field(lambda: TYPES["Pilot"], required=True)
    reason = graphene.Field(AwaitingReason, required=True)
    since = graphene.Date(required=True, description="When the decision became due.")
    days_overdue = graphene.Int(required=True)

    @staticmethod
    async def resolve_pilot(awaiting, info):
        return await _node(info, awaiting.pilot)


AwaitingDecisionConnection = connection(AwaitingDecision)


def today() -> date:
    return datetime.now(UTC).date()


OutcomeGrouping = graphene.Enum("OutcomeGrouping", [(g, g) for g in closeout.GROUPINGS])


PilotState = graphene.Enum("PilotState", [(s, s) for s in ("IN_PROGRESS", "AWAITING", "DECIDED")])


class PilotOutcome(graphene.ObjectType):
    """One pilot of a group: where it stands, and its current decision if it has one."""

    pilot = graphene.Field(lambda: TYPES["Pilot"], required=True)
    state = graphene.Field(PilotState, required=True)
    outcome = graphene.Field(Outcome)
    decision = graphene.Field(lambda: TYPES["Decision"])

    @staticmethod
    async def resolve_pilot(entry, info):
        return await _node(info, entry[0])

    @staticmethod
    def resolve_state(entry, info):
        return entry[1]

    @staticmethod
    async def resolve_decision(entry, info):
        return await _node(info, entry[2]) if entry[2] else None

    @staticmethod
    async def resolve_outcome(entry, info):
        decision = await PilotOutcome.resolve_decision(entry, info)
        return decision["outcome"] if decision else None


class OutcomeSummary(graphene.ObjectType):
    """How a group's pilots fare: inProgress + awaiting + decided = pilots, and
    learned + develop + drop = decided (by each pilot's current decision)."""

    group = graphene.Field(
        Node, description="The vendor, capability, city or theme; null for pilots in none."
    )
    pilots = graphene.Int(required=True)
    in_progress = graphene.Int(required=True)
    awaiting = graphene.Int(required=True)
    decided = graphene.Int(required=True)
    learned = graphene.Int(required=True)
    develop = graphene.Int(required=True)
    drop = graphene.Int(required=True)
    decisions = graphene.List(graphene.NonNull(lambda: TYPES["Decision"]), required=True)
    entries = graphene.List(
        graphene.NonNull(PilotOutcome), required=True, description="Each pilot with its state and decision."
    )

    @staticmethod
    def resolve_entries(summary, info):
        return [(pilot, state, decision) for pilot, (state, decision) in summary.states.items()]

    @staticmethod
    async def resolve_group(summary, info):
        return await _node(info, summary.group) if summary.group else None

    @staticmethod
    def resolve_pilots(summary, info):
        return len(summary.pilots)

    @staticmethod
    def resolve_learned(summary, info):
        return summary.outcomes["LEARNED"]

    @staticmethod
    def resolve_develop(summary, info):
        return summary.outcomes["DEVELOP"]

    @staticmethod
    def resolve_drop(summary, info):
        return summary.outcomes["DROP"]

    @staticmethod
    async def resolve_decisions(summary, info):
        return await _nodes(info, summary.decisions, keep_order=True)


async def vendor_track(info, vendor_id: str) -> closeout.Summary:
    return await analyse(
        info, closeout.vendor_track, vendor_id, today(), info.context.settings.max_pilot_months
    )


REVIEW_FILTERS = {
    "city_id": graphene.ID(description="A city, or a region with its members."),
    "outcome": Outcome(),
    "vendor_id": graphene.ID(),
    "capability_id": graphene.ID(),
    "since": graphene.Date(description="Decided on or after this day (UTC)."),
    "until": graphene.Date(description="Decided on or before this day (UTC)."),
    "current_only": graphene.Boolean(
        required=True, default_value=False, description="Leave out superseded decisions."
    ),
}


def review_filters(given: dict) -> dict:
    """The review filters among a resolver's GraphQL arguments, as `closeout.decisions` keywords."""
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in given.items() if k in REVIEW_FILTERS}
    return values


AS_OF = graphene.Date(
    description="The day to answer for (default today): only uses begun and not ended by then, "
    "services not yet retired, decisions and stances already taken count."
)
VERIFIED_ONLY = graphene.Boolean(
    required=True,
    default_value=False,
    description="Count only links the cities verified, not vendors' claims still waiting for them.",
)


class AnalysisQuery(graphene.ObjectType):
    decisions = paged(
        lambda: CONNECTIONS["Decision"],
        description="The review list for procurement: decisions, newest first.",
        **REVIEW_FILTERS,
    )
    pilot_outcomes = graphene.List(
        graphene.NonNull(OutcomeSummary),
        required=True,
        group_by=OutcomeGrouping(required=True),
        city_id=graphene.ID(),
        since=graphene.Date(description="Only pilots started (or, unstarted, created) on or after this day."),
        description="Per vendor, capability, city or theme: pilots in progress, awaiting, decided.",
    )
    pilots_awaiting_decision = paged(
        AwaitingDecisionConnection,
        city_id=graphene.ID(description="A city, or a region with its members; all cities when left out."),
        overdue_days=graphene.Int(
            required=True, default_value=0, description="Only those at least this many days overdue."
        ),
        description="The procurement queue: pilots past their end, or ended or cancelled, with no decision; "
        "most overdue first.",
    )

    overlaps = graphene.List(
        graphene.NonNull(Overlap),
        required=True,
        scope=OverlapScope(required=True),
        kind=OverlapKind(required=True),
        min_score=graphene.Float(required=True, default_value=0.3),
        first=graphene.Int(required=True, default_value=50, description="1 to 500"),
        verified_only=VERIFIED_ONLY,
        as_of=AS_OF,
        description="Services, pilots or vendors that do the same thing, best first, with the reasons.",
    )
    similar_pilots = graphene.List(
        graphene.NonNull(PilotMatch),
        required=True,
        draft=PilotDraftInput(required=True),
        min_score=graphene.Float(required=True, default_value=0.2),
        first=graphene.Int(required=True, default_value=10, description="1 to 500"),
        as_of=AS_OF,
        description="Prior art: earlier pilots like a planned one, and what was decided about them.",
    )
    coverage_gaps = graphene.List(
        graphene.NonNull(CoverageGap),
        required=True,
        city_id=graphene.ID(required=True),
        candidates_first=graphene.Int(required=True, default_value=5),
        verified_only=VERIFIED_ONLY,
        as_of=AS_OF,
        description="Open needs that no service the city or its region uses, operates or pilots covers.",
    )
    role_map = graphene.Field(
        RoleMap,
        required=True,
        city_id=graphene.ID(required=True),
        offered_first=graphene.Int(
            required=True, default_value=5, description="OFFERED vendors per capability"
        ),
        verified_only=VERIFIED_ONLY,
        as_of=AS_OF,
        description="Per capability, each vendor's role in the city.",
    )
    radar = graphene.List(
        graphene.NonNull(RadarEntry),
        required=True,
        city_id=graphene.ID(required=True),
        as_of=AS_OF,
        description="The city's stance per capability, its history and a suggestion from its decisions.",
    )

    @staticmethod
    async def resolve_decisions(root, info, first=None, after=None, **given):
        found = await analyse(info, closeout.decisions, **review_filters(given))
        return page_in_order(found, first, after, key=lambda d: d["id"])

    @staticmethod
    async def resolve_pilot_outcomes(root, info, group_by, city_id=None, since=None):
        group_by = group_by.value if hasattr(group_by, "value") else group_by
        months = info.context.settings.max_pilot_months
        return await analyse(info, closeout.outcomes, group_by, city_id, since, today(), months)

    @staticmethod
    async def resolve_pilots_awaiting_decision(
        root, info, overdue_days, city_id=None, first=None, after=None
    ):
        if overdue_days < 0:
            raise GraphQLError("overdueDays must not be negative")
        months = info.context.settings.max_pilot_months
        found = await analyse(info, closeout.awaiting_decision, city_id, overdue_days, today(), months)
        return page_in_order(found, first, after, key=lambda awaiting: awaiting.pilot)

    @staticmethod
    async def resolve_overlaps(root, info, scope, kind, min_score, first, verified_only, as_of=None):
        check_first(first)
        kind = kind.value if hasattr(kind, "value") else kind

        def work(index):
            cities = queries.scope_cities(
                index, scope.get("city_id"), scope.get("region_id"), bool(scope.get("all"))
            )
            return queries.overlaps(index, cities, kind, min_score, first)

        return await analyse(info, work, as_of=as_of, verified_only=verified_only)

    @staticmethod
    async def resolve_similar_pilots(root, info, draft, min_score, first, as_of=None):
        check_first(first)
        return await analyse(info, queries.similar_pilots, draft_of(draft), min_score, first, as_of=as_of)

    @staticmethod
    async def resolve_coverage_gaps(root, info, city_id, candidates_first, verified_only, as_of=None):
        check_first(candidates_first, 50)
        return await analyse(
            info, queries.coverage_gaps, city_id, candidates_first, as_of=as_of, verified_only=verified_only
        )

    @staticmethod
    async def resolve_role_map(root, info, city_id, offered_first, verified_only, as_of=None):
        check_first(offered_first, 50) if offered_first else None
        rows = await analyse(
            info, queries.role_map, city_id, offered_first, as_of=as_of, verified_only=verified_only
        )
        return {"city": city_id, "rows": rows}

    @staticmethod
    async def resolve_radar(root, info, city_id, as_of=None):
        return await analyse(info, queries.radar, city_id, as_of=as_of)


class SetStancePayload(graphene.ObjectType):
    city = graphene.Field(lambda: TYPES["City"])
    capability = graphene.Field(lambda: TYPES["Capability"])
    stance = graphene.Field(StanceChange)
    errors = graphene.List(graphene.NonNull(UserError), required=True)


class AnalysisMutation(graphene.ObjectType):
    set_stance = graphene.Field(
        SetStancePayload,
        required=True,
        city_id=graphene.ID(required=True),
        capability_id=graphene.ID(required=True),
        ring=Ring(required=True),
        rationale=graphene.String(),
        description="Put a capability on the city's radar ring; every change is kept.",
    )

    @staticmethod
    async def resolve_set_stance(root, info, city_id, capability_id, ring, rationale=None):
        ring = ring.value if hasattr(ring, "value") else ring
        change, errors = await run(
            info, info.context.registry.set_stance, city_id, capability_id, ring, rationale
        )
        if errors:
            return SetStancePayload(errors=errors)
        return SetStancePayload(
            city=await info.context.node("City", city_id),
            capability=await info.context.node("Capability", capability_id),
            stance=change,
            errors=[],
        )
