"""GraphQL object types. Every relationship is navigable both ways; every to-many field is a
connection (except `Pilot.decisions`, a plain list, newest first). Fields resolve through the
request's DataLoaders, so siblings at one depth share one statement: a hop reads the neighbours'
ids, and then their records as far as the selection needs them (`needs`).
"""

from __future__ import annotations

import functools
import json

import graphene
from graphene.types.resolver import set_default_resolver
from graphql import get_named_type
from graphql.execution.values import get_argument_values

from ..domain import pilots
from ..domain.i18n import localized
from ..graph import schema as gs
from ..graph.access import far_end
from .connections import connection, link_window, page_of_links, page_of_list, paged
from .lookahead import MISSING, ahead, connection_nodes, read_ahead, ready_key
from .needs import level, node_level, reads

CityKind = graphene.Enum("CityKind", [(k, k) for k in gs.CITY_KINDS])
NeedStatus = graphene.Enum("NeedStatus", [(k, k) for k in gs.NEED_STATUSES])
ServiceLifecycle = graphene.Enum("ServiceLifecycle", [(k, k) for k in gs.SERVICE_LIFECYCLES])
PilotStatus = graphene.Enum("PilotStatus", [(k, k) for k in gs.PILOT_STATUSES])
Outcome = graphene.Enum(
    "Outcome",
    [(k, k) for k in gs.OUTCOMES],
    description=lambda v: {
        "LEARNED": "Concluded; knowledge kept, no continuation yet.",
        "DEVELOP": "Continue, scale or procure.",
        "DROP": "Stop: a negative choice.",
    }.get(v.name if v else ""),
)
Ring = graphene.Enum("Ring", [(k, k) for k in gs.RINGS])

_CONNECTIONS: dict[str, type] = {}


@functools.cache  # asked for every field of every record: a few hundred distinct names
def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _record_resolver(attname, default_value, root, info, **args):
    """Records are dicts keyed by graph property names (camelCase); graphene asks in snake_case."""
    if isinstance(root, dict):
        return root.get(camel(attname), default_value)
    return getattr(root, attname, default_value)


_record_resolver.record_property = camel  # what it reads of a record (`needs`): one property
set_default_resolver(_record_resolver)


def changes_page(found: list[dict], first: int | None, after: str | None):
    """Change records in revision order (their ids sort that way), paged by id."""
    return page_of_list(sorted(found, key=lambda c: c["id"]), first, after)


@reads("id")
async def _history(record, info, first=None, after=None):
    if record["_label"] == "Change":
        return changes_page([], first, after)
    links = await info.context.links("TOUCHED", "Change", record["_label"], "in", record["id"])
    return await linked_page(info, "Change", links, first, after)  # change ids sort by revision


def _with_edge(node: dict, props: dict) -> dict:
    return {**node, "_edge": props} if props else node


async def linked_page(info, label: str, links: list, first, after):
    """A connection's page of `links` (neighbour ids with the relationship's properties, by id):
    only the page's records are read, and only as much of them as the selection needs (none
    when ids answer it, e.g. `totalCount` alone)."""
    load = functools.partial(info.context.records, label, level=node_level(info, label))
    return await read_ahead(info, await page_of_links(links, first, after, load, _with_edge))


class Node(graphene.Interface):
    """An object with a stable id (`Label:slug`), usable with `node(id:)`."""

    id = graphene.ID(required=True)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    source = graphene.String(description="The source document this record was drawn from.")
    history = paged(
        lambda: _CONNECTIONS["Change"],
        resolver=_history,
        description="Every change that touched this record (or its links from it), oldest first.",
    )

    @classmethod
    def resolve_type(cls, instance, info):
        return TYPES[instance["_label"]]


def text(field: str, required: bool = False):
    """A localised text field: `name(lang: "sv")` falls back to the default text."""

    @reads(field, *(f"{field}_{lang}" for lang in gs.LANGUAGES))
    def resolve(record, info, lang=None):
        return localized(record, field, lang)

    resolve.at_once = lambda record: localized(record, field, None)  # no `lang` (`execution`)

    return graphene.Field(
        graphene.String,
        lang=graphene.String(description="fi, sv or en; falls back to the default text."),
        resolver=resolve,
        required=required,
    )


