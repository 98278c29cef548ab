"""The JSON bundle of a whole registry: `rolemap export` writes it, `rolemap import` reads it.

Import validates every record against the graph schema first (types, enumerations, required
fields, unique keys, relationship endpoints) and names the record and field of each problem; only
a clean bundle is written, in one transaction. Export → import into an empty store → export gives
the same bundle.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from .domain.actors import ROLES
from .domain.rules import INT_MAX, INT_MIN, RuleError, check_id, check_number, check_text, text_rule
from .graph.access import Graph, external_key, now, record
from .graph.schema import (
    BOOL,
    CITY_KINDS,
    CLAIM_STATUSES,
    CLAIMABLE,
    DATE,
    FLOAT,
    INT,
    NEED_STATUSES,
    NODES,
    OUTCOMES,
    PILOT_STATUSES,
    REGISTRY_HEAD,
    RELS,
    RINGS,
    SERVICE_LIFECYCLES,
    STRING,
    STRINGS,
    TIMESTAMP,
    change_id,
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
    **{(rel, "status"): CLAIM_STATUSES for rel in CLAIMABLE},
    ("Change", "actorRole"): ROLES,
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
    "Change": ("revision", "operation", "actorId", "actorName"),
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


def bundle_text(bundle: dict[str, Any]) -> str:
    """A bundle as its file holds it: stable key order, so two exports of one registry are equal."""
    return json.dumps(bundle, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


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


DATA_LABELS = tuple(label for label in NODES if label != "Change")
"""The registry's records; `Change` records are its log, which is never deleted."""


def is_empty(graph: Graph) -> bool:
    """No registry records (a log of key management alone does not count)."""
    return not any(graph.total(label) for label in DATA_LABELS)


def import_bundle(store: Store, bundle: Any, replace: bool = False, progress=None) -> dict[str, int]:
    """Validate, then write the whole bundle in one transaction. Returns counts per label/type.
    `progress(kind, done, total)` is called after each chunk written (kind: a label or a type).

    The bundle's change records are appended to the log after the revisions already there (into
    an empty store they keep their numbers, so export → import → export gives the same bundle),
    and the registry's revision moves past them. An import is not itself a change record: every
    instance sees the revision move and rebuilds what it derives from the registry."""
    nodes, rels = parse_bundle(bundle)
    report = progress or (lambda kind, done, total: None)

    def work(tx) -> dict[str, int]:
        g = Graph(tx.run)
        if replace:
            for label in DATA_LABELS:
                tx.run(f"node.delete_all.{label}", {})
            tx.run("key.delete_all", {})
        elif not is_empty(g):
            raise StoreNotEmptyError(["the store is not empty: import into an empty store, or use --replace"])
        last = _renumber_changes(nodes, rels, offset=tx.revision - 1)
        if last > tx.revision:
            tx.run("registry.raise", {"id": REGISTRY_HEAD, "revision": last})
            tx.revision = last
        counts: dict[str, int] = dict.fromkeys(RELS, 0)
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

    return store.write(work, retry=False)


def _renumber_changes(nodes: dict[str, list[dict]], rels: dict, offset: int) -> int:
    """Shift the bundle's change records `offset` revisions on (their ids and TOUCHED edges with
    them); the last revision they reach (0 when there are none)."""
    renamed = {}
    for change in nodes.get("Change", []):
        change["revision"] += offset
        new_id = change_id(change["revision"])
        renamed[change["id"]] = new_id
        change["id"] = new_id
    for (rel, _, _), rows in rels.items():
        if rel == "TOUCHED":
            for row in rows:
                row["src"] = renamed[row["src"]]
    return max((c["revision"] for c in nodes.get("Change", [])), default=0)


def _chunks(rows: list[Any]) -> list[tuple[int, list[Any]]]:
    """(rows written after this chunk, chunk) pairs."""
    return [(min(i + CHUNK, len(rows)), rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK)]


