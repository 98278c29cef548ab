"""The JSON bundle of a whole registry: `rolemap export` writes it, `rolemap import` reads it.

Import validates every record against the graph schema first (types, enumerations, required
fields, unique keys, relationship endpoints) and names the record and field of each problem; only
a clean bundle is written, in one transaction. Export → import into an empty store → export gives
the same bundle.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from .graph.access import Graph, external_key, now, record
from .graph.schema import (
    BOOL,
    CITY_KINDS,
    DATE,
    FLOAT,
    INT,
    NEED_STATUSES,
    NODES,
    OUTCOMES,
    PILOT_STATUSES,
    RELS,
    RINGS,
    SERVICE_LIFECYCLES,
    STRING,
    STRINGS,
    TIMESTAMP,
    label_of,
)
from .graph.statements import rel_key
from .graph.store import Store

FORMAT = "rolemap-bundle"
VERSION = 1
CHUNK = 2000

ENUMS = {
    ("City", "kind"): CITY_KINDS,
    ("Need", "status"): NEED_STATUSES,
    ("Service", "lifecycle"): SERVICE_LIFECYCLES,
    ("Pilot", "status"): PILOT_STATUSES,
    ("Decision", "outcome"): OUTCOMES,
    ("STANCE", "ring"): RINGS,
}
REQUIRED = {
    "City": ("name", "kind"),
    "Goal": ("name",),
    "Theme": ("name",),
    "Capability": ("name",),
    "Need": ("title", "status"),
    "Vendor": ("name",),
    "Service": ("name", "lifecycle"),
    "Pilot": ("title", "status"),
    "Decision": ("outcome", "rationale", "lessons", "decidedBy", "decidedAt"),
}
MAX_REPORTED = 50
DERIVED = {"Service": ("externalKey",)}
"""Properties import derives from the rest of the bundle: not exported."""


class BundleError(ValueError):
    """The bundle cannot be imported; `problems` name each record and field."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n… and {more} more" if more else "")
        super().__init__(f"the bundle was not imported ({len(problems)} problems):\n{text}")
        self.problems = problems


class StoreNotEmptyError(BundleError):
    """Import without `replace` found records already there (checked inside the transaction)."""


# Export ----------------------------------------------------------------------------------------


def export_bundle(store: Store) -> dict[str, Any]:
    nodes = {}
    for label in NODES:
        rows = store.read(f"node.all.{label}")
        nodes[label] = [_export_props(record(label, row["n"]), DERIVED.get(label, ())) for row in rows]
    rels: dict[str, list[dict[str, Any]]] = {}
    for rel in RELS.values():
        rows = []
        for src, dst in rel.ends:
            rows += store.read(f"rel.all.{rel_key(rel.type, src, dst)}")
        rels[rel.type] = sorted((_export_props(r) for r in rows), key=_rel_order)
    return {"format": FORMAT, "version": VERSION, "nodes": nodes, "relationships": rels}


def _rel_order(row: dict[str, Any]) -> tuple:
    return (row["src"], row["dst"], *(str(v) for k, v in sorted(row.items()) if k not in ("src", "dst")))


def _export_props(props: dict[str, Any], derived: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        k: _export_value(v)
        for k, v in props.items()
        if v is not None and not k.startswith("_") and k not in derived
    }


def _export_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


# Import ----------------------------------------------------------------------------------------


def import_bundle(store: Store, bundle: Any, replace: bool = False, progress=None) -> dict[str, int]:
    """Validate, then write the whole bundle in one transaction. Returns counts per label/type.
    `progress(kind, done, total)` is called after each chunk written (kind: a label or a type)."""
    nodes, rels = parse_bundle(bundle)
    report = progress or (lambda kind, done, total: None)

    def work(tx) -> dict[str, int]:
        g = Graph(tx.run)
        if replace:
            for label in NODES:
                tx.run(f"node.delete_all.{label}", {})
            tx.run("key.delete_all", {})
        else:
            present = {label: g.total(label) for label in NODES}
            if any(present.values()):
                raise StoreNotEmptyError(
                    ["the store is not empty: import into an empty store, or use --replace"]
                )
        counts: dict[str, int] = {}
        for label, records in nodes.items():
            for done, chunk in _chunks(records):
                g.create_many(label, chunk)
                report(label, done, len(records))
            counts[label] = len(records)
        for (rel, src, dst), rows in rels.items():
            for done, chunk in _chunks(rows):
                g.link(rel, src, dst, chunk)
                report(rel, done, len(rows))
            counts[rel] = counts.get(rel, 0) + len(rows)
        return counts

    return store.write(work)


def _chunks(rows: list[Any]) -> list[tuple[int, list[Any]]]:
    """(rows written after this chunk, chunk) pairs."""
    return [(min(i + CHUNK, len(rows)), rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK)]