class Hop:
    """A field that follows one relationship: a connection over its neighbours (`many`), or its
    first neighbour. `fill` reads it for many records at once: the links of all of them in one
    statement, then the records their pages show in one more, as far as the selection needs
    them; and then the relationship fields selected below those (`lookahead`)."""

    def __init__(self, rel: str, src: str, dst: str, direction: str, many: bool) -> None:
        self.rel, self.src, self.dst, self.direction, self.many = rel, src, dst, direction, many
        self.label = far_end(src, dst, direction)

    def resolver(self):
        hop = self

        @reads("id")
        def resolve(record, info, **args):
            ready = info.context.ready.get(ready_key(info.field_nodes, record["id"]), MISSING)
            return hop.lazily(record, info) if ready is MISSING else ready

        resolve.hop = hop
        return resolve

    async def lazily(self, record: dict, info):
        """The field for `record` alone (its siblings' calls share the statements)."""
        return (await self.fill(info, info.parent_type, [record], info.field_nodes))[record["id"]]

    async def fill(self, info, parent, records: list[dict], nodes) -> dict:
        """The field for each of `records` (by id), also kept ready for graphql-core."""
        ctx = info.context
        args = get_argument_values(parent.fields[nodes[0].name.value], nodes[0], info.variable_values)
        ids = list(dict.fromkeys(record["id"] for record in records))
        found = await ctx.links_of(self.rel, self.src, self.dst, self.direction, ids)
        target = info.schema.get_type(self.label)
        if self.many:
            places = connection_nodes(info, get_named_type(parent.fields[nodes[0].name.value].type), nodes)
            windows = {
                node_id: link_window([link for link in links if not rejected(link[1])], **args)
                for node_id, links in zip(ids, found, strict=True)
            }
            wanted = [node_id for window in windows.values() for node_id, _ in window.shown]
        else:
            places = [nodes]
            firsts = {node_id: links[0][0] for node_id, links in zip(ids, found, strict=True) if links}
            wanted = list(firsts.values())
        wanted = list(dict.fromkeys(wanted))
        loaded = await ctx.records(self.label, wanted, level(info, self.label, _selections(places)))
        by_id = dict(zip(wanted, loaded, strict=True))
        values = {}
        for node_id in ids:
            if self.many:
                window = windows[node_id]
                value = window.page([by_id[i] for i, _ in window.shown], _with_edge)
            else:
                value = by_id[firsts[node_id]] if node_id in firsts else None
            ctx.ready[ready_key(nodes, node_id)] = values[node_id] = value
        await ahead(info, target, [r for r in loaded if r is not None], places)
        return values


def _selections(places):
    return [node.selection_set for nodes in places for node in nodes]


def to_many(target: str, rel: str, src: str, dst: str, direction: str, conn: str | None = None):
    """A connection over one relationship (`Hop`)."""
    return paged(
        lambda: _CONNECTIONS[conn or target],
        resolver=Hop(rel, src, dst, direction, many=True).resolver(),
    )


def rejected(props: dict) -> bool:
    """A vendor's claim the city rejected: kept on record (see `claims`), never shown as a link."""
    return props.get("status") == "REJECTED"


def to_one(target: str, rel: str, src: str, dst: str, direction: str):
    """The first neighbour across one relationship (`Hop`)."""
    hop = Hop(rel, src, dst, direction, many=False)
    return graphene.Field(lambda: TYPES[target], resolver=hop.resolver())