def parse_bundle(bundle: Any) -> tuple[dict[str, list[dict]], dict[tuple[str, str, str], list[dict]]]:
    """Typed records per label and relationship rows per (type, src label, dst label).

    Every value goes through the same rules as the API's input (`domain.rules`): text lengths,
    control characters, URLs, number ranges, and ids as `Label:slug`. Any malformed bundle raises
    `BundleError`, never another exception."""
    problems: list[str] = []
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError([f"not a rolemap bundle: `format` must be {FORMAT!r}"])
    version = bundle.get("version")
    if type(version) is not int or version != VERSION:
        raise BundleError([f"bundle version {_shown(version)} is not {VERSION}"])
    for key in bundle:
        if key not in TOP_LEVEL:
            problems.append(f"{_name(key)}: unknown top-level field (only {', '.join(TOP_LEVEL)})")
    raw_nodes = _section(bundle, "nodes", NODES, "label", problems)
    raw_rels = _section(bundle, "relationships", RELS, "relationship type", problems)

    stamp = now()
    nodes: dict[str, list[dict]] = {}
    labels_by_id: dict[str, str] = {}
    unique_seen: dict[tuple[str, str, Any], str] = {}
    for label, node_type in NODES.items():
        records = []
        types = {p.name: p.type for p in node_type.all_props}
        for i, raw in enumerate(raw_nodes.get(label, ())):
            where = f"nodes.{label}[{i}]"
            if not isinstance(raw, dict):
                problems.append(f"{where}: must be an object, not {_kind(raw)}")
                continue
            node_id = raw.get("id")
            where = f"{where} ({_name(node_id)})"
            try:
                check_id(node_id, label)
            except RuleError as exc:
                problems.append(f"{where}: field id: {exc}")
                continue
            if node_id in labels_by_id:
                problems.append(f"{where}: field id: duplicate id")
                continue
            labels_by_id[node_id] = label
            rec = _typed(label, types, raw, where, problems)
            rec.setdefault("createdAt", stamp)
            rec.setdefault("updatedAt", rec["createdAt"])
            for field in REQUIRED[label]:
                # (a field given but refused has its problem already)
                if rec.get(field) in (None, "", []) and (field in rec or raw.get(field) is None):
                    problems.append(f"{where}: field {field}: is required")
            for prop in node_type.all_props:
                if prop.unique and prop.name != "id" and rec.get(prop.name) is not None:
                    key = (label, prop.name, rec[prop.name])
                    if key in unique_seen:
                        other = unique_seen[key]
                        problems.append(
                            f"{where}: field {prop.name}: {_shown(rec[prop.name])} is also used by {other}"
                        )
                    unique_seen[key] = node_id
            _domain_rules(label, rec, where, problems)
            records.append(rec)
        nodes[label] = records

    rels: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for rel_type, rel in RELS.items():
        seen: set[tuple] = set()
        types = {"src": STRING, "dst": STRING, **{p.name: p.type for p in rel.props}}
        for i, raw in enumerate(raw_rels.get(rel_type, ())):
            where = f"relationships.{rel_type}[{i}]"
            if not isinstance(raw, dict):
                problems.append(f"{where}: must be an object, not {_kind(raw)}")
                continue
            src, dst = raw.get("src"), raw.get("dst")
            where = f"{where} ({_name(src)} -> {_name(dst)})"
            ends = (
                labels_by_id.get(src) if isinstance(src, str) else None,
                labels_by_id.get(dst) if isinstance(dst, str) else None,
            )
            if ends[0] is None:
                problems.append(f"{where}: field src: no node {_shown(src)} in the bundle")
                continue
            if ends[1] is None:
                problems.append(f"{where}: field dst: no node {_shown(dst)} in the bundle")
                continue
            if ends not in rel.ends:
                allowed = ", ".join(f"{a}->{b}" for a, b in rel.ends)
                problems.append(f"{where}: {ends[0]}->{ends[1]} is not allowed (only {allowed})")
                continue
            row = _typed(rel_type, types, raw, where, problems)
            key = (src, dst, *(str(row.get(p.name)) for p in rel.props)) if rel.history else (src, dst)
            if key in seen:
                problems.append(f"{where}: duplicate relationship")
                continue
            seen.add(key)
            rels[(rel_type, *ends)].append(row)
    _external_keys(nodes, rels, problems)
    if problems:
        raise BundleError(problems)
    return nodes, dict(rels)


TOP_LEVEL = ("format", "version", "nodes", "relationships")


def _section(bundle: dict, name: str, known: dict, what: str, problems: list[str]) -> dict[str, list]:
    """`bundle[name]`: an object of lists, one per known label (or type); each bad part is a problem."""
    raw = bundle.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{name}: must be an object mapping each {what} to a list, not {_kind(raw)}")
        return {}
    out: dict[str, list] = {}
    for key, rows in raw.items():
        if key not in known:
            problems.append(f"{name}.{_name(key)}: unknown {what}")
        elif rows is None:
            continue
        elif not isinstance(rows, list):
            problems.append(f"{name}.{key}: must be a list, not {_kind(rows)}")
        else:
            out[key] = rows
    return out


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict = 2, 4, 4


