"""Every Cypher statement rolemap sends, by name.

The stores accept only names registered here, so this module is the complete list: `rolemap schema
--statements` writes it out for Neo4j's linter in CI. Statements are kept in the subset that both
Neo4j 5 and LadybugDB run; where the dialects must differ, one name holds both texts.

Labels, relationship types and property names are interpolated only from `schema.py` (a fixed
allow-list); values always travel as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from .schema import (
    BRIEF,
    DATE,
    FLOAT,
    INT,
    INTERNAL,
    LANGUAGES,
    NODES,
    RELS,
    STRINGS,
    TIMESTAMP,
    NodeType,
    RelType,
)

DIALECTS = ("ladybug", "neo4j")


@dataclass(frozen=True)
class Statement:
    name: str
    ladybug: str
    neo4j: str

    def text(self, dialect: str) -> str:
        return self.ladybug if dialect == "ladybug" else self.neo4j


STATEMENTS: dict[str, Statement] = {}


def register(name: str, cypher: str, *, neo4j: str | None = None) -> str:
    """Register a statement (one text for both dialects unless `neo4j` differs)."""
    if name in STATEMENTS:
        raise ValueError(f"statement {name!r} registered twice")
    text = " ".join(cypher.split())
    STATEMENTS[name] = Statement(name, text, " ".join((neo4j or cypher).split()))
    return name


# LadybugDB infers the type of a struct field from the values in `UNWIND $rows`; a column that is
# null in every row comes out as STRING, so typed columns are cast there. Neo4j has no CAST and
# needs none.
_LADYBUG_CASTS = {DATE: "DATE", TIMESTAMP: "TIMESTAMP", INT: "INT64", FLOAT: "DOUBLE"}


def _row_value(prop_name: str, prop_type: str, dialect: str) -> str:
    cast = _LADYBUG_CASTS.get(prop_type) if dialect == "ladybug" else None
    if dialect == "ladybug" and prop_type == STRINGS:
        cast = "STRING[]"
    return f"CAST(row.{prop_name} AS {cast})" if cast else f"row.{prop_name}"


def _create(label: str, props, dialect: str) -> str:
    """`UNWIND $rows AS row CREATE (n:Label {...})` with every declared property."""
    values = ", ".join(f"{p.name}: {_row_value(p.name, p.type, dialect)}" for p in props)
    return f"UNWIND $rows AS row CREATE (n:{label} {{{values}}})"


def _node_statements(node: NodeType) -> None:
    label = node.label
    names = node.prop_names
    register(f"node.get.{label}", f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN n")
    # What most lists show of a node, its id and name: a fraction of the whole record's cost (20
    # vendors at M: 0.55 ms whole, 0.18 ms so).
    columns = ", ".join(f"n.{name} AS {name}" for name in BRIEF[label])
    register(f"node.brief.{label}", f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN {columns}")
    register(f"node.all.{label}", f"MATCH (n:{label}) RETURN n ORDER BY n.id")
    register(f"node.count.{label}", f"MATCH (n:{label}) RETURN count(n) AS count")
    register(f"node.delete_all.{label}", f"MATCH (n:{label}) DETACH DELETE n")

    register(
        f"node.create.{label}",
        _create(label, node.all_props, "ladybug"),
        neo4j=_create(label, node.all_props, "neo4j"),
    )
    sets = ", ".join(f"n.{n} = ${n}" for n in names if n not in ("id", "createdAt"))
    register(f"node.update.{label}", f"MATCH (n:{label} {{id: $id}}) SET {sets} RETURN n")


def rel_key(rel: str, src: str, dst: str) -> str:
    return f"{rel}.{src}.{dst}"


def _rel_statements(rel: RelType) -> None:
    for src, dst in rel.ends:
        key = rel_key(rel.type, src, dst)
        cols = "".join(f", r.{p} AS {p}" for p in rel.prop_names)
        # Each hop starts from its ids by primary key, then follows the relationship from those
        # nodes (OPTIONAL MATCH: a row with no neighbour is null, and skipped by the reader). As one
        # MATCH, LadybugDB plans it as a join against the whole relationship table instead: 25×
        # slower at M, and growing with the registry (benchmarks/statements.py). The reader orders
        # each id's neighbours (Graph.related): a sort in the statement cost more than the hop.
        #
        # `rel.*` return the neighbour's node; `link.*` its id only: a connection pages those, then
        # reads just its page's records by id (a city's 150 pilots for a page of 20 were 4.6 ms
        # whole at M, 1.0 ms as ids).
        for kind, shown in (("rel", ""), ("link", ".id")):
            register(
                f"{kind}.out.{key}",
                f"UNWIND $ids AS id MATCH (a:{src} {{id: id}}) OPTIONAL MATCH (a)-[r:{rel.type}]->(b:{dst}) "
                f"RETURN id AS key, b{shown} AS node{cols}",
            )
            register(
                f"{kind}.in.{key}",
                f"UNWIND $ids AS id MATCH (b:{dst} {{id: id}}) OPTIONAL MATCH (a:{src})-[r:{rel.type}]->(b) "
                f"RETURN id AS key, a{shown} AS node{cols}",
            )
        register(
            f"rel.all.{key}",
            f"MATCH (a:{src})-[r:{rel.type}]->(b:{dst}) "
            f"RETURN a.id AS src, b.id AS dst{cols} ORDER BY src, dst",
        )

        def create(dialect: str, rel=rel, src=src, dst=dst) -> str:
            props = ", ".join(f"{p.name}: {_row_value(p.name, p.type, dialect)}" for p in rel.props)
            body = f" {{{props}}}" if props else ""
            return (
                f"UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) "
                f"MATCH (b:{dst} {{id: row.dst}}) CREATE (a)-[:{rel.type}{body}]->(b)"
            )

        register(f"rel.create.{key}", create("ladybug"), neo4j=create("neo4j"))
        register(  # from `a` by primary key, as the reads above (DELETE of a null is nothing)
            f"rel.delete.{key}",
            f"UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) "
            f"OPTIONAL MATCH (a)-[r:{rel.type}]->(b:{dst} {{id: row.dst}}) DELETE r",
        )
        if rel.props:

            def update(dialect: str, rel=rel, src=src, dst=dst) -> str:
                sets = ", ".join(f"r.{p.name} = {_row_value(p.name, p.type, dialect)}" for p in rel.props)
                return (
                    f"UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) "
                    f"OPTIONAL MATCH (a)-[r:{rel.type}]->(b:{dst} {{id: row.dst}}) SET {sets}"
                )

            register(f"rel.update.{key}", update("ladybug"), neo4j=update("neo4j"))
        register(
            f"rel.delete_from.{key}",
            f"UNWIND $ids AS id MATCH (a:{src} {{id: id}}) OPTIONAL MATCH (a)-[r:{rel.type}]->(b:{dst}) "
            "DELETE r",
        )


for _node in NODES.values():
    _node_statements(_node)
for _rel in RELS.values():
    _rel_statements(_rel)


# ---------------------------------------------------------------------------------------------
# Filtered, paged lists (the top-level connections). A list is a base label plus optional filters;
# every combination of filters is registered under its own name, so the lint sees each text.


@dataclass(frozen=True)
class Filter:
    name: str
    match: str = ""
    where: str = ""
    facet: tuple[str, str] | None = None
    """How to count a list's items by this filter's values: (a MATCH binding `v` to each item's
    value node, or "" for a property; the value expression)."""


@dataclass(frozen=True)
class ListSpec:
    label: str
    filters: tuple[Filter, ...] = ()

    def filter_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.filters)


def _search(*fields: str) -> Filter:
    """Every search term (a stem, see domain/text.py) is found in a text field in any language:
    as a substring, so "bot" finds the Finnish compound "neuvontabotti" and "kotiho" both
    "kotihoito" and "Kotihoidon"."""
    texts = [f"{base}{suffix}" for base in fields for suffix in ("", *(f"_{lang}" for lang in LANGUAGES))]
    any_text = " OR ".join(f"toLower(coalesce(n.{t}, '')) CONTAINS s" for t in texts)
    return Filter("search", where=f"all(s IN $search WHERE {any_text})")


_SEARCH = _search("name", "description")
_TITLE_SEARCH = _search("title", "description")
_CURRENT_DECISION = "NOT EXISTS { MATCH (d)<-[:SUPERSEDES]-(:Decision) }"
_NOT_REJECTED = "coalesce(hc.status, '') <> 'REJECTED'"
"""A capability a vendor claimed and the city rejected is not the service's (as its connections
show it: never as a link)."""

LISTS: dict[str, ListSpec] = {
    "City": ListSpec("City", (Filter("kind", where="n.kind = $kind"), _SEARCH)),
    "Theme": ListSpec("Theme", (_SEARCH,)),
    "Goal": ListSpec(
        "Goal", (Filter("cityId", match="MATCH (c:City)-[:HAS_GOAL]->(n)", where="c.id IN $cityId"),)
    ),
    "Capability": ListSpec("Capability", (_SEARCH,)),
    "Vendor": ListSpec(
        "Vendor",
        (
            _SEARCH,
            Filter(
                "capabilityId",
                match=(
                    "MATCH (n)-[:OFFERS]->(:Service)-[hc:HAS_CAPABILITY]->(:Capability {id: $capabilityId})"
                ),
                where=_NOT_REJECTED,
            ),
        ),
    ),
    "Service": ListSpec(
        "Service",
        (
            _SEARCH,
            Filter(
                "vendorId",
                match="MATCH (:Vendor {id: $vendorId})-[:OFFERS]->(n)",
                facet=("MATCH (v:Vendor)-[:OFFERS]->(n)", "v.id"),
            ),
            Filter(
                "capabilityId",
                match="MATCH (n)-[hc:HAS_CAPABILITY]->(:Capability {id: $capabilityId})",
                where=_NOT_REJECTED,
                facet=(f"MATCH (n)-[hc:HAS_CAPABILITY]->(v:Capability) WHERE {_NOT_REJECTED}", "v.id"),
            ),
            Filter(
                "cityId",
                match="MATCH (c:City)-[:USES|OPERATES]->(n)",
                where="c.id IN $cityId",
                facet=("MATCH (v:City)-[:USES|OPERATES]->(n)", "v.id"),
            ),
            Filter("lifecycle", where="n.lifecycle = $lifecycle", facet=("", "n.lifecycle")),
        ),
    ),
    "Need": ListSpec(
        "Need",
        (
            _TITLE_SEARCH,
            Filter(
                "cityId",
                match="MATCH (c:City)-[:HAS_NEED]->(n)",
                where="c.id IN $cityId",
                facet=("MATCH (v:City)-[:HAS_NEED]->(n)", "v.id"),
            ),
            Filter(
                "themeId",
                match="MATCH (n)-[:IN_THEME]->(:Theme {id: $themeId})",
                facet=("MATCH (n)-[:IN_THEME]->(v:Theme)", "v.id"),
            ),
            Filter("status", where="n.status = $status", facet=("", "n.status")),
        ),
    ),
    "Change": ListSpec("Change", (Filter("actorId", where="n.actorId = $actorId"),)),
    "Pilot": ListSpec(
        "Pilot",
        (
            _TITLE_SEARCH,
            Filter(
                "cityId",
                match="MATCH (c:City)-[:RUNS]->(n)",
                where="c.id IN $cityId",
                facet=("MATCH (v:City)-[:RUNS]->(n)", "v.id"),
            ),
            Filter("status", where="n.status = $status", facet=("", "n.status")),
            Filter(
                "outcome",
                match="MATCH (n)-[:DECIDED]->(d:Decision)",
                where=f"d.outcome = $outcome AND {_CURRENT_DECISION}",
                facet=(f"MATCH (n)-[:DECIDED]->(d:Decision) WHERE {_CURRENT_DECISION}", "d.outcome"),
            ),
            Filter(
                "vendorId",
                match="MATCH (n)-[:PARTNER]->(:Vendor {id: $vendorId})",
                facet=("MATCH (n)-[:PARTNER]->(v:Vendor)", "v.id"),
            ),
            Filter(
                "needId",
                match="MATCH (n)-[:FOR_NEED]->(:Need {id: $needId})",
                facet=("MATCH (n)-[:FOR_NEED]->(v:Need)", "v.id"),
            ),
        ),
    ),
}


def list_name(label: str, active: tuple[str, ...], count: bool = False) -> str:
    kind = "count" if count else "page"
    return f"list.{kind}.{label}[{','.join(active)}]"


def _compose(spec: ListSpec, active: tuple[str, ...], count: bool) -> str:
    used = [f for f in spec.filters if f.name in active]
    parts = [f"MATCH (n:{spec.label})"]
    parts += [f.match for f in used if f.match]
    conditions = [f.where for f in used if f.where]
    if not count:
        conditions.insert(0, "n.id > $after")
    if conditions:
        parts.append("WHERE " + " AND ".join(conditions))
    # A relationship filter can reach an item along several paths; only then is DISTINCT needed.
    distinct = "DISTINCT " if any(f.match for f in used) else ""
    if count:
        parts.append(f"RETURN count({distinct}n) AS count")
    else:
        # The keyset gives ids only; the page's records are then read by primary key, as much of
        # them as the caller needs (sorting whole records made LadybugDB carry every property of
        # every item through the sort; reading them here, 3.3 ms for a page of 20 services at M
        # against 1.5 ms for the ids).
        parts.append(f"RETURN {distinct}n.id AS id ORDER BY id LIMIT $limit")
    return " ".join(parts)


for _spec in LISTS.values():
    _names = _spec.filter_names()
    for _k in range(len(_names) + 1):
        for _active in combinations(_names, _k):
            register(list_name(_spec.label, _active), _compose(_spec, _active, count=False))
            register(list_name(_spec.label, _active, True), _compose(_spec, _active, count=True))


FACET_VALUES = 50
"""The most values a facet lists, most frequent first."""


def facet_name(label: str, field: str, active: tuple[str, ...]) -> str:
    return f"list.facet.{label}.{field}[{','.join(active)}]"


def _facet(spec: ListSpec, field: Filter, active: tuple[str, ...]) -> str:
    """Items of the list filtered by `active`, counted per value of `field` (its own filter is
    never applied: a facet shows the alternatives)."""
    used = [f for f in spec.filters if f.name in active]
    parts = [f"MATCH (n:{spec.label})", *(f.match for f in used if f.match)]
    conditions = [f.where for f in used if f.where]
    if conditions:
        parts.append("WHERE " + " AND ".join(conditions))
    match, value = field.facet
    # count(DISTINCT n) per value below removes repeats; a `WITH DISTINCT n` after the search
    # filter lost most rows on LadybugDB 0.22 (3 of 50 vendors in a test).
    parts += ["WITH n", match] if match else ["WITH n"]
    parts.append(
        f"RETURN {value} AS value, count(DISTINCT n) AS count ORDER BY count DESC, value LIMIT {FACET_VALUES}"
    )
    return " ".join(p for p in parts if p)


for _spec in LISTS.values():
    for _field in _spec.filters:
        if _field.facet:
            _others = tuple(n for n in _spec.filter_names() if n != _field.name)
            for _k in range(len(_others) + 1):
                for _active in combinations(_others, _k):
                    register(facet_name(_spec.label, _field.name, _active), _facet(_spec, _field, _active))


def facet_fields(label: str) -> tuple[str, ...]:
    return tuple(f.name for f in LISTS[label].filters if f.facet) if label in LISTS else ()


def active_filters(label: str, values: dict[str, object]) -> tuple[str, ...]:
    """The filters of a list that have a value, in declaration order (the statement name's order)."""
    return tuple(n for n in LISTS[label].filter_names() if values.get(n) is not None)


register("health.ping", "RETURN 1 AS ok")

# The registry head (see schema.REGISTRY_HEAD): created once, bumped first in every write.
register(
    "registry.init",
    "MERGE (h:Registry {id: $id}) ON CREATE SET h.revision = 0, h.token = $token "
    "ON MATCH SET h.token = coalesce(h.token, $token)",
)
register("registry.head", "MATCH (h:Registry {id: $id}) RETURN h.revision AS revision")
register("registry.identity", "MATCH (h:Registry {id: $id}) RETURN h.revision AS revision, h.token AS token")
register("registry.retoken", "MATCH (h:Registry {id: $id}) SET h.token = $token RETURN h.token AS token")
register(
    "registry.bump",
    "MATCH (h:Registry {id: $id}) SET h.revision = h.revision + 1 RETURN h.revision AS revision",
)

register(
    "registry.raise",
    "MATCH (h:Registry {id: $id}) SET h.revision = $revision RETURN h.revision AS revision",
)

# API keys (see schema.INTERNAL["ApiKey"]).
register(
    "apikey.create",
    _create("ApiKey", INTERNAL["ApiKey"], "ladybug"),
    neo4j=_create("ApiKey", INTERNAL["ApiKey"], "neo4j"),
)
register("apikey.get", "UNWIND $ids AS id MATCH (k:ApiKey {id: id}) RETURN k")
register("apikey.all", "MATCH (k:ApiKey) RETURN k ORDER BY k.id")
register("apikey.delete_all", "MATCH (k:ApiKey) DELETE k")
register("apikey.revoke", "MATCH (k:ApiKey {id: $id}) SET k.revokedAt = $at RETURN k")
register(
    "apikey.admins", "MATCH (k:ApiKey) WHERE k.role = $role AND k.revokedAt IS NULL RETURN count(k) AS count"
)

# Unique values (see schema.INTERNAL["Key"]).
register("key.claim", "UNWIND $rows AS row CREATE (k:Key {id: row.id, node: row.node})")
register("key.release", "UNWIND $ids AS id MATCH (k:Key {id: id}) DELETE k")
register("key.get", "UNWIND $ids AS id MATCH (k:Key {id: id}) RETURN k.id AS id, k.node AS node")
register("key.delete_all", "MATCH (k:Key) DELETE k")
