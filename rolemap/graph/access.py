"""Typed access to the graph over a `run(name, params)` function: a store's `read` for plain
reads, a transaction's `run` inside a write. Knows statement names, never builds Cypher.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from ..domain.actors import Actor, Role, Rule, refuse
from ..domain.errors import Code, UserErrors
from .schema import NODES, RELS, change_id, key_id, label_of
from .statements import active_filters, facet_name, list_name, rel_key

Run = Callable[[str, dict[str, Any]], list[dict[str, Any]]]
Record = dict[str, Any]
Edge = tuple[Record, dict[str, Any]]
"""A neighbour record and the relationship's properties."""
Link = tuple[str, dict[str, Any]]
"""A neighbour's id and the relationship's properties."""


def now() -> datetime:
    return datetime.now(UTC)


def far_end(src: str, dst: str, direction: str) -> str:
    """The label of the neighbours a hop reaches: `dst` going `out` of a `src` node, else `src`."""
    return dst if direction == "out" else src


def record(label: str, node: dict[str, Any]) -> Record:
    """A node as a record with every declared property (Neo4j omits null ones)."""
    out = {p: node.get(p) for p in NODES[label].prop_names}
    out["_label"] = label
    return out


def new_id(label: str, name: str) -> str:
    """`Label:readable-slug-abc123`: readable in logs and exports, unique by its random tail."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return f"{label}:{slug + '-' if slug else ''}{secrets.token_hex(3)}"


UNIQUE = {
    label: tuple(p.name for p in n.all_props if p.unique and p.name != "id") for label, n in NODES.items()
}
"""The unique properties of each label besides `id`: each value held is a `Key` node."""


def external_key(owner_id: str | None, external_id: str | None) -> str | None:
    """A service's `externalKey`: its external id is unique per vendor (or operating city)."""
    return f"{owner_id}|{external_id}" if owner_id and external_id else None


class Journal:
    """What one use case's write transaction changes, for its change record, and whether its
    caller was authorized: a journalled graph refuses to write before `authorize` succeeded."""

    def __init__(self, actor: Actor, rule: Rule, operation: str) -> None:
        self.actor, self.rule, self.operation = actor, rule, operation
        self.authorized = False
        self.fields: list[dict[str, Any]] = []
        self.touched: dict[str, None] = {}  # an ordered set

    def field(self, node_id: str, name: str, before: Any, after: Any) -> None:
        self.touched[node_id] = None
        self.fields.append(
            {"nodeId": node_id, "name": name, "before": _plain(before), "after": _plain(after)}
        )


def _plain(value: Any) -> Any:
    """A property value as JSON: dates and timestamps in ISO 8601 (UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class PermissionNotChecked(RuntimeError):
    """A use case tried to write before checking its caller: a bug, never the caller's fault."""


JOURNAL_SKIPS = frozenset({"createdAt", "updatedAt", "externalKey"})
"""Properties a change record leaves out: stamps, and what is derived from other fields."""


