"""An in-memory projection of the registry's structure, for the analyses (overlaps, prior art,
coverage gaps, role map, radar, close-out), kept current from the change log.

- **Built once**: at start, from one consistent snapshot (one bulk statement per label and
  relationship type, whatever the registry's size), stamped with the registry's revision.
- **Then followed**: before an analysis, an instance reads the registry head (one statement). When
  it moved, the change records in between are read by id (`Change:<revision>`), with the nodes they
  touched, in one read transaction; their relationship changes and the nodes' new states are
  applied here, and only the overlap items they affect are scored again (`Corpus.update`). The same
  code builds and follows (`add_node`, `add_edge`), so a followed projection answers exactly as a
  fresh one. A revision with no change record (an import, an upgrade) or one too far behind
  rebuilds instead.
- **As of a day**: `at(day)` is a view of the registry as it stood that day (uses begun and not
  ended, services not yet retired, decisions and stances already taken), filtering as it reads; the
  overlap corpora of a view are kept and followed for today, built on demand for other days.

Analyses read under `IndexCache.reading()`: applying changes waits for running analyses, and new
ones wait for the changes.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import threading
from bisect import bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from sys import intern
from typing import Any, TypeVar

from ..domain import overlap
from ..domain.text import terms, words
from ..graph import schema
from ..graph.access import record
from ..graph.schema import LANGUAGES, REGISTRY_HEAD, change_id, label_of
from ..graph.statements import rel_key
from ..graph.store import Store
from ..workers import AnalysisPool, unhurried
from . import checkpoint

log = logging.getLogger(__name__)
T = TypeVar("T")
_MISSING = object()

REGION_KINDS = ("REGION", "METROPOLIS")
RECORDS_KEPT = ("City", "Capability", "Vendor")
NODE_LABELS = ("City", "Capability", "Need", "Theme", "Vendor", "Service", "Pilot", "Decision")
RELS = (
    ("PART_OF", "City", "City"),
    ("BROADER", "Capability", "Capability"),
    ("HAS_NEED", "City", "Need"),
    ("REQUIRES", "Need", "Capability"),
    ("IN_THEME", "Need", "Theme"),
    ("OFFERS", "Vendor", "Service"),
    ("OPERATES", "City", "Service"),
    ("HAS_CAPABILITY", "Service", "Capability"),
    ("ADDRESSES", "Service", "Need"),
    ("ADDRESSES", "Service", "Theme"),
    ("USES", "City", "Service"),
    ("RUNS", "City", "Pilot"),
    ("FOR_NEED", "Pilot", "Need"),
    ("TRIALS", "Pilot", "Service"),
    ("PARTNER", "Pilot", "Vendor"),
    ("TARGETS", "Pilot", "Capability"),
    ("COMPLEMENTS", "Capability", "Capability"),
    ("DECIDED", "Pilot", "Decision"),
    ("SUPERSEDES", "Decision", "Decision"),
    ("STANCE", "City", "Capability"),
)
FOLLOWED = {rel for rel, _, _ in RELS}
SERVED = {
    (rel, src, dst)
    for rel, src, dst in RELS
    if not schema.RELS[rel].props and rel != "COMPLEMENTS"  # kept both ways here, not in the store
}
"""The relationships whose links plain reads may take from the index (`links`): those whose
links carry no properties, kept here exactly as stored."""
LISTED = {
    ("Service", "vendorId"): ("OFFERS", "out"),
    ("Service", "capabilityId"): ("HAS_CAPABILITY", "into"),  # rejected claims are not kept here
    ("Pilot", "cityId"): ("RUNS", "out"),
    ("Pilot", "vendorId"): ("PARTNER", "into"),
    ("Pilot", "needId"): ("FOR_NEED", "into"),
    ("Need", "cityId"): ("HAS_NEED", "out"),
    ("Need", "themeId"): ("IN_THEME", "into"),
}
"""The list filters (statements.LISTS) that are one relationship the index keeps: (the
relationship, which way from the filter's node to the items). A list filtered by these alone, or
not at all, is paged from the index (`listed`)."""
STRUCTURAL = {"PART_OF", "COMPLEMENTS"}
"""Relationships whose change moves many overlap items at once (regions, complements): the corpora
are scored again whole."""
SNAPSHOT_ATTEMPTS = 3
MAX_BEHIND = 2000
"""Revisions an index follows change by change; further behind, it is rebuilt."""
SHARED_UP_TO = 8
"""A node's neighbours by one relationship, up to this many, are a frozenset shared with every
other node that has the same ones (the services of one vendor share `{vendor}`, the needs of one
city `{city}`); more are a set of the node's own. Either reads as a set."""
Neighbours = frozenset[str] | set[str]


@dataclass(frozen=True)
class StanceChange:
    ring: str
    since: datetime
    rationale: str | None


def today() -> date:
    return datetime.now(UTC).date()


def _texts(node: dict, *fields: str) -> list[str]:
    return [node.get(f"{f}{suffix}") or "" for f in fields for suffix in ("", *(f"_{x}" for x in LANGUAGES))]


def _adjacency() -> defaultdict[str, dict[str, Neighbours]]:
    return defaultdict(dict)  # a named factory, so an index can be saved (checkpoint.py)


Take = Callable[[str, Any, list[dict]], None]


def read_snapshot(store: Store, begin: Callable[[], Take]) -> tuple[int, bool]:
    """Every node and edge the index needs, as of one revision, in one read transaction. Each time
    the transaction's work starts (the Neo4j driver runs it again after a transient failure),
    `begin()` gives the `take` that receives each label's rows (`"node", label`: the node in `n`),
    then each relationship's (`"rel", key`): one statement's rows at a time, so no more than one
    label's rows are held at once.

    LadybugDB gives a read transaction a snapshot; Neo4j reads committed data as it goes. So the
    head is read before and after: the same revision both times means no write committed in
    between, and the rows are exactly that revision. Returns that revision and whether it was
    exact. (The caller starts again from nothing for each attempt: see `RegistryIndex.load`.)"""

    def work(run) -> tuple[int, int]:
        take = begin()
        first = run("registry.head", {"id": REGISTRY_HEAD})[0]["revision"]
        for label in NODE_LABELS:
            take("node", label, run(f"node.all.{label}"))
        for key in RELS:
            take("rel", key, run(f"rel.all.{rel_key(*key)}"))
        last = run("registry.head", {"id": REGISTRY_HEAD})[0]["revision"]
        return first, last

    first, last = store.snapshot(work)
    return first, first == last


class _Spelling(Mapping):
    """Term → the word most often written for it (reasons show words, not stems)."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)

    def __getitem__(self, term: str) -> str:
        c = self.counts.get(term)
        if not c:
            raise KeyError(term)
        return max(c, key=lambda w: (c[w], w))

    def __iter__(self) -> Iterator[str]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)


class RegistryIndex:
    """The registry as stored: what the analyses need of every node and relationship."""

    def __init__(self) -> None:
        self.revision = 0
        self.exact = True
        """Built from rows that are exactly `revision` (see `read_snapshot`): only such an index is
        saved (checkpoint.py)."""
        self.records: dict[str, dict] = {}
        """Whole records of the small, often-named labels: analyses name them without a statement."""
        self.names: dict[str, str] = {}
        self.node_text: dict[str, tuple[str, ...]] = {}
        self.node_words: dict[str, tuple[str, ...]] = {}
        """The words written for `node_text`'s terms, one for one (to keep `term_words` counts)."""
        self.term_words = _Spelling()
        self.city_kind: dict[str, str] = {}
        self.need_status: dict[str, str] = {}
        self.service_lifecycle: dict[str, str] = {}
        self.retired_at: dict[str, datetime] = {}
        self.pilot_status: dict[str, str] = {}
        self.pilot_end: dict[str, date | None] = {}
        self.pilot_start: dict[str, date] = {}
        self.pilot_closed: dict[str, dict[str, datetime | None]] = {}
        self.pilot_started: dict[str, datetime | None] = {}
        self.decisions: dict[str, dict] = {}
        self.sorted: dict[str, list[str]] = {label: [] for label in NODE_LABELS}
        self.out = _adjacency()
        self.into = _adjacency()
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        self._days: dict[date, date] = {}
        self.uses_since: dict[tuple[str, str], date | None] = {}
        self.uses_until: dict[tuple[str, str], date | None] = {}
        self.stances: dict[tuple[str, str], list[StanceChange]] = defaultdict(list)
        self.claimed: set[tuple[str, str, str]] = set()
        """Links a vendor claims and no city verified yet: (name, src, dst)."""
        self._corpora: dict[tuple[str, date | None, bool], overlap.Corpus] = {}
        self._corpus_lock = threading.Lock()
        """One build of a corpus at a time: two analyses asking at once share one build."""
        self._popular: dict[str, Any] = {}
        self._views: dict[tuple[date | None, bool], DayView] = {}

    def __getstate__(self) -> dict:
        """What a saved read model keeps (analysis/checkpoint.py): the projection, today's
        rankings and today's corpora; not the day views (they are made again on demand) nor the
        lock. Take it while nothing changes the index (`IndexCache.save` holds the write lock)."""
        state = dict(self.__dict__)
        del state["_corpus_lock"]
        state["_views"] = {}
        state["_corpora"] = self.todays_corpora()
        state["_popular"] = self._popular if self._popular.get("day") == today() else {}
        return state

    def todays_corpora(self) -> dict[tuple[str, date | None, bool], overlap.Corpus]:
        """The corpora kept and followed for today (not the verified-only ones, nor other days')."""
        day = today()
        return {key: corpus for key, corpus in self._corpora.items() if key == (key[0], day, False)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._corpus_lock = threading.Lock()

    # Building ---------------------------------------------------------------------------------
    @classmethod
    def load(cls, store: Store) -> RegistryIndex:
        """Built from one snapshot (`read_snapshot`), a label or relationship at a time. Under a
        steady stream of writes (Neo4j), the last of `SNAPSHOT_ATTEMPTS` is kept, stamped with the
        revision it started from (so the next request catches up), without any edge whose end it
        did not read."""
        made: list[RegistryIndex] = []

        def begin() -> Take:
            made[:] = [cls()]  # each run of the transaction's work fills a new index
            return made[0]._take

        for _ in range(SNAPSHOT_ATTEMPTS):
            revision, exact = read_snapshot(store, begin)
            index = made[0]
            index.revision, index.exact = revision, exact
            if exact:
                break
        return index

    def _take(self, kind: str, key, rows: list[dict]) -> None:
        if kind == "node":
            for row in rows:
                self.add_node(key, row["n"])
            return
        for row in rows:
            if row["src"] in self.names and row["dst"] in self.names:
                self.add_edge(key[0], row["src"], row["dst"], row)

    @property
    def vendors(self) -> list[str]:
        return self.sorted["Vendor"]

    @property
    def services(self) -> list[str]:
        return self.sorted["Service"]

    @property
    def pilots(self) -> list[str]:
        return self.sorted["Pilot"]

    @property
    def capabilities(self) -> list[str]:
        return self.sorted["Capability"]

    def add_node(self, label: str, node: dict) -> None:
        """Add a node, or replace what is known of it by its current state."""
        node_id = intern(node["id"])  # one string per id, however many sets hold it
        if node_id not in self.names:
            ids = self.sorted[label]
            if not ids or ids[-1] < node_id:  # the snapshot comes in id order
                ids.append(node_id)
            else:
                insort(ids, node_id)
        self.names[node_id] = node.get("name") or node.get("title") or node_id
        if label in RECORDS_KEPT:
            self.records[node_id] = record(label, node)
        if label in ("Service", "Pilot", "Vendor"):
            for term, word in zip(
                self.node_text.get(node_id, ()), self.node_words.pop(node_id, ()), strict=True
            ):
                self.term_words.counts[term][word] -= 1
                if self.term_words.counts[term][word] <= 0:
                    del self.term_words.counts[term][word]
            pairs = words(*_texts(node, "name", "title", "description"))
            text = self.node_text[node_id] = tuple(intern(term) for term, _ in pairs)
            spelt = tuple(intern(word) for _, word in pairs)
            self.node_words[node_id] = text if spelt == text else spelt  # one tuple when alike
            for term, word in pairs:
                self.term_words.counts[term][word] += 1
        if label == "City":
            self.city_kind[node_id] = node["kind"]
        elif label == "Need":
            self.need_status[node_id] = node["status"]
        elif label == "Service":
            self.service_lifecycle[node_id] = node["lifecycle"]
            self.retired_at.pop(node_id, None)
            if node.get("retiredAt"):
                self.retired_at[node_id] = node["retiredAt"]
        elif label == "Pilot":
            self.pilot_status[node_id] = node["status"]
            self.pilot_end[node_id] = self._day(node.get("endDate"))
            self.pilot_start[node_id] = self._day(node.get("startDate") or node["createdAt"].date())
            self.pilot_closed[node_id] = {"ENDED": node.get("endedAt"), "CANCELLED": node.get("cancelledAt")}
            self.pilot_started[node_id] = node.get("startedAt")
        elif label == "Decision":
            self.decisions[node_id] = record("Decision", node)

    def add_edge(self, rel: str, src: str, dst: str, props: Mapping[str, Any]) -> None:
        """Add an edge, or set its properties when it is there (one edge per pair, but STANCE)."""
        name = f"{rel}>{label_of(dst)}" if rel == "ADDRESSES" else rel
        src, dst = intern(src), intern(dst)
        status = props.get("status")
        self.claimed.discard((name, src, dst))
        if status == "REJECTED":  # a city said no: the link does not count anywhere
            self.remove_edge(rel, src, dst)
            return
        if status == "CLAIMED":
            self.claimed.add((name, src, dst))
        self._link(self.out[name], src, dst)
        self._link(self.into[name], dst, src)
        if rel == "COMPLEMENTS":  # complementary is symmetric
            self._link(self.out[name], dst, src)
            self._link(self.into[name], src, dst)
        if rel == "USES":
            self.uses_since[src, dst] = self._day(props.get("since"))
            self.uses_until[src, dst] = self._day(props.get("until"))
        if rel == "STANCE":
            history = self.stances[src, dst]
            history.append(StanceChange(props["ring"], props["since"], props.get("rationale")))
            history.sort(key=lambda c: c.since, reverse=True)

    def remove_edge(self, rel: str, src: str, dst: str) -> None:
        name = f"{rel}>{label_of(dst)}" if rel == "ADDRESSES" else rel
        self._unlink(self.out[name], src, dst)
        self._unlink(self.into[name], dst, src)
        self.claimed.discard((name, src, dst))
        if rel == "USES":
            self.uses_since.pop((src, dst), None)
            self.uses_until.pop((src, dst), None)

    def _link(self, adjacency: dict[str, Neighbours], node: str, other: str) -> None:
        found = adjacency.get(node)
        if isinstance(found, set):
            found.add(other)
        elif found is None or other not in found:
            grown = found | {other} if found else frozenset((other,))
            adjacency[node] = set(grown) if len(grown) > SHARED_UP_TO else self._shared(grown)

    def _unlink(self, adjacency: dict[str, Neighbours], node: str, other: str) -> None:
        found = adjacency.get(node)
        if isinstance(found, set):
            found.discard(other)
        elif found and other in found:
            adjacency[node] = self._shared(found - {other})

    def _day(self, day: date | None) -> date | None:
        """One object per date (a registry's tens of thousands of dates fall on a few thousand
        days): less memory, and far fewer objects for a saved model to write and read."""
        return day if day is None else self._days.setdefault(day, day)

    def _shared(self, neighbours: frozenset[str]) -> frozenset[str]:
        """One copy of each small neighbour set (see `SHARED_UP_TO`). A set no node holds any more
        stays until the index is built again (at start, or when too far behind)."""
        return self._sets.setdefault(neighbours, neighbours)

    # Serving plain reads -----------------------------------------------------------------------
    def links(self, rel: str, src: str, dst: str, direction: str, ids: list[str]) -> dict[str, list[tuple]]:
        """As `Graph.links` (for a relationship in `SERVED`): each id's neighbours across `rel`,
        by id, with the relationship's properties (none)."""
        adjacency = (self.out if direction == "out" else self.into)[rel]
        return {node_id: [(other, {}) for other in sorted(adjacency.get(node_id, ()))] for node_id in ids}

    def listed(
        self, label: str, filters: dict[str, Any], after: str, limit: int
    ) -> tuple[list[str], int] | None:
        """As `Graph.page_ids` (the first `limit` ids after `after`, in id order, of the `label`
        items that `filters` keep: a filter's value is an id, or a list of ids of which any will
        do), with how many items the whole list has; None when a filter is not one of `LISTED`."""
        if label not in self.sorted:
            return None
        kept: list[set[str]] = []
        for name, value in filters.items():
            if value is None:
                continue
            spec = LISTED.get((label, name))
            if spec is None:
                return None
            rel, way = spec
            adjacency = (self.out if way == "out" else self.into)[rel]
            found: set[str] = set()
            for node_id in value if isinstance(value, list) else [value]:
                found.update(adjacency.get(node_id, ()))
            kept.append(found)
        ids = sorted(set.intersection(*kept)) if kept else self.sorted[label]
        start = bisect_right(ids, after) if after else 0
        return ids[start : start + limit], len(ids)

    def kept(self, label: str, ids: list[str]) -> dict[str, dict] | None:
        """As `Graph.nodes`, for a label whose whole records the index keeps (`RECORDS_KEPT`);
        None for any other. Copies: what a request does with them stays out of the index."""
        if label not in RECORDS_KEPT:
            return None
        records = self.records
        return {node_id: dict(records[node_id]) for node_id in ids if node_id in records}

    # Following the change log -----------------------------------------------------------------
    def apply(self, changes: list[dict], nodes: dict[str, dict]) -> None:
        """Apply change records (in revision order) and the touched nodes' states as they are now;
        then score again the overlap items they affect."""
        # Nodes whose own properties changed count whole: a city renamed or re-kinded may change
        # every item of its services and pilots. A relationship counts through its ends, a city
        # end excepted: a city that starts using a service changes that service's item (and its
        # vendor's), not the items of every other service the city uses.
        touched: set[str] = set(nodes)
        structural = False
        for change in changes:
            for field in json.loads(change.get("fields") or "[]"):
                name = field["name"]
                if name not in FOLLOWED:
                    touched.add(field["nodeId"])
                    continue
                before, after = field.get("before"), field.get("after")
                src, dst = field["nodeId"], (after or before)["to"]
                touched.update(end for end in (src, dst) if label_of(end) != "City")
                structural |= name in STRUCTURAL
                if after is None:
                    self.remove_edge(name, src, dst)
                else:
                    self.add_edge(name, src, dst, _decoded(name, after))
            self.revision = change["revision"]
        for node_id, node in nodes.items():
            self.add_node(label_of(node_id), node)
        self._views.clear()
        self._refresh_popular(touched)
        self._refresh_corpora(touched, structural)

    def _refresh_popular(self, touched: set[str]) -> None:
        """Keep today's rankings: each touched service is taken out of the lists of the
        capabilities it has or lost, and put back, by its new use count, into those it has now
        (while it is in service)."""
        kept = self._popular
        if kept.get("day") != today():
            return
        view = self.at(kept["day"])
        services = {t for t in touched if label_of(t) == "Service"}
        caps = {t for t in touched if label_of(t) == "Capability"}
        for service in services:
            kept["users"].pop(service, None)
        for service in services:
            has = set(self.out["HAS_CAPABILITY"].get(service, ()))
            now = has if view._active(service) else set()
            key = (-view.users(service), service)
            for cap in has | caps:
                ranked = kept["services"].get(cap)
                if ranked is None:
                    continue
                if service in ranked:
                    ranked.remove(service)
                if cap in now:
                    insort(ranked, service, key=lambda s: key if s == service else (-view.users(s), s))
            caps |= has
        for cap in caps:
            kept["vendors"].pop(cap, None)

    def _refresh_corpora(self, touched: set[str], structural: bool) -> None:
        """Keep today's corpora, scoring again only the items the changes touch; drop the rest."""
        kept = {} if structural else self.todays_corpora()
        for (kind, day, _), corpus in kept.items():
            view = self.at(day)
            affected = view.affected(touched)[kind]
            corpus.update({i: view.item(kind, i) for i in affected})
        self._corpora = kept

    def corpus(self, kind: str, view: DayView) -> overlap.Corpus:
        key = (kind, view.as_of, view.verified_only)
        found = self._corpora.get(key)
        if found is not None:
            return found
        with self._corpus_lock:
            found = self._corpora.get(key)
            if found is None:
                ids = {"SERVICE": view.services, "PILOT": self.pilots, "VENDOR": self.vendors}[kind]
                as_of = view.as_of.isoformat() if view.as_of else None
                items = (view.item(kind, i) for i in ids)
                found = overlap.Corpus(items, self.names, self.term_words, self.out["COMPLEMENTS"], as_of)
                self._corpora[key] = found
                gc.freeze()  # as after a build: long-lived, out of the collector's way
        return found

    def _status_on(self, pilot: str, day: date) -> str:
        """A pilot's status on a past day, from its timestamps and decisions."""
        closed = self.pilot_closed[pilot]
        if closed["CANCELLED"] and closed["CANCELLED"].date() <= day:
            return "CANCELLED"
        if any(self.decisions[d]["decidedAt"].date() <= day for d in self.out["DECIDED"].get(pilot, ())):
            return "DECIDED"
        if closed["ENDED"] and closed["ENDED"].date() <= day:
            return "ENDED"
        started = self.pilot_started.get(pilot)
        return "RUNNING" if started and started.date() <= day else "PROPOSED"

    # Views ------------------------------------------------------------------------------------
    def at(self, day: date, verified_only: bool = False) -> DayView:
        """The registry as it stood on `day`: only uses that had begun and not ended, services not
        yet retired, decisions already taken and stances already set. (Needs have no dates: their
        status is as stored.) With `verified_only`, without the links vendors claim and no city
        verified yet."""
        key = (day, verified_only)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = DayView(self, day, verified_only)
        return view


def _decoded(rel: str, value: dict) -> dict:
    """A relationship's properties from a change record (JSON) in the types the store gives."""
    types = {p.name: p.type for p in schema.RELS[rel].props}
    out = {}
    for key, raw in value.items():
        kind = types.get(key)
        if raw is not None and kind == schema.DATE:
            out[key] = date.fromisoformat(raw)
        elif raw is not None and kind == schema.TIMESTAMP:
            out[key] = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        else:
            out[key] = raw
    return out


class _Filtered(Mapping):
    """One relationship's adjacency (node → neighbours), keeping only the pairs `keep` allows."""

    def __init__(self, base: Mapping[str, set[str]], keep) -> None:
        self.base, self.keep = base, keep

    def __getitem__(self, node: str) -> set[str]:
        return {other for other in self.base[node] if self.keep(node, other)}

    def get(self, node: str, default=None):
        found = self.base.get(node)
        return default if found is None else {other for other in found if self.keep(node, other)}

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


class _Rels(Mapping):
    """The adjacency of every relationship, some of them filtered."""

    def __init__(self, base, filtered: dict[str, _Filtered]) -> None:
        self.base, self.filtered = base, filtered

    def __getitem__(self, name: str):
        return self.filtered.get(name) or self.base[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


class _Lifecycle(Mapping):
    """A service's lifecycle on a day: RETIRED from the day it was retired."""

    def __init__(self, index: RegistryIndex, day: date) -> None:
        self.index, self.day = index, day

    def __getitem__(self, service: str) -> str:
        at = self.index.retired_at.get(service)
        if at is not None:
            return "RETIRED" if at.date() <= self.day else "ACTIVE"
        return self.index.service_lifecycle[service]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index.service_lifecycle)

    def __len__(self) -> int:
        return len(self.index.service_lifecycle)


class DayView:
    """The registry as it stood on one day (see `RegistryIndex.at`); what every analysis reads."""

    def __init__(self, index: RegistryIndex, day: date, verified_only: bool = False) -> None:
        self.index = index
        self.as_of = day
        self.verified_only = verified_only
        self.revision = index.revision
        self.service_lifecycle = _Lifecycle(index, day)
        past = day < today()
        self.kept = day == today() and not verified_only
        """Today's registry: its rankings and corpora are kept, and followed change by change."""
        self._memo: dict[tuple, Any] = {}
        # The filters below hold the index and the day, never the view: a view that held itself
        # would outlive the next write until a full garbage collection (which are rare: cli.py).
        lifecycle = self.service_lifecycle

        def active(service: str) -> bool:
            return lifecycle[service] == "ACTIVE"

        def current_use(city: str, service: str) -> bool:
            since = index.uses_since.get((city, service))
            until = index.uses_until.get((city, service))
            return (not since or since <= day) and (not until or day < until) and active(service)

        def taken(pilot: str, decision: str) -> bool:
            return index.decisions[decision]["decidedAt"].date() <= day

        def verified(name: str):
            return lambda a, b: (name, a, b) not in index.claimed

        out = {
            "USES": lambda c, s: current_use(c, s),
            "OPERATES": lambda c, s: active(s),
            "DECIDED": taken,
        }
        into = {
            "USES": lambda s, c: current_use(c, s),
            "OPERATES": lambda s, c: active(s),
            "DECIDED": lambda d, p: taken(p, d),
        }
        if verified_only:
            for name in ("HAS_CAPABILITY", "ADDRESSES>Need", "USES"):
                keep_out, keep_in, claim = out.get(name), into.get(name), verified(name)
                out[name] = _both(keep_out, claim)
                into[name] = _both(keep_in, lambda a, b, claim=claim: claim(b, a))
        self.out = _Rels(index.out, {n: _Filtered(index.out[n], keep) for n, keep in out.items()})
        self.into = _Rels(index.into, {n: _Filtered(index.into[n], keep) for n, keep in into.items()})
        self.pilot_status = (
            {p: index._status_on(p, day) for p in index.pilot_status} if past else index.pilot_status
        )
        self.stances = {
            key: kept
            for key, history in index.stances.items()
            if (kept := [c for c in history if c.since.date() <= day])
        }
        self.claimed = set() if verified_only else index.claimed

    def _active(self, service: str) -> bool:
        return self.service_lifecycle[service] == "ACTIVE"

    def __getattr__(self, name: str):
        return getattr(self.index, name)  # what no day changes: names, records, texts, kinds…

    @property
    def services(self) -> list[str]:
        """Services in service that day."""
        return [s for s in self.index.services if self._active(s)]

    def verified(self) -> DayView:
        return self.index.at(self.as_of, verified_only=True)

    # Structure --------------------------------------------------------------------------------
    def regions_of(self, city: str) -> set[str]:
        """The regions and metropolises a city belongs to, transitively."""
        found: set[str] = set()
        todo = list(self.out["PART_OF"].get(city, ()))
        while todo:
            parent = todo.pop()
            if parent in found:
                continue
            if self.city_kind.get(parent) in REGION_KINDS:
                found.add(parent)
            todo += self.out["PART_OF"].get(parent, ())
        return found

    def with_members(self, city: str) -> set[str]:
        """A city with everything PART_OF it, transitively."""
        found = {city}
        todo = [city]
        while todo:
            for member in self.into["PART_OF"].get(todo.pop(), ()):
                if member not in found:
                    found.add(member)
                    todo.append(member)
        return found

    def service_cities(self, service: str) -> set[str]:
        """Cities that use or operate a service, or are piloting it (a running pilot)."""
        found = set(self.into["USES"].get(service, ())) | self.into["OPERATES"].get(service, set())
        for pilot in self.into["TRIALS"].get(service, ()):
            if self.pilot_status.get(pilot) == "RUNNING":
                found |= self.into["RUNS"].get(pilot, set())
        return found

    def city_services(self, city: str) -> set[str]:
        """Services a city uses or operates, or is piloting (a running pilot)."""
        found = set(self.out["USES"].get(city, ())) | self.out["OPERATES"].get(city, set())
        for pilot in self.out["RUNS"].get(city, ()):
            if self.pilot_status.get(pilot) == "RUNNING":
                found |= self.out["TRIALS"].get(pilot, set())
        return found

    def users(self, service: str) -> int:
        """How many cities use a service: the popularity that ranks candidates (kept, like the
        rankings, for today's registry but for the services a change touches)."""
        cache = self._users
        found = cache.get(service)
        if found is None:
            found = cache[service] = len(self.into["USES"].get(service, ()))
        return found

    @property
    def _users(self) -> dict[str, int]:
        return self._popular("users")

    def _popular(self, kind: str) -> dict:
        """Per-capability rankings: kept across changes (for today's registry) but for the
        capabilities a change touches."""
        if self.kept:
            kept = self.index._popular
            if kept.get("day") != self.as_of:  # a new day: uses and retirements may have run out
                kept.clear()
                kept.update(day=self.as_of, services={}, vendors={}, users={})
            return kept[kind]
        return self.__dict__.setdefault(f"_popular_{kind}", {})

    def popular_services(self, cap: str) -> list[str]:
        """Active services with the capability, most used first (then by id)."""
        cache = self._popular("services")
        if cap not in cache:
            found = [s for s in self.into["HAS_CAPABILITY"].get(cap, ()) if self._active(s)]
            users = {s: self.users(s) for s in found}
            cache[cap] = sorted(found, key=lambda s: (-users[s], s))
        return cache[cap]

    def popular_vendors(self, cap: str) -> list[tuple[str, list[str]]]:
        """Vendors with an active service having the capability, with those services, the vendor
        whose services more cities use first (then by id)."""
        cache = self._popular("vendors")
        if cap not in cache:
            by_vendor: dict[str, list[str]] = defaultdict(list)
            for service in self.popular_services(cap):
                for vendor in self.into["OFFERS"].get(service, ()):
                    by_vendor[vendor].append(service)
            used = {v: sum(self.users(s) for s in services) for v, services in by_vendor.items()}
            cache[cap] = [(v, by_vendor[v]) for v in sorted(by_vendor, key=lambda v: (-used[v], v))]
        return cache[cap]

    def pilot_city(self, pilot: str) -> str | None:
        return next(iter(sorted(self.into["RUNS"].get(pilot, ()))), None)

    def pilot_capabilities(self, pilot: str) -> set[str]:
        """What a pilot is about: the capabilities of the services it trials and those it targets
        explicitly. Never those its needs require: a need is why, not what was tried."""
        services = self.out["TRIALS"].get(pilot, ())
        return {c for s in services for c in self.out["HAS_CAPABILITY"].get(s, ())} | set(
            self.out["TARGETS"].get(pilot, ())
        )

    def decisions_of(self, pilot: str) -> list[dict]:
        """The pilot's decisions, newest first (the first is the current one)."""
        found = [self.decisions[d] for d in self.out["DECIDED"].get(pilot, ())]
        return sorted(found, key=lambda d: (d["decidedAt"], d["id"]), reverse=True)

    def narrower_or_same(self, cap: str) -> set[str]:
        found = {cap}
        todo = [cap]
        while todo:
            for child in self.into["BROADER"].get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def cities_named(self, found_words) -> set[str]:
        """Cities whose name (in any language) the words give in full: "Tammerfors" is Tampere."""
        names = []
        for city in self.city_kind:
            rec = self.records[city]
            for field in ("name", *(f"name_{lang}" for lang in LANGUAGES)):
                if rec.get(field):
                    names.append((frozenset(terms(rec[field])), city))
        return {city for named, city in names if named and named <= found_words.keys()}

    # Items for the overlap score ------------------------------------------------------------
    def _regions(self, cities: set[str]) -> frozenset[str]:
        return frozenset(r for c in cities for r in self.regions_of(c))

    def _live_needs(self, needs) -> set[str]:
        """Needs still standing: a withdrawn need is nobody's reason any more."""
        return {n for n in needs if self.need_status.get(n) != "WITHDRAWN"}

    def item(self, kind: str, node_id: str) -> overlap.Item | None:
        """The overlap item of a node, or None when it is not in that day's corpus."""
        if kind == "SERVICE":
            return self.service_item(node_id) if self._active(node_id) else None
        return self.pilot_item(node_id) if kind == "PILOT" else self.vendor_item(node_id)

    def service_item(self, service: str) -> overlap.Item:
        needs = self._live_needs(self.out["ADDRESSES>Need"].get(service, set()))
        cities = self.service_cities(service)
        return overlap.Item(
            id=service,
            capabilities=frozenset(self.out["HAS_CAPABILITY"].get(service, ())),
            needs=frozenset(needs),
            themes=frozenset(self.out["ADDRESSES>Theme"].get(service, set()))
            | {t for n in needs for t in self.out["IN_THEME"].get(n, ())},
            cities=frozenset(cities),
            regions=self._regions(cities),
            terms=self.node_text.get(service, ()),
        )

    def pilot_item(self, pilot: str) -> overlap.Item:
        needs = self._live_needs(self.out["FOR_NEED"].get(pilot, set()))
        city = self.pilot_city(pilot)
        cities = {city} if city else set()
        decisions = self.decisions_of(pilot)
        current = decisions[0] if decisions else None
        return overlap.Item(
            id=pilot,
            capabilities=frozenset(self.pilot_capabilities(pilot)),
            needs=frozenset(needs),
            themes=frozenset(t for n in needs for t in self.out["IN_THEME"].get(n, ())),
            cities=frozenset(cities),
            regions=self._regions(cities),
            terms=self.node_text.get(pilot, ()),
            decision=overlap.Decision(current["id"], current["outcome"], current["rationale"])
            if current
            else None,
        )

    def vendor_item(self, vendor: str) -> overlap.Item:
        services = {s for s in self.out["OFFERS"].get(vendor, set()) if self._active(s)}
        items = [self.service_item(s) for s in sorted(services)]
        cities = {c for i in items for c in i.cities} | {
            self.pilot_city(p) for p in self.into["PARTNER"].get(vendor, ()) if self.pilot_city(p)
        }
        text = tuple(chain(self.node_text.get(vendor, ()), *(item.terms for item in items)))
        return overlap.Item(
            id=vendor,
            capabilities=frozenset(c for i in items for c in i.capabilities),
            needs=frozenset(n for i in items for n in i.needs),
            themes=frozenset(t for i in items for t in i.themes),
            cities=frozenset(cities),
            regions=self._regions(cities),
            terms=text,
        )

    def memo(self, key: tuple, compute: Callable[[], T]) -> T:
        """`compute()` once per view: a view lasts until the next write (the index then makes a
        new one), so a summary every visitor asks for is computed once per revision."""
        found = self._memo.get(key, _MISSING)
        if found is _MISSING:
            found = self._memo[key] = compute()
        return found

    @property
    def service_corpus(self) -> overlap.Corpus:
        """Services in service that day (retired ones are history, not overlaps)."""
        return self.index.corpus("SERVICE", self)

    @property
    def pilot_corpus(self) -> overlap.Corpus:
        """Every pilot, decided and dropped ones too: they are the prior art."""
        return self.index.corpus("PILOT", self)

    @property
    def vendor_corpus(self) -> overlap.Corpus:
        return self.index.corpus("VENDOR", self)

    def affected(self, touched: set[str]) -> dict[str, set[str]]:
        """The overlap items (per kind) whose features changes to `touched` nodes may change."""
        services, pilots, vendors = set(), set(), set()
        for node in touched:
            label = label_of(node)
            if label == "Service":
                services.add(node)
                pilots |= self.into["TRIALS"].get(node, set())
            elif label == "City":
                services |= self.index.out["USES"].get(node, set()) | self.index.out["OPERATES"].get(
                    node, set()
                )
                for pilot in self.out["RUNS"].get(node, ()):
                    pilots.add(pilot)
                    services |= self.out["TRIALS"].get(pilot, set())
            elif label == "Need":
                services |= self.into["ADDRESSES>Need"].get(node, set())
                pilots |= self.into["FOR_NEED"].get(node, set())
            elif label == "Pilot":
                pilots.add(node)
                services |= self.out["TRIALS"].get(node, set())
            elif label == "Decision":
                pilots |= self.into["DECIDED"].get(node, set()) | self.index.into["DECIDED"].get(node, set())
            elif label == "Vendor":
                vendors.add(node)
        vendors |= {v for s in services for v in self.into["OFFERS"].get(s, ())}
        vendors |= {v for p in pilots for v in self.out["PARTNER"].get(p, ())}
        return {"SERVICE": services, "PILOT": pilots, "VENDOR": vendors}


def _both(first, second):
    if first is None:
        return second
    return lambda a, b: first(a, b) and second(a, b)


class ReadWriteLock:
    """Many readers, or one writer; a waiting writer goes before new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            self._done_reading()

    @contextlib.contextmanager
    def read_if_free(self) -> Iterator[bool]:
        """As `read`, at once or not at all: True when held, False (without waiting) when a
        writer holds it or waits for it."""
        with self._cond:
            free = not (self._writing or self._waiting)
            self._readers += free
        try:
            yield free
        finally:
            if free:
                self._done_reading()

    def _done_reading(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class IndexCache:
    """The current `RegistryIndex` of a store, following the registry's revision (a write through
    any instance) change by change; built whole at first use, or when too far behind.

    Analyses read under `reading()`; following the change log changes the index in place, so it
    waits for them (and new ones wait for it). A rebuild makes a new index and swaps it in."""

    def __init__(
        self, store: Store, workers: int = 2, timeout_seconds: float = 30.0, saved: Path | None = None
    ) -> None:
        self.store = store
        self.saved = saved
        """Where the index is saved, to start from at the next start (see checkpoint.py)."""
        self._saved_as: tuple[str, int] | None = None
        """The token and revision last saved or loaded: nothing new to save when they are current."""
        self._index: RegistryIndex | None = None
        self._rw = ReadWriteLock()
        self._build = threading.Lock()
        self.pool = AnalysisPool(workers, timeout_seconds)
        """The analyses' own threads (see rolemap.workers)."""
        self.failure: str | None = None
        """Why the last background build failed, if it did (readiness says so)."""
        self._starting = threading.Lock()
        self._started = False
        self._catching_up: Future | None = None

    @property
    def ready(self) -> bool:
        """Built, and today's corpora with it (when started by `start_once`): the first analysis
        need not wait for a build."""
        return self._index is not None and not self._started

    def start_once(self) -> None:
        """Build in the background (at start-up), so that the first analysis finds it ready;
        nothing when it is built or being built."""
        with self._starting:
            if self._index is not None or self._started:
                return
            self._started = True

        def build() -> None:
            try:
                view = self.get().at(today())
                with self.reading():  # what the first overlaps, prior-art and role map would build
                    for corpus in (view.service_corpus, view.pilot_corpus):
                        corpus.matrices()
                    for cap in view.capabilities:  # kept across writes (`_refresh_popular`)
                        view.popular_vendors(cap)
                # The rankings too are long-lived: left to the collector, each full collection
                # walked them, about 130 ms every 20 requests at M (a nested read's p99 155 ms,
                # 42 ms frozen).
                gc.freeze()
                if self._saved_as is None:  # built from the store: the next start need not be
                    self.save()
                self.failure = None
            except Exception as exc:  # readiness says so; the next start or analysis tries again
                log.warning("building the analysis read model failed: %s", exc)
                self.failure = str(exc) or type(exc).__name__
            finally:
                self._started = False

        self.pool.submit(build)

    def _load(self) -> RegistryIndex | None:
        """The saved index, when this registry can trust it (checkpoint.py); it then follows the
        change log to the head like any index. Called by `get`, holding the build lock."""
        index = checkpoint.load(self.saved, self.store) if self.saved is not None else None
        if index is not None:
            self._saved_as = (self.store.identity()[1], index.revision)
            gc.freeze()  # as after a build
        return index

    def save(self) -> bool:
        """Save the index as of the registry's head, for the next start (checkpoint.py): at start
        after a build, and when the server stops. False when there is nothing to save, or nothing
        new. Analyses wait meanwhile (about 3 s at scale M): the index must hold still."""
        if self.saved is None or self._index is None:
            return False
        self.get()  # caught up first: what the next start needs is the newest revision
        with self._build, self._rw.write():
            index = self._index
            revision, token = self.store.identity()
            if index is None or not index.exact or index.revision != revision:
                return False  # not exactly the head (a write came meanwhile): the older file stays
            if self._saved_as == (token, revision):
                return False
            for corpus in index.todays_corpora().values():  # as the next analysis would
                corpus.matrices()
            checkpoint.save(self.saved, index, self.store, token)
            self._saved_as = (token, revision)
        log.info("analysis read model saved to %s (revision %d)", self.saved, revision)
        return True

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on an analysis thread, within the analysis timeout."""
        return await self.pool.run(fn, *args)

    def read(self, fn: Callable[[RegistryIndex], T]) -> T:
        """`fn` on the current index, held still while it reads; the catching up is shared work,
        never cut short by the caller's deadline. Call it on an analysis thread (`run`)."""
        current = unhurried(self.get)
        with self.reading():
            return fn(current)

    def get(self, head: int | None = None) -> RegistryIndex:
        """The index as of the registry's head revision: `head` when the caller read it, else read
        (one statement)."""
        head = self.store.head() if head is None else head
        index = self._index
        if index is not None and index.revision >= head:
            return index
        with self._build:  # one thread catches up (or loads, or builds), the others wait for it
            index = self._index
            if index is None:  # at first use: begin from the saved one, if it can be trusted
                index = self._index = self._load()
            if index is not None and index.revision < head:
                with self._rw.write():
                    followed = self._follow(index, head)
                if not followed:
                    index = None
            if index is None:
                self._index = RegistryIndex.load(self.store)
                # Millions of long-lived objects: out of the collector's way, or every few
                # thousand allocations a full collection walks them all (seconds at scale M).
                gc.freeze()
            return self._index

    def reading(self):
        """Hold the index still while an analysis reads it (call `get` first, outside)."""
        return self._rw.read()

    @contextlib.contextmanager
    def serving(self, revision: int) -> Iterator[RegistryIndex | None]:
        """The index, held still, for a plain read that began when the registry's head was
        `revision`: when it is built, as of that revision or later, and free at once; else None
        (without waiting), and the read asks the store. An index behind catches up in the
        background, for the reads after."""
        index = self._index
        if index is not None and index.revision < revision:
            self._catch_up()
        if index is None or index.revision < revision:
            yield None
            return
        with self._rw.read_if_free() as free:
            index = self._index  # again, held: a rebuild may have swapped it meanwhile
            yield index if free and index is not None and index.revision >= revision else None

    def _catch_up(self) -> None:
        """Follow the registry's head in the background (for plain reads, which do not wait)."""
        with self._starting:
            if self._catching_up is not None or self._started:
                return
            with contextlib.suppress(RuntimeError):  # stopping: the pool takes no more work
                self._catching_up = self.pool.submit(self._follow_head)

    def _follow_head(self) -> None:
        try:
            self.get()
        except Exception as exc:  # the next analysis or read tries again
            log.warning("following the registry's changes failed: %s", exc)
        finally:
            with self._starting:
                self._catching_up = None

    def stop(self) -> None:
        """No more work on the analyses' threads; catching up that has begun is waited for (it
        reads the store, which is closed next)."""
        self.pool.shutdown()
        with contextlib.suppress(Exception):  # cancelled, or failed (and logged)
            self._catching_up_done()

    def caught_up(self) -> RegistryIndex:
        """`get`, once any catching up in the background is done: nothing then runs statements
        behind the caller's back until the next write (tests count statements after it)."""
        self._catching_up_done()
        return self.get()

    def _catching_up_done(self) -> None:
        """Wait for the catching up in the background, if any has begun."""
        with self._starting:
            pending = self._catching_up
        if pending is not None:
            pending.result()

    def _follow(self, index: RegistryIndex, head: int) -> bool:
        """Apply the change records after the index's revision; False when it must be rebuilt
        instead (a revision without a change record, or too far behind)."""
        if index.revision >= head:
            return True
        if head - index.revision > MAX_BEHIND:
            return False
        wanted = [change_id(r) for r in range(index.revision + 1, head + 1)]

        def work(run) -> tuple[int, list[dict], dict[str, dict]]:
            found = {row["n"]["id"]: row["n"] for row in run("node.get.Change", {"ids": wanted})}
            changes = [found[i] for i in wanted if i in found]
            touched: dict[str, set[str]] = defaultdict(set)
            for change in changes:
                for field in json.loads(change.get("fields") or "[]"):
                    if field["name"] not in FOLLOWED:  # a property: the node is read as it is now
                        touched[label_of(field["nodeId"])].add(field["nodeId"])
            nodes = {}
            for label, ids in touched.items():
                if label in NODE_LABELS:
                    for row in run(f"node.get.{label}", {"ids": sorted(ids)}):
                        nodes[row["n"]["id"]] = row["n"]
            return run("registry.head", {"id": REGISTRY_HEAD})[0]["revision"], changes, nodes

        last, changes, nodes = self.store.snapshot(work)
        if len(changes) != len(wanted) or last < head:
            return False  # an import or an upgrade has no change record: rebuild
        index.apply(changes, nodes)
        return True