def parse_bundle(bundle: Any) -> tuple[dict[str, list[dict]], dict[tuple[str, str, str], list[dict]]]:
    """Typed records per label and relationship rows per (type, src label, dst label)."""
    problems: list[str] = []
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError([f"not a rolemap bundle: `format` must be {FORMAT!r}"])
    if bundle.get("version") != VERSION:
        raise BundleError([f"bundle version {bundle.get('version')!r} is not {VERSION}"])
    raw_nodes = bundle.get("nodes") or {}
    raw_rels = bundle.get("relationships") or {}
    for key in raw_nodes:
        if key not in NODES:
            problems.append(f"nodes.{key}: unknown label")
    for key in raw_rels:
        if key not in RELS:
            problems.append(f"relationships.{key}: unknown relationship type")

    stamp = now()
    nodes: dict[str, list[dict]] = {}
    labels_by_id: dict[str, str] = {}
    unique_seen: dict[tuple[str, str, Any], str] = {}
    for label, node_type in NODES.items():
        records = []
        for i, raw in enumerate(raw_nodes.get(label) or []):
            where = f"nodes.{label}[{i}]"
            if not isinstance(raw, dict):
                problems.append(f"{where}: must be an object")
                continue
            node_id = raw.get("id")
            where = f"{where} ({node_id})"
            if not isinstance(node_id, str) or label_of(node_id) != label:
                problems.append(f"{where}: field id: must be a string '{label}:<slug>'")
                continue
            if node_id in labels_by_id:
                problems.append(f"{where}: field id: duplicate id")
                continue
            labels_by_id[node_id] = label
            types = {p.name: p.type for p in node_type.all_props}
            rec = _typed(label, types, raw, where, problems)
            rec.setdefault("createdAt", stamp)
            rec.setdefault("updatedAt", rec["createdAt"])
            for field in REQUIRED[label]:
                if rec.get(field) in (None, "", []):
                    problems.append(f"{where}: field {field}: is required")
            for prop in node_type.all_props:
                if prop.unique and prop.name != "id" and rec.get(prop.name) is not None:
                    key = (label, prop.name, rec[prop.name])
                    if key in unique_seen:
                        other = unique_seen[key]
                        problems.append(
                            f"{where}: field {prop.name}: {rec[prop.name]!r} is also used by {other}"
                        )
                    unique_seen[key] = node_id
            _domain_rules(label, rec, where, problems)
            records.append(rec)
        nodes[label] = records

    rels: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for rel_type, rel in RELS.items():
        seen: set[tuple] = set()
        for i, raw in enumerate(raw_rels.get(rel_type) or []):
            where = f"relationships.{rel_type}[{i}]"
            if not isinstance(raw, dict):
                problems.append(f"{where}: must be an object")
                continue
            src, dst = raw.get("src"), raw.get("dst")
            where = f"{where} ({src} -> {dst})"
            ends = (labels_by_id.get(src), labels_by_id.get(dst))
            if ends[0] is None:
                problems.append(f"{where}: field src: no node {src!r} in the bundle")
                continue
            if ends[1] is None:
                problems.append(f"{where}: field dst: no node {dst!r} in the bundle")
                continue
            if ends not in rel.ends:
                allowed = ", ".join(f"{a}->{b}" for a, b in rel.ends)
                problems.append(f"{where}: {ends[0]}->{ends[1]} is not allowed (only {allowed})")
                continue
            key = (src, dst, *(str(raw.get(p.name)) for p in rel.props)) if rel.history else (src, dst)
            if key in seen:
                problems.append(f"{where}: duplicate relationship")
                continue
            seen.add(key)
            types = {"src": STRING, "dst": STRING, **{p.name: p.type for p in rel.props}}
            row = _typed(rel_type, types, raw, where, problems)
            rels[(rel_type, *ends)].append(row)
    _external_keys(nodes, rels, problems)
    if problems:
        raise BundleError(problems)
    return nodes, dict(rels)


def _external_keys(nodes: dict[str, list[dict]], rels: dict, problems: list[str]) -> None:
    """Derive each service's `externalKey` from its owner (a bundle may carry it: it must agree)."""
    owner = {
        row["dst"]: row["src"]
        for key in (("OFFERS", "Vendor", "Service"), ("OPERATES", "City", "Service"))
        for row in rels.get(key, ())
    }
    seen: dict[str, str] = {}
    for i, service in enumerate(nodes["Service"]):
        where = f"nodes.Service[{i}] ({service['id']})"
        key = external_key(owner.get(service["id"]), service.get("externalId"))
        given = service.get("externalKey")
        if given is not None and given != key:
            problems.append(f"{where}: field externalKey: {given!r} is not owner|externalId ({key!r})")
        if key in seen:
            problems.append(
                f"{where}: field externalId: {owner[service['id']]} already has it on {seen[key]}"
            )
        elif key:
            seen[key] = service["id"]
        service["externalKey"] = key


def _typed(owner: str, types: dict[str, str], raw: dict, where: str, problems: list[str]) -> dict[str, Any]:
    """`raw`'s fields converted to the declared types; each bad field is added to `problems`."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in types:
            problems.append(f"{where}: field {key}: unknown field")
            continue
        if value is None:
            continue
        try:
            out[key] = _coerce(value, types[key])
        except ValueError as exc:
            problems.append(f"{where}: field {key}: {exc}")
            continue
        allowed = ENUMS.get((owner, key))
        if allowed and out[key] not in allowed:
            problems.append(f"{where}: field {key}: {value!r} is not one of {', '.join(allowed)}")
    return out


def _coerce(value: Any, type_: str) -> Any:
    if type_ == STRING:
        if not isinstance(value, str):
            raise ValueError(f"must be text, not {type(value).__name__}")
        return value
    if type_ == STRINGS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of text")
        return value
    if type_ == BOOL:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if type_ == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value
    if type_ == FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        return float(value)
    if type_ == DATE:
        if isinstance(value, datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a timestamp")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if type_ == TIMESTAMP:
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ValueError(f"unsupported type {type_}")


def _domain_rules(label: str, rec: dict[str, Any], where: str, problems: list[str]) -> None:
    if label == "Pilot":
        if (rec.get("budgetEur") or 0) < 0:
            problems.append(f"{where}: field budgetEur: must not be negative")
        start, end = rec.get("startDate"), rec.get("endDate")
        if start and end and end < start:
            problems.append(f"{where}: field endDate: is before startDate")
    if label == "Decision" and any(not lesson.strip() for lesson in rec.get("lessons") or []):
        problems.append(f"{where}: field lessons: a lesson must not be empty")
