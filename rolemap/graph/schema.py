"""The one declaration of the graph: node labels with typed properties, relationship types with
their endpoints and properties.

Everything that names a label, a relationship type or a property in Cypher is generated from this
module, so the names are a fixed allow-list and never come from input. The DDL for both backends
(`schema/ladybug.cypher`, `schema/neo4j.cypher`) is generated from here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# Property types, named after LadybugDB's; Neo4j is schema-free and only gets constraints/indexes.
STRING = "STRING"
STRINGS = "STRING[]"
INT = "INT64"
FLOAT = "DOUBLE"
BOOL = "BOOLEAN"
DATE = "DATE"
TIMESTAMP = "TIMESTAMP"

LANGUAGES = ("fi", "sv", "en")
"""Language variants kept beside a text property (`name_fi`, `name_sv`, `name_en`)."""


@dataclass(frozen=True)
class Prop:
    name: str
    type: str
    indexed: bool = False
    unique: bool = False


@dataclass(frozen=True)
class NodeType:
    label: str
    props: tuple[Prop, ...]
    localized: tuple[str, ...] = ()
    """Text properties that also have a variant per language in `LANGUAGES`."""

    @cached_property
    def all_props(self) -> tuple[Prop, ...]:
        extra = tuple(Prop(f"{base}_{lang}", STRING) for base in self.localized for lang in LANGUAGES)
        return (*COMMON, *self.props, *extra)

    @cached_property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.all_props)


@dataclass(frozen=True)
class RelType:
    type: str
    ends: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = field(default_factory=tuple)
    history: bool = False
    """True when the same two nodes may be joined many times, each edge one change (STANCE)."""

    @property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)


COMMON = (
    Prop("id", STRING, unique=True),
    Prop("createdAt", TIMESTAMP),
    Prop("updatedAt", TIMESTAMP),
    Prop("source", STRING),
)

NODES: dict[str, NodeType] = {
    n.label: n
    for n in (
        NodeType(
            "City",
            (
                Prop("name", STRING, indexed=True),
                Prop("description", STRING),
                Prop("kind", STRING, indexed=True),
                Prop("country", STRING),
                Prop("code", STRING, unique=True),
                Prop("population", INT),
                Prop("website", STRING),
            ),
            localized=("name", "description"),
        ),
        NodeType(
            "Goal",
            (
                Prop("name", STRING, indexed=True),
                Prop("description", STRING),
                Prop("targetYear", INT),
            ),
            localized=("name", "description"),
        ),
        NodeType(
            "Theme",
            (Prop("name", STRING, indexed=True), Prop("description", STRING)),
            localized=("name", "description"),
        ),
        NodeType(
            "Capability",
            (Prop("name", STRING, indexed=True), Prop("description", STRING)),
            localized=("name", "description"),
        ),
        NodeType(
            "Need",
            (
                Prop("title", STRING, indexed=True),
                Prop("description", STRING),
                Prop("status", STRING, indexed=True),
            ),
            localized=("title", "description"),
        ),
        NodeType(
            "Vendor",
            (
                Prop("name", STRING, indexed=True),
                Prop("description", STRING),
                Prop("businessId", STRING, unique=True),
                Prop("country", STRING),
                Prop("website", STRING),
                Prop("illustrative", BOOL),
            ),
            localized=("name", "description"),
        ),
        NodeType(
            "Service",
            (
                Prop("name", STRING, indexed=True),
                Prop("description", STRING),
                Prop("externalId", STRING, indexed=True),
                # "<owner id>|<externalId>": one external id names one service of its vendor (or city).
                Prop("externalKey", STRING, unique=True),
                Prop("lifecycle", STRING, indexed=True),
                Prop("website", STRING),
                Prop("retiredAt", TIMESTAMP),
                Prop("retiredReason", STRING),
            ),
            localized=("name", "description"),
        ),
        NodeType(
            "Pilot",
            (
                Prop("title", STRING, indexed=True),
                Prop("description", STRING),
                Prop("status", STRING, indexed=True),
                Prop("startDate", DATE),
                Prop("endDate", DATE),
                Prop("budgetEur", FLOAT),
                Prop("startedAt", TIMESTAMP),
                Prop("endedAt", TIMESTAMP),
                Prop("cancelledAt", TIMESTAMP),
                Prop("cancelReason", STRING),
                Prop("successCriteria", STRING),  # JSON: [{name, target, unit}]
            ),
            localized=("title", "description"),
        ),
        NodeType(
            "Change",
            (
                Prop("revision", INT),
                Prop("actorId", STRING),
                Prop("actorName", STRING),
                Prop("actorRole", STRING),
                Prop("operation", STRING),
                Prop("nodeIds", STRINGS),
                Prop("fields", STRING),  # JSON: [{nodeId, name, before, after}]
            ),
        ),
        NodeType(
            "Decision",
            (
                Prop("outcome", STRING, indexed=True),
                Prop("rationale", STRING),
                Prop("lessons", STRINGS),
                Prop("nextSteps", STRINGS),
                Prop("decidedBy", STRING),  # a display name
                Prop("decidedById", STRING),  # the authenticated actor who recorded it
                Prop("decidedAt", TIMESTAMP, indexed=True),
                Prop("results", STRING),  # JSON: [{name, measured, met}] against the pilot's criteria
                Prop("procurementRef", STRING),
            ),
        ),
    )
}

CLAIM = (
    Prop("status", STRING),  # CLAIM_STATUSES
    Prop("claimedBy", STRING),
    Prop("claimedAt", TIMESTAMP),
    Prop("reviewedBy", STRING),
    Prop("reviewedAt", TIMESTAMP),
)
"""A link a vendor asserts is a claim until the city verifies (or rejects) it; what a city or an
admin links itself is VERIFIED from the start."""

RELS: dict[str, RelType] = {
    r.type: r
    for r in (
        RelType("PART_OF", (("City", "City"),)),
        RelType("HAS_GOAL", (("City", "Goal"),)),
        RelType("HAS_NEED", (("City", "Need"),)),
        RelType("REQUIRES", (("Need", "Capability"),)),
        RelType("IN_THEME", (("Need", "Theme"),)),
        RelType("SUPPORTS", (("Need", "Goal"),)),
        RelType("BROADER", (("Capability", "Capability"),)),
        RelType("OFFERS", (("Vendor", "Service"),)),
        RelType("OPERATES", (("City", "Service"),)),
        RelType("HAS_CAPABILITY", (("Service", "Capability"),), CLAIM),
        RelType("ADDRESSES", (("Service", "Need"), ("Service", "Theme")), CLAIM),
        RelType("USES", (("City", "Service"),), (Prop("since", DATE), Prop("until", DATE), *CLAIM)),
        RelType("RUNS", (("City", "Pilot"),)),
        RelType("FOR_NEED", (("Pilot", "Need"),)),
        RelType("TRIALS", (("Pilot", "Service"),)),
        RelType("PARTNER", (("Pilot", "Vendor"),)),
        RelType("TARGETS", (("Pilot", "Capability"),)),  # what a pilot is explicitly about
        RelType("COMPLEMENTS", (("Capability", "Capability"),)),  # work together; symmetric
        RelType("DECIDED", (("Pilot", "Decision"),)),
        RelType("SUPERSEDES", (("Decision", "Decision"),)),
        RelType("TOUCHED", tuple(("Change", label) for label in NODES if label != "Change")),
        RelType(
            "STANCE",
            (("City", "Capability"),),
            (Prop("ring", STRING), Prop("since", TIMESTAMP), Prop("rationale", STRING)),
            history=True,
        ),
    )
}

# Bookkeeping nodes: not part of the registry's data (never exported, never in GraphQL), kept in the
# same store and written in the same transactions as the data they guard.
REGISTRY_HEAD = "head"
"""Id of the one `Registry` node. Its `revision` is bumped first thing in every write transaction:
the bump takes the node's write lock, so writes are serialised in revision order on every store,
and any instance knows with one cheap read whether the registry changed since it last looked."""

INTERNAL: dict[str, tuple[Prop, ...]] = {
    # `token`: the identity of the registry's history, drawn at random when the head is created and
    # drawn again by every write that leaves no change record (an import, an upgrade, a wipe). Two
    # stores with the same token and revision hold the same registry, so what an instance derived
    # from one revision (the analyses' saved read model) can be trusted for the other.
    "Registry": (Prop("id", STRING, unique=True), Prop("revision", INT), Prop("token", STRING)),
    # One `Key` per value of a unique property other than `id`: its id is "<Label>.<prop>=<value>"
    # and `node` the id of the node holding it. The id is a primary key (LadybugDB) or carries a
    # uniqueness constraint (Neo4j), so two transactions can never both claim a value, and a
    # lookup by a unique value is a lookup by primary key.
    "Key": (Prop("id", STRING, unique=True), Prop("node", STRING)),
    # An API key: `rmk_<id>_<secret>` is shown once; only the secret's SHA-256 is kept.
    "ApiKey": (
        Prop("id", STRING, unique=True),
        Prop("name", STRING),
        Prop("role", STRING),
        Prop("cityId", STRING),
        Prop("vendorId", STRING),
        Prop("hash", STRING),
        Prop("createdAt", TIMESTAMP),
        Prop("createdBy", STRING),
        Prop("revokedAt", TIMESTAMP),
    ),
}


def key_id(label: str, prop: str, value: object) -> str:
    return f"{label}.{prop}={value}"


# Value sets of the enumerated properties: the domain validates against these.
CITY_KINDS = ("MUNICIPALITY", "REGION", "METROPOLIS", "NETWORK")
NEED_STATUSES = ("OPEN", "MET", "WITHDRAWN")
SERVICE_LIFECYCLES = ("ACTIVE", "RETIRED")
PILOT_STATUSES = ("PROPOSED", "RUNNING", "ENDED", "DECIDED", "CANCELLED")
OUTCOMES = ("LEARNED", "DEVELOP", "DROP")
RINGS = ("WATCH", "TRIAL", "ADOPT", "EXCLUDE")
CLAIM_STATUSES = ("CLAIMED", "VERIFIED", "REJECTED")
CLAIMABLE = ("HAS_CAPABILITY", "ADDRESSES", "USES")

ID_PREFIX_SEPARATOR = ":"
"""Ids look like `City:oulu`: the label before the separator lets `node(id:)` find the table."""


BRIEF = {
    label: ("id", *(p for p in node.prop_names if p.split("_")[0] in ("name", "title")))
    for label, node in NODES.items()
}
"""What most lists show of each label: its id, and its name or title in every language."""


def change_id(revision: int) -> str:
    """`Change:000000000042`: zero-padded, so ids sort in revision order."""
    return f"Change:{revision:012d}"


def label_of(node_id: str) -> str | None:
    """The label an id names, if it names a known one."""
    label, sep, rest = node_id.partition(ID_PREFIX_SEPARATOR)
    return label if sep and rest and label in NODES else None


def _tables() -> list[tuple[str, tuple[Prop, ...]]]:
    return [(n.label, n.all_props) for n in NODES.values()] + list(INTERNAL.items())


def ladybug_ddl() -> list[str]:
    """CREATE ... IF NOT EXISTS statements for every node and relationship table."""
    out = []
    for label, props in _tables():
        cols = ", ".join(f"{p.name} {p.type}{' PRIMARY KEY' if p.name == 'id' else ''}" for p in props)
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({cols})")
    for rel in RELS.values():
        parts = [f"FROM {a} TO {b}" for a, b in rel.ends]
        parts += [f"{p.name} {p.type}" for p in rel.props]
        out.append(f"CREATE REL TABLE IF NOT EXISTS {rel.type}({', '.join(parts)})")
    return out


def ladybug_add_columns(table: str, present: set[str]) -> list[str]:
    """ALTER TABLE statements for the declared columns (of a node or relationship table) that a
    table made by an earlier rolemap lacks."""
    props = dict(_tables()).get(table) or RELS[table].props
    return [f"ALTER TABLE {table} ADD {p.name} {p.type}" for p in props if p.name not in present]


def neo4j_ddl() -> list[str]:
    """Uniqueness constraints and range indexes; Neo4j needs no table declarations."""
    out = []
    for label, props in _tables():
        for p in props:
            low = f"{label.lower()}_{p.name.lower()}"
            if p.unique:
                out.append(
                    f"CREATE CONSTRAINT {low}_unique IF NOT EXISTS "
                    f"FOR (n:{label}) REQUIRE n.{p.name} IS UNIQUE"
                )
            elif p.indexed:
                out.append(f"CREATE INDEX {low}_index IF NOT EXISTS FOR (n:{label}) ON (n.{p.name})")
    return out


def ddl_file(statements: list[str], header: str) -> str:
    lines = [f"// {header}", "// Generated by `rolemap schema` from rolemap/graph/schema.py.", ""]
    return "\n".join(lines + [s + ";" for s in statements]) + "\n"
