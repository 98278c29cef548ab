"""Bring a registry written by an earlier rolemap up to what this one expects, once, at start.

Tables and columns are added by the backends' DDL (LadybugDB adds missing columns with ALTER
TABLE; Neo4j needs none). What needs data is here: a registry from before the registry head
existed has revision 0 but records, and gets in one write transaction what every write keeps
since: a `Key` for each unique value, and each service's `externalKey`.
"""

from __future__ import annotations

from .access import UNIQUE, Graph, external_key, record
from .statements import rel_key


def upgrade(store) -> bool:
    """True when something was upgraded."""
    if store.revision != 0 or not any(Graph(store.read).total(label) for label in UNIQUE if UNIQUE[label]):
        return False

    def work(tx) -> None:
        g = Graph(tx.run)
        owners = {
            row["dst"]: row["src"]
            for key in (("OFFERS", "Vendor", "Service"), ("OPERATES", "City", "Service"))
            for row in tx.run(f"rel.all.{rel_key(*key)}")
        }
        for label, props in UNIQUE.items():
            if not props:
                continue
            records = [record(label, row["n"]) for row in tx.run(f"node.all.{label}")]
            updated = set()
            for rec in records if label == "Service" else ():
                key = external_key(owners.get(rec["id"]), rec["externalId"])
                if key and rec["externalKey"] is None:
                    g.update(rec, {"externalKey": key})  # claims its keys
                    updated.add(rec["id"])
            g.claim(label, [r for r in records if r["id"] not in updated])

    store.write(work)
    return True
