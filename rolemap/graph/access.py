"""Typed access to the graph over a `run(name, params)` function: a store's `read` for plain
reads, a transaction's `run` inside a write. Knows statement names, never builds Cypher.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import Code, UserErrors
from .schema import NODES, RELS, key_id, label_of
from .statements import active_filters, list_name, rel_key

Run = Callable[[str, dict[str, Any]], list[dict[str, Any]]]
Record = dict[str, Any]
Edge = tuple[Record, dict[str, Any]]
"""A neighbour record and the relationship's properties."""


def now() -> datetime:
    return datetime.now(UTC)


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


class Graph:
    def __init__(self, run: Run) -> None:
        self.run = run

    # Reads ---------------------------------------------------------------------------------
    def nodes(self, label: str, ids: Iterable[str]) -> dict[str, Record]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        rows = self.run(f"node.get.{label}", {"ids": ids})
        return {row["n"]["id"]: record(label, row["n"]) for row in rows}

    def node(self, label: str, node_id: str) -> Record | None:
        return self.nodes(label, [node_id]).get(node_id)

    def related(
        self, rel: str, src: str, dst: str, direction: str, ids: Iterable[str]
    ) -> dict[str, list[Edge]]:
        """Neighbours of each id across `rel`: `out` from a `src` node, `in` to a `dst` node."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, list[Edge]] = defaultdict(list)
        if not ids:
            return out
        label = dst if direction == "out" else src
        for row in self.run(f"rel.{direction}.{rel_key(rel, src, dst)}", {"ids": ids}):
            props = {p: row[p] for p in RELS[rel].prop_names}
            out[row["key"]].append((record(label, row["node"]), props))
        return out

    def page(self, label: str, filters: dict[str, Any], after: str, limit: int) -> list[Record]:
        active = active_filters(label, filters)
        params = {name: filters[name] for name in active}
        params.update(after=after, limit=limit)
        rows = self.run(list_name(label, active), params)
        return [record(label, row["n"]) for row in rows]

    def count(self, label: str, filters: dict[str, Any]) -> int:
        active = active_filters(label, filters)
        rows = self.run(list_name(label, active, count=True), {n: filters[n] for n in active})
        return rows[0]["count"]

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
            self.run(f"node.create.{label}", {"rows": rows})
            self._claim(label, [(r, None) for r in rows])

    def update(self, rec: Record, changes: dict[str, Any]) -> Record:
        label = rec["_label"]
        merged = {**rec, **changes, "updatedAt": now()}
        params = {p: merged[p] for p in NODES[label].prop_names if p != "createdAt"}
        self.run(f"node.update.{label}", params)
        self._claim(label, [(merged, rec)])
        return merged

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
        names = RELS[rel].prop_names
        rows = [{"src": r["src"], "dst": r["dst"], **{p: r.get(p) for p in names}} for r in rows]
        if rows:
            self.run(f"rel.create.{rel_key(rel, src, dst)}", {"rows": rows})

    def relink(self, rel: str, src: str, dst: str, src_id: str, dst_ids: list[str]) -> None:
        """Make `src_id`'s `rel` edges to `dst` nodes exactly `dst_ids`."""
        self.run(f"rel.delete_from.{rel_key(rel, src, dst)}", {"ids": [src_id]})
        self.link(rel, src, dst, [{"src": src_id, "dst": d} for d in dst_ids])

    def unlink(self, rel: str, src: str, dst: str, pairs: list[tuple[str, str]]) -> None:
        rows = [{"src": a, "dst": b} for a, b in pairs]
        if rows:
            self.run(f"rel.delete.{rel_key(rel, src, dst)}", {"rows": rows})
