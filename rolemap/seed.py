"""The sample role map: YAML records in `seed/` turned into an import bundle.

Relationship fields on the records (`city`, `partOf`, `requires`, …) become relationships; the
rest are node properties. The bundle then goes through the importer's validation, so a broken
sample names its record and field like any bad bundle.
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
    "capabilities": ("Capability", {"broader": ("BROADER", "out")}),
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


def default_seed_dir() -> Path:
    """`seed/` of the checkout, or the copy packaged with rolemap."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "seed", here / "seed_data"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise FileNotFoundError("no sample role map found; set ROLEMAP_SEED_DIR")


def seed_bundle(seed_dir: Path) -> dict[str, Any]:
    nodes: dict[str, list[dict]] = {label: [] for label in NODES}
    rels: dict[str, list[dict]] = {}
    files = sorted(seed_dir.glob("*.yaml"))
    if not files:
        raise FileNotFoundError(f"no *.yaml files in {seed_dir}")
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(doc) - set(LISTS) - set(EDGE_LISTS) - {"source"}
        if unknown:
            raise BundleError([f"{path.name}: unknown lists {', '.join(sorted(unknown))}"])
        source = doc.get("source")
        for list_name, (label, links) in LISTS.items():
            for raw in doc.get(list_name) or []:
                record = {**DEFAULTS.get(label, {}), **raw}
                if source and "source" not in record:
                    record["source"] = source
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
            for raw in doc.get(list_name) or []:
                row = dict(raw)
                row["src"] = row.pop(src_field, None)
                row["dst"] = row.pop(dst_field, None)
                row.pop("source", None)
                rels.setdefault(rel, []).append(row)
    return {"format": FORMAT, "version": VERSION, "nodes": nodes, "relationships": rels}