class City(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "A municipality, region, metropolis or network of cities."

    name = text("name", required=True)
    description = text("description")
    kind = graphene.Field(CityKind, required=True)
    country = graphene.String()
    code = graphene.String(description="Official municipality or region code; unique.")
    population = graphene.Int()
    website = graphene.String()
    part_of = to_many("City", "PART_OF", "City", "City", "out")
    members = to_many("City", "PART_OF", "City", "City", "in")
    goals = to_many("Goal", "HAS_GOAL", "City", "Goal", "out")
    needs = to_many("Need", "HAS_NEED", "City", "Need", "out")
    pilots = to_many("Pilot", "RUNS", "City", "Pilot", "out")
    services = paged(
        lambda: _CONNECTIONS["ServiceUse"],
        description="Services the city uses or operates in-house; the edge says which.",
    )
    stances = to_many("Capability", "STANCE", "City", "Capability", "out", conn="CapabilityStance")

    @staticmethod
    @reads("id")
    async def resolve_services(record, info, first=None, after=None):
        ctx = info.context
        used = await ctx.links("USES", "City", "Service", "out", record["id"])
        operated = await ctx.links("OPERATES", "City", "Service", "out", record["id"])
        links = {node_id: {**props, "relation": "USES"} for node_id, props in used if not rejected(props)}
        for node_id, _ in operated:
            links.setdefault(node_id, {"relation": "OPERATES"})
        return await linked_page(info, "Service", sorted(links.items()), first, after)


class Goal(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "A strategy goal of a city."

    name = text("name", required=True)
    description = text("description")
    target_year = graphene.Int()
    city = to_one("City", "HAS_GOAL", "City", "Goal", "in")
    needs = to_many("Need", "SUPPORTS", "Need", "Goal", "in")


class Theme(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "A policy domain, e.g. elderly care or digital inclusion."

    name = text("name", required=True)
    description = text("description")
    needs = to_many("Need", "IN_THEME", "Need", "Theme", "in")
    services = to_many("Service", "ADDRESSES", "Service", "Theme", "in")


class Capability(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "What a service can do, in a taxonomy (`broader` / `narrower`)."

    name = text("name", required=True)
    description = text("description")
    broader = to_many("Capability", "BROADER", "Capability", "Capability", "out")
    narrower = to_many("Capability", "BROADER", "Capability", "Capability", "in")
    services = to_many("Service", "HAS_CAPABILITY", "Service", "Capability", "in", conn="ClaimedService")
    needs = to_many("Need", "REQUIRES", "Need", "Capability", "in")
    complements = to_many("Capability", "COMPLEMENTS", "Capability", "Capability", "out")
    pilots = to_many("Pilot", "TARGETS", "Pilot", "Capability", "in")
    stances = to_many("City", "STANCE", "City", "Capability", "in", conn="CityStance")


class Need(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "A need of a city that services and pilots answer."

    title = text("title", required=True)
    description = text("description")
    status = graphene.Field(NeedStatus, required=True)
    city = to_one("City", "HAS_NEED", "City", "Need", "in")
    themes = to_many("Theme", "IN_THEME", "Need", "Theme", "out")
    capabilities = to_many("Capability", "REQUIRES", "Need", "Capability", "out")
    goals = to_many("Goal", "SUPPORTS", "Need", "Goal", "out")
    services = to_many("Service", "ADDRESSES", "Service", "Need", "in", conn="ClaimedService")
    pilots = to_many("Pilot", "FOR_NEED", "Pilot", "Need", "in")


class Vendor(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "An organisation offering services."

    name = text("name", required=True)
    description = text("description")
    business_id = graphene.String(description="Business id (e.g. Finnish Y-tunnus); unique.")
    country = graphene.String()
    website = graphene.String()
    illustrative = graphene.Boolean(
        required=True, description="True for sample vendors invented for illustration."
    )
    services = to_many("Service", "OFFERS", "Vendor", "Service", "out")
    pilots = to_many("Pilot", "PARTNER", "Pilot", "Vendor", "in")
    track = graphene.Field(
        lambda: _analysis_types().OutcomeSummary,
        required=True,
        description="Track record: the vendor's pilots in progress, awaiting and decided, by outcome.",
    )

    @staticmethod
    def resolve_illustrative(record, info):
        return bool(record.get("illustrative"))

    @staticmethod
    @reads("id")
    async def resolve_track(record, info):
        return await _analysis_types().vendor_track(info, record["id"])


def _analysis_types():
    """The analysis module's types, imported late: it builds on these ones."""
    from . import analysis

    return analysis


class Service(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "A service offering: a vendor's, or a city's own (in-house)."

    name = text("name", required=True)
    description = text("description")
    external_id = graphene.String(description="The vendor's own id for this offering.")
    lifecycle = graphene.Field(ServiceLifecycle, required=True)
    website = graphene.String()
    retired_at = graphene.DateTime()
    retired_reason = graphene.String()
    vendor = to_one("Vendor", "OFFERS", "Vendor", "Service", "in")
    operator = to_one("City", "OPERATES", "City", "Service", "in")
    capabilities = to_many(
        "Capability", "HAS_CAPABILITY", "Service", "Capability", "out", conn="ClaimedCapability"
    )
    needs = to_many("Need", "ADDRESSES", "Service", "Need", "out", conn="ClaimedNeed")
    themes = to_many("Theme", "ADDRESSES", "Service", "Theme", "out")
    used_by = to_many("City", "USES", "City", "Service", "in", conn="CityUse")
    pilots = to_many("Pilot", "TRIALS", "Pilot", "Service", "in")


class SuccessCriterion(graphene.ObjectType):
    """What a pilot is measured by: a name, the target and its unit."""

    name = graphene.String(required=True)
    target = graphene.Float()
    unit = graphene.String()


class MeasuredResult(graphene.ObjectType):
    """What was measured against a success criterion, and whether it met the target."""

    name = graphene.String(required=True)
    measured = graphene.Float()
    met = graphene.Boolean(required=True)


def _json_list(field: str):
    def resolve(record, info):
        return json.loads(record.get(field) or "[]")

    return resolve


class Pilot(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "A time-boxed trial run by a city; it ends with a recorded decision."

    title = text("title", required=True)
    description = text("description")
    status = graphene.Field(PilotStatus, required=True)
    start_date = graphene.Date()
    end_date = graphene.Date()
    budget_eur = graphene.Float()
    started_at = graphene.DateTime()
    ended_at = graphene.DateTime()
    cancelled_at = graphene.DateTime()
    cancel_reason = graphene.String()
    success_criteria = graphene.List(
        graphene.NonNull(SuccessCriterion), required=True, resolver=_json_list("successCriteria")
    )
    city = to_one("City", "RUNS", "City", "Pilot", "in")
    capabilities = to_many("Capability", "TARGETS", "Pilot", "Capability", "out")
    needs = to_many("Need", "FOR_NEED", "Pilot", "Need", "out")
    services = to_many("Service", "TRIALS", "Pilot", "Service", "out")
    vendors = to_many("Vendor", "PARTNER", "Pilot", "Vendor", "out")
    decision = graphene.Field(lambda: Decision, description="The current decision.")
    decisions = graphene.List(
        graphene.NonNull(lambda: Decision),
        required=True,
        description="Every decision, newest first; each supersedes the one after it.",
    )

    @staticmethod
    async def _decisions(record, info) -> list[dict]:
        edges = await info.context.edges("DECIDED", "Pilot", "Decision", "out", record["id"])
        return [node for node, _ in edges]

    @staticmethod
    @reads("id")
    async def resolve_decision(record, info):
        return pilots.current_decision(await Pilot._decisions(record, info))

    @staticmethod
    @reads("id")
    async def resolve_decisions(record, info):
        found = await Pilot._decisions(record, info)
        return sorted(found, key=lambda d: (d["decidedAt"], d["id"]), reverse=True)


class Decision(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "What a pilot led to. Never edited: a new decision supersedes it."

    outcome = graphene.Field(Outcome, required=True)
    rationale = graphene.String(required=True)
    lessons = graphene.List(graphene.NonNull(graphene.String), required=True)
    next_steps = graphene.List(graphene.NonNull(graphene.String), required=True)
    decided_by = graphene.String(required=True)
    decided_at = graphene.DateTime(required=True)
    results = graphene.List(
        graphene.NonNull(MeasuredResult),
        required=True,
        resolver=_json_list("results"),
        description="Measured results against the pilot's success criteria.",
    )
    procurement_ref = graphene.String(
        description="DEVELOP only: the follow-on procurement (an OCDS ocid or the city's own reference)."
    )
    pilot = to_one("Pilot", "DECIDED", "Pilot", "Decision", "in")
    supersedes = to_one("Decision", "SUPERSEDES", "Decision", "Decision", "out")
    superseded_by = to_one("Decision", "SUPERSEDES", "Decision", "Decision", "in")

    @staticmethod
    def resolve_next_steps(record, info):
        return record.get("nextSteps") or []


TYPES = {t._meta.name: t for t in (City, Goal, Theme, Capability, Need, Vendor, Service, Pilot, Decision)}
for _name, _type in TYPES.items():
    _CONNECTIONS[_name] = connection(_type)
ServiceRelation = graphene.Enum(
    "ServiceRelation", [("USES", "USES"), ("OPERATES", "OPERATES")], description="How a city has a service."
)
ClaimStatus = graphene.Enum(
    "ClaimStatus",
    [(s, s) for s in gs.CLAIM_STATUSES],
    description="A link a vendor asserts is CLAIMED until the city VERIFIES or REJECTS it "
    "(rejected links are not shown as links).",
)
CLAIM_FIELDS = {"status": ClaimStatus, "claimedBy": graphene.String, "claimedAt": graphene.DateTime}
"""On the edges of links a vendor may claim: whether the city verified it, who linked it, when."""
_CONNECTIONS["ServiceUse"] = connection(
    Service,
    "CityServiceConnection",
    since=graphene.Date,
    until=graphene.Date,
    relation=ServiceRelation,
    **CLAIM_FIELDS,
)
_CONNECTIONS["CityUse"] = connection(
    City, "ServiceUserConnection", since=graphene.Date, until=graphene.Date, **CLAIM_FIELDS
)
_CONNECTIONS["ClaimedCapability"] = connection(Capability, "ServiceCapabilityConnection", **CLAIM_FIELDS)
_CONNECTIONS["ClaimedNeed"] = connection(Need, "ServiceNeedConnection", **CLAIM_FIELDS)
_CONNECTIONS["ClaimedService"] = connection(Service, "ClaimedServiceConnection", **CLAIM_FIELDS)
_CONNECTIONS["CapabilityStance"] = connection(
    Capability, "CityStanceConnection", ring=Ring, since=graphene.DateTime, rationale=graphene.String
)
_CONNECTIONS["CityStance"] = connection(
    City, "CapabilityStanceConnection", ring=Ring, since=graphene.DateTime, rationale=graphene.String
)
CONNECTIONS = _CONNECTIONS