def _shown(value: Any) -> str:
    """A bad value as a message shows it: a short repr, whatever its size or depth."""
    return _SHOWN.repr(value)


def _name(value: Any) -> str:
    """A key or id in a message: as it is when it is short printable text, else `_shown`."""
    if isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable():
        return value
    return _shown(value)


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for "must be an object, not a list"."""
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


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
    """`raw`'s fields converted to the declared types and checked against the API's rules for them
    (`domain.rules`, and the input types of JSON-text lists); each bad field is added to `problems`."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in types:
            problems.append(f"{where}: field {_name(key)}: unknown field")
            continue
        if value is None:
            continue
        try:
            out[key] = _checked(key, _coerce(value, types[key]))
        except ValueError as exc:  # RuleError is a ValueError
            problems.append(f"{where}: field {key}: {exc}")
            continue
        allowed = ENUMS.get((owner, key))
        if allowed and out[key] not in allowed:
            problems.append(f"{where}: field {key}: {_shown(value)} is not one of {', '.join(allowed)}")
    return out


def _checked(key: str, value: Any) -> Any:
    """`value` (already of its declared type) under the API's rule for property `key`."""
    if key in CHECKED_AS_IDS:
        return value
    if key in JSON_LISTS:
        return _json_list(key, value)
    if isinstance(value, str):
        return check_text(value, text_rule(key))
    if isinstance(value, list):
        return [check_text(v, text_rule(key)) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return check_number(key, value)
    return value


CHECKED_AS_IDS = frozenset(("id", "src", "dst"))
"""Checked before `_typed`: a node's id by `check_id`, a relationship's ends as ids in the bundle."""
JSON_LISTS = ("successCriteria", "results")
"""Properties kept as JSON text: `domain.inputs.JSON_LISTS` gives the input type of each."""
_JSON_ADAPTERS: dict[str, Any] = {}


def _json_list(key: str, text: str) -> str | None:
    """A JSON-text list property (success criteria, results) checked against the API's input type for
    it, and written as the API writes it."""
    from pydantic import TypeAdapter, ValidationError  # only here: the CLI starts faster without

    from .domain import inputs

    if key not in _JSON_ADAPTERS:
        _JSON_ADAPTERS[key] = TypeAdapter(inputs.JSON_LISTS[key])
    adapter = _JSON_ADAPTERS[key]
    try:
        items = adapter.validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        at = at.lstrip(".") or "the list"
        raise ValueError(f"must be a JSON list of records: {at}: {error['msg']}") from None
    return json.dumps([item.model_dump() for item in items], ensure_ascii=False) if items else None


def _coerce(value: Any, type_: str) -> Any:
    if type_ == STRING:
        if not isinstance(value, str):
            raise ValueError(f"must be text, not {_kind(value)}")
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
        if not INT_MIN <= value <= INT_MAX:
            raise ValueError("is too large a number")
        return value
    if type_ == FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        try:
            number = float(value)
        except OverflowError:
            raise ValueError("is too large a number") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number
    if type_ == DATE:
        if isinstance(value, datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a timestamp")
        if isinstance(value, date):
            return value
        try:
            if not isinstance(value, str):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{_shown(value)} is not a date (YYYY-MM-DD)") from None
    if type_ == TIMESTAMP:
        try:
            if isinstance(value, datetime):
                parsed = value
            elif isinstance(value, str):
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            else:
                raise ValueError
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValueError(f"{_shown(value)} is not an ISO 8601 timestamp") from None
    raise ValueError(f"unsupported type {type_}")


def _domain_rules(label: str, rec: dict[str, Any], where: str, problems: list[str]) -> None:
    """Rules across fields (each field's own rules are in `_checked`)."""
    if label == "Pilot":
        start, end = rec.get("startDate"), rec.get("endDate")
        if start and end and end < start:
            problems.append(f"{where}: field endDate: is before startDate")
    if label == "Decision" and any(not lesson.strip() for lesson in rec.get("lessons") or []):
        problems.append(f"{where}: field lessons: a lesson must not be empty")
    if label == "Change" and isinstance(rec.get("revision"), int) and rec["id"] != change_id(rec["revision"]):
        problems.append(
            f"{where}: field id: a change's id is {change_id(rec['revision'])!r}, from its revision"
        )
