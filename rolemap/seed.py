"""The sample role map: YAML records in `seed/` turned into an import bundle.

Relationship fields on the records (`city`, `partOf`, `requires`, …) become relationships; the
rest are node properties. The bundle then goes through the importer's validation, so a broken
sample names its record and field like any bad bundle.

Every record cites its source: a key that `sources.yaml` in the same directory declares, or
`illustrative` for what the sample made up. A record citing anything else is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .bundle import FORMAT, VERSION, BundleError
from .graph.schema import NODES

# list name -> (label, {field: (relationship, direction, other label or None for "by id")})
# direction "out": record -[rel]-> other; "in": other -[rel]-> record.
LISTS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "cities": ("City", {"partOf": ("PART_OF", "out")}),
    "goals": ("Goal", {"city": ("HAS_GOAL", "in")}),
    "themes": ("Theme", {}),
    "capabilities": ("Capability", {"broader": ("BROADER", "out"), "complements": ("COMPLEMENTS", "out")}),
    "needs": (
        "Need",
        {
            "city": ("HAS_NEED", "in"),
            "requires": ("REQUIRES", "out"),
            "themes": ("IN_THEME", "out"),
            "supports": ("SUPPORTS", "out"),
        },
    ),
    "vendors": ("Vendor", {}),
    "services": (
        "Service",
        {
            "vendor": ("OFFERS", "in"),
            "operator": ("OPERATES", "in"),
            "capabilities": ("HAS_CAPABILITY", "out"),
            "addresses": ("ADDRESSES", "out"),
        },
    ),
    "pilots": (
        "Pilot",
        {
            "city": ("RUNS", "in"),
            "capabilities": ("TARGETS", "out"),
            "needs": ("FOR_NEED", "out"),
            "services": ("TRIALS", "out"),
            "vendors": ("PARTNER", "out"),
        },
    ),
    "decisions": ("Decision", {"pilot": ("DECIDED", "in"), "supersedes": ("SUPERSEDES", "out")}),
}
# Lists of relationships with properties: list name -> (type, src field, dst field).
EDGE_LISTS = {"uses": ("USES", "city", "service"), "stances": ("STANCE", "city", "capability")}
DEFAULTS = {"Need": {"status": "OPEN"}, "Service": {"lifecycle": "ACTIVE"}, "Vendor": {"illustrative": False}}
SOURCES_FILE = "sources.yaml"
"""The source documents a seed directory declares: key -> title, publisher, date, language."""
SOURCE_FIELDS = ("title", "publisher", "date", "language")
ILLUSTRATIVE = "illustrative"
"""The `source` of a record that no document states."""


def default_seed_dir() -> Path:
    """`seed/` of the checkout, or the copy packaged with rolemap."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "seed", here / "seed_data"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise FileNotFoundError("no sample role map found; set ROLEMAP_SEED_DIR")


def declared_sources(seed_dir: Path) -> dict[str, dict[str, str]]:
    """The source documents `seed_dir/sources.yaml` declares (none when there is no such file)."""
    path = seed_dir / SOURCES_FILE
    if not path.is_file():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = []
    if not isinstance(doc, dict):
        raise BundleError(
            [f"{SOURCES_FILE}: must map each source key to its title, publisher, date, language"]
        )
    for key, meta in doc.items():
        if not isinstance(key, str) or key == ILLUSTRATIVE:
            problems.append(f"{SOURCES_FILE}: {key!r}: a source key must be text other than {ILLUSTRATIVE!r}")
            continue
        if not isinstance(meta, dict):
            problems.append(f"{SOURCES_FILE}: {key}: must be a mapping of {', '.join(SOURCE_FIELDS)}")
            continue
        missing = [f for f in SOURCE_FIELDS if not isinstance(meta.get(f), str) or not meta[f].strip()]
        if missing:
            problems.append(f"{SOURCES_FILE}: {key}: field {', '.join(missing)}: is required text")
    if problems:
        raise BundleError(problems)
    return doc


def seed_bundle(seed_dir: Path) -> dict[str, Any]:
    nodes: dict[str, list[dict]] = {label: [] for label in NODES}
    rels: dict[str, list[dict]] = {}
    files = sorted(p for p in seed_dir.glob("*.yaml") if p.name != SOURCES_FILE)
    if not files:
        raise FileNotFoundError(f"no *.yaml files in {seed_dir}")
    valid = set(declared_sources(seed_dir)) | {ILLUSTRATIVE}
    problems: list[str] = []

    def check(where: str, source: Any) -> None:
        if source is None:
            problems.append(
                f"{where}: field source: is required (a key of {SOURCES_FILE} or {ILLUSTRATIVE!r})"
            )
        elif not isinstance(source, str) or source not in valid:
            problems.append(
                f"{where}: field source: {source!r} is not declared in {SOURCES_FILE} (nor {ILLUSTRATIVE!r})"
            )

    for path in files:
        doc = _load(path)
        unknown = set(doc) - set(LISTS) - set(EDGE_LISTS) - {"source"}
        if unknown:
            raise BundleError([f"{path.name}: unknown lists {', '.join(sorted(unknown))}"])
        source = doc.get("source")
        if source is not None:
            check(f"{path.name}: top-level source", source)
        for list_name, (label, links) in LISTS.items():
            for i, raw in enumerate(_records(path, doc, list_name)):
                record = {**DEFAULTS.get(label, {}), **raw}
                if source and "source" not in record:
                    record["source"] = source
                check(f"{path.name}: {list_name}[{i}] ({record.get('id')})", record.get("source"))
                for field, (rel, direction) in links.items():
                    targets = record.pop(field, None)
                    if targets is None:
                        continue
                    for target in targets if isinstance(targets, list) else [targets]:
                        pair = (
                            (record.get("id"), target) if direction == "out" else (target, record.get("id"))
                        )
                        rels.setdefault(rel, []).append({"src": pair[0], "dst": pair[1]})
                nodes[label].append(record)
        for list_name, (rel, src_field, dst_field) in EDGE_LISTS.items():
            for i, raw in enumerate(_records(path, doc, list_name)):
                row = dict(raw)
                row["src"] = row.pop(src_field, None)
                row["dst"] = row.pop(dst_field, None)
                # Relationships carry no source property: it is checked here, then left out.
                check(
                    f"{path.name}: {list_name}[{i}] ({row['src']} -> {row['dst']})", row.pop("source", source)
                )
                rels.setdefault(rel, []).append(row)
    if problems:
        raise BundleError(problems)
    return {"format": FORMAT, "version": VERSION, "nodes": nodes, "relationships": rels}


def _load(path: Path) -> dict[str, Any]:
    """A seed file's mapping of lists, or BundleError naming the file and what is wrong."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise BundleError([f"{path.name}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    except UnicodeDecodeError as exc:
        raise BundleError([f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise BundleError(
            [f"{path.name}: must be a mapping of lists (cities:, services:, …), not a {type(doc).__name__}"]
        )
    return doc


def _records(path: Path, doc: dict[str, Any], list_name: str) -> list[dict[str, Any]]:
    """The records of one list: it must be a list of mappings."""
    items = doc.get(list_name) or []
    if not isinstance(items, list):
        raise BundleError([f"{path.name}: {list_name}: must be a list, not a {type(items).__name__}"])
    bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if bad:
        raise BundleError([f"{path.name}: {list_name}[{i}]: must be a mapping of fields" for i in bad])
    return items