class Graph:
    def __init__(self, run: Run, journal: Journal | None = None) -> None:
        self.run = run
        self.journal = journal

    # Reads ---------------------------------------------------------------------------------
    def nodes(self, label: str, ids: Iterable[str]) -> dict[str, Record]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        rows = self.run(f"node.get.{label}", {"ids": ids})
        return {row["n"]["id"]: record(label, row["n"]) for row in rows}

    def briefs(self, label: str, ids: Iterable[str]) -> dict[str, Record]:
        """Partial records: only the id and name (or title) of each node (`schema.BRIEF`)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        rows = self.run(f"node.brief.{label}", {"ids": ids})
        return {row["id"]: {**row, "_label": label} for row in rows}

    def node(self, label: str, node_id: str) -> Record | None:
        return self.nodes(label, [node_id]).get(node_id)

    def related(
        self, rel: str, src: str, dst: str, direction: str, ids: Iterable[str]
    ) -> dict[str, list[Edge]]:
        """Neighbours of each id across `rel`: `out` from a `src` node, `in` to a `dst` node."""
        label = far_end(src, dst, direction)
        found = self._hop("rel", rel, src, dst, direction, ids, lambda node: record(label, node))
        for edges in found.values():  # each id's neighbours by id, as connections page them
            edges.sort(key=lambda edge: edge[0]["id"])
        return found

    def links(
        self, rel: str, src: str, dst: str, direction: str, ids: Iterable[str]
    ) -> dict[str, list[Link]]:
        """As `related`, with the neighbours' ids instead of their records."""
        found = self._hop("link", rel, src, dst, direction, ids, lambda node_id: node_id)
        for links in found.values():
            links.sort(key=lambda link: link[0])
        return found

    def _hop(self, kind, rel, src, dst, direction, ids, make) -> dict[str, list]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, list] = defaultdict(list)
        if not ids:
            return out
        names = RELS[rel].prop_names
        for row in self.run(f"{kind}.{direction}.{rel_key(rel, src, dst)}", {"ids": ids}):
            if row["node"] is None:  # an id with no neighbour (or no node) across `rel`
                continue
            out[row["key"]].append((make(row["node"]), {p: row[p] for p in names}))
        return out

    def page(self, label: str, filters: dict[str, Any], after: str, limit: int) -> list[Record]:
        """The records of `page_ids`, in order."""
        ids = self.page_ids(label, filters, after, limit)
        found = self.nodes(label, ids)
        return [found[i] for i in ids if i in found]

    def page_ids(self, label: str, filters: dict[str, Any], after: str, limit: int) -> list[str]:
        """The first `limit` ids after `after` of the `label` nodes the filters keep, by id."""
        active = active_filters(label, filters)
        params = {name: filters[name] for name in active}
        params.update(after=after, limit=limit)
        return [row["id"] for row in self.run(list_name(label, active), params)]

    def count(self, label: str, filters: dict[str, Any]) -> int:
        active = active_filters(label, filters)
        rows = self.run(list_name(label, active, count=True), {n: filters[n] for n in active})
        return rows[0]["count"]

    def facet(self, label: str, field: str, filters: dict[str, Any]) -> list[tuple[Any, int]]:
        """(value, items) of one filter field over the list the other filters give, most first."""
        active = tuple(n for n in active_filters(label, filters) if n != field)
        rows = self.run(facet_name(label, field, active), {n: filters[n] for n in active})
        return [(row["value"], row["count"]) for row in rows]

    def total(self, label: str) -> int:
        return self.run(f"node.count.{label}", {})[0]["count"]

    # Checks --------------------------------------------------------------------------------
    def require(self, label: str, ids: Iterable[str], field: str) -> dict[str, Record]:
        """The records of `ids`, or NOT_FOUND naming every id that is not a `label`."""
        ids = list(dict.fromkeys(ids))
        found = self.nodes(label, [i for i in ids if label_of(i) == label])
        missing = [i for i in ids if i not in found]
        if missing:
            raise UserErrors.one(Code.NOT_FOUND, field, f"no {label} with id {', '.join(missing)}")
        return found

    def require_one(self, label: str, node_id: str, field: str) -> Record:
        return self.require(label, [node_id], field)[node_id]

    def holder(self, label: str, prop: str, value: Any) -> str | None:
        """The id of the `label` node whose unique `prop` is `value`, if any (a primary-key lookup)."""
        rows = self.run("key.get", {"ids": [key_id(label, prop, value)]})
        return rows[0]["node"] if rows else None

    def unique(self, label: str, prop: str, value: str | None, field: str, own_id=None) -> None:
        """DUPLICATE, naming the holder, when another `label` already has this `prop` value."""
        if value is None:
            return
        holder = self.holder(label, prop, value)
        if holder is not None and holder != own_id:
            raise UserErrors.one(Code.DUPLICATE, field, f"{holder} already has {prop} {value!r}")

    # Permission ------------------------------------------------------------------------------
    def authorize(
        self,
        field: str | None,
        *,
        city: str | None = None,
        cities: Iterable[str] = (),
        vendor: str | None = None,
        vendor_field: str | None = None,
    ) -> None:
        """Check the caller against the use case's rule for this target: a city (or any of
        `cities`), or a vendor. Raises UNAUTHENTICATED / FORBIDDEN naming `field` (or, for a
        vendor, `vendor_field` when the vendor comes from another argument)."""
        journal = self.journal
        actor, rule = journal.actor, journal.rule
        if actor.anonymous:
            raise refuse(actor, field, "")
        if actor.role is not Role.ADMIN:
            if actor.role not in rule.roles:
                raise refuse(actor, field, f"a {actor.role} key may not {journal.operation}")
            if actor.role in (Role.CITY, Role.PROCUREMENT):
                targets = [city] if city else list(cities)
                if not targets or not any(self.covers(actor.city_id, t) for t in targets):
                    about = f"not on {', '.join(targets)}" if targets else "and this is not a city's"
                    raise refuse(actor, field, f"{actor.city_id} may act on its own city or region, {about}")
            elif actor.role is Role.VENDOR and (vendor is None or vendor != actor.vendor_id):
                why = f"{actor.vendor_id} may act on its own offerings only, not {vendor}"
                raise refuse(actor, vendor_field or field, why)
        journal.authorized = True

    def with_members(self, city: str) -> list[str]:
        """A city and everything PART_OF it, transitively (one statement per level)."""
        found, todo = {city}, [city]
        while todo:
            members = self.related("PART_OF", "City", "City", "in", todo)
            todo = [m["id"] for edges in members.values() for m, _ in edges if m["id"] not in found]
            found.update(todo)
        return sorted(found)

    def covers(self, scope: str | None, city: str) -> bool:
        """True when `city` is `scope` or, transitively, PART_OF it."""
        seen, todo = set(), [city]
        while todo and scope:
            if scope in todo:
                return True
            seen.update(todo)
            parents = self.related("PART_OF", "City", "City", "out", todo)
            todo = [p["id"] for edges in parents.values() for p, _ in edges if p["id"] not in seen]
        return False

    def record_change(self, revision: int) -> Record:
        """The journal as this transaction's change record, with a TOUCHED edge to each node."""
        journal, stamp = self.journal, now()
        change = record(
            "Change",
            {
                "id": change_id(revision),
                "createdAt": stamp,
                "updatedAt": stamp,
                "revision": revision,
                "actorId": journal.actor.id,
                "actorName": journal.actor.name,
                "actorRole": journal.actor.role.value if journal.actor.role else None,
                "operation": journal.operation,
                "nodeIds": list(journal.touched),
                "fields": json.dumps(journal.fields, ensure_ascii=False, sort_keys=True),
            },
        )
        self.run("node.create.Change", {"rows": [{p: change[p] for p in NODES["Change"].prop_names}]})
        by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
        for node_id in journal.touched:
            if label_of(node_id):  # registry records; an API key is named in nodeIds only
                by_label[label_of(node_id)].append({"src": change["id"], "dst": node_id})
        for label, rows in by_label.items():
            self.run(f"rel.create.{rel_key('TOUCHED', 'Change', label)}", {"rows": rows})
        return change

    # Writes --------------------------------------------------------------------------------
    def create(self, label: str, props: dict[str, Any], node_id: str | None = None) -> Record:
        stamp = now()
        base = props.get("name") or props.get("title") or ""
        rec = record(label, {**props, "createdAt": stamp, "updatedAt": stamp})
        rec["id"] = node_id or new_id(label, base)
        self.create_many(label, [rec])
        return rec

    def create_many(self, label: str, records: list[Record]) -> None:
        names = NODES[label].prop_names
        rows = [{p: r.get(p) for p in names} for r in records]
        if rows:
            self._writing()
            self.run(f"node.create.{label}", {"rows": rows})
            self._claim(label, [(r, None) for r in rows])
            if self.journal:
                for row in rows:
                    for p in names:
                        if row[p] is not None and p not in JOURNAL_SKIPS and p != "id":
                            self.journal.field(row["id"], p, None, row[p])
                    self.journal.touched[row["id"]] = None

    def update(self, rec: Record, changes: dict[str, Any]) -> Record:
        label = rec["_label"]
        merged = {**rec, **changes, "updatedAt": now()}
        params = {p: merged[p] for p in NODES[label].prop_names if p != "createdAt"}
        self._writing()
        self.run(f"node.update.{label}", params)
        self._claim(label, [(merged, rec)])
        if self.journal:
            self.journal.touched[rec["id"]] = None
            for p in NODES[label].prop_names:
                if p not in JOURNAL_SKIPS and rec.get(p) != merged.get(p):
                    self.journal.field(rec["id"], p, rec.get(p), merged.get(p))
        return merged

    def _writing(self) -> None:
        if self.journal is not None and not self.journal.authorized:
            raise PermissionNotChecked(f"{self.journal.operation} wrote before checking its caller")

    def claim(self, label: str, records: list[Record]) -> None:
        """Claim the unique values of records written before keys were kept (see upgrade.py)."""
        self._claim(label, [(r, None) for r in records])

    def _claim(self, label: str, changed: list[tuple[Record, Record | None]]) -> None:
        """Keep one `Key` per unique value: claim the new values, release the replaced ones. A value
        another node holds makes the store refuse the whole transaction (`DuplicateKeyError`)."""
        claim, release = [], []
        for prop in UNIQUE[label]:
            for new, old in changed:
                before = old.get(prop) if old else None
                if new.get(prop) == before:
                    continue
                if before is not None:
                    release.append(key_id(label, prop, before))
                if new.get(prop) is not None:
                    claim.append({"id": key_id(label, prop, new[prop]), "node": new["id"]})
        if release:
            self.run("key.release", {"ids": release})
        if claim:
            self.run("key.claim", {"rows": claim})

    def link(self, rel: str, src: str, dst: str, rows: list[dict[str, Any]]) -> None:
        """Create `rel` edges from `src`-labelled to `dst`-labelled nodes; rows hold src, dst
        and the relationship's properties."""
        rows = self._edge_rows(rel, rows)
        if not rows:
            return
        self._writing()
        self.run(f"rel.create.{rel_key(rel, src, dst)}", {"rows": rows})
        if self.journal:
            for row in rows:
                self.journal.field(row["src"], rel, None, {"to": row["dst"], **_edge_props(row)})

    def set_edges(
        self, rel: str, src: str, dst: str, rows: list[dict[str, Any]], before: list[dict] = ()
    ) -> None:
        """Set the properties of existing edges (rows: src, dst and every property; `before`,
        the same edges' properties as they were, for the change record)."""
        rows = self._edge_rows(rel, rows)
        if not rows:
            return
        self._writing()
        self.run(f"rel.update.{rel_key(rel, src, dst)}", {"rows": rows})
        if self.journal:
            was = {(b["src"], b["dst"]): b for b in self._edge_rows(rel, list(before))}
            for row in rows:
                old = was.get((row["src"], row["dst"]))
                old = {"to": row["dst"], **_edge_props(old)} if old else None
                self.journal.field(row["src"], rel, old, {"to": row["dst"], **_edge_props(row)})

    def relink(
        self, rel: str, src: str, dst: str, src_id: str, dst_ids: list[str], props: dict | None = None
    ) -> None:
        """Make `src_id`'s `rel` edges to `dst` nodes exactly `dst_ids`. Edges that stay keep
        their properties (a verified claim stays verified); new ones get `props`."""
        current = [n["id"] for n, _ in self.related(rel, src, dst, "out", [src_id]).get(src_id, [])]
        gone = [d for d in current if d not in dst_ids]
        new = [d for d in dst_ids if d not in current]
        if not gone and not new:
            return
        self._writing()
        if gone:
            self.run(
                f"rel.delete.{rel_key(rel, src, dst)}", {"rows": [{"src": src_id, "dst": d} for d in gone]}
            )
        rows = self._edge_rows(rel, [{"src": src_id, "dst": d, **(props or {})} for d in new])
        if rows:
            self.run(f"rel.create.{rel_key(rel, src, dst)}", {"rows": rows})
        if self.journal:  # edge by edge, as link and unlink record them
            for d in gone:
                self.journal.field(src_id, rel, {"to": d}, None)
            for row in rows:
                self.journal.field(src_id, rel, None, {"to": row["dst"], **_edge_props(row)})

    def unlink(self, rel: str, src: str, dst: str, pairs: list[tuple[str, str]]) -> None:
        rows = [{"src": a, "dst": b} for a, b in pairs]
        if not rows:
            return
        self._writing()
        self.run(f"rel.delete.{rel_key(rel, src, dst)}", {"rows": rows})
        if self.journal:
            for a, b in pairs:
                self.journal.field(a, rel, {"to": b}, None)

    @staticmethod
    def _edge_rows(rel: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = RELS[rel].prop_names
        return [{"src": r["src"], "dst": r["dst"], **{p: r.get(p) for p in names}} for r in rows]


def _edge_props(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("src", "dst") and v is not None}
