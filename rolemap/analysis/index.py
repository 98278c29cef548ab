"""An in-memory projection of the registry's structure, for the analyses (overlaps, prior art,
coverage gaps, role map, radar).

It is loaded with a fixed number of bulk statements (one per label and relationship type, whatever
the registry's size) from one consistent snapshot, and stamped with the registry's revision. Before
serving an analysis, an instance reads the registry head (one statement): a newer revision, from
this instance or any other on the same database, means the next analysis rebuilds it. Only
structure and the text the scores need are kept, not whole records.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

from ..domain import overlap
from ..domain.text import terms, words
from ..graph.access import record
from ..graph.schema import LANGUAGES, REGISTRY_HEAD
from ..graph.statements import rel_key
from ..graph.store import Store

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


@dataclass(frozen=True)
class StanceChange:
    ring: str
    since: datetime
    rationale: str | None


def _texts(node: dict, *fields: str) -> list[str]:
    return [node.get(f"{f}{suffix}") or "" for f in fields for suffix in ("", *(f"_{x}" for x in LANGUAGES))]


SNAPSHOT_ATTEMPTS = 3
VIEWS_KEPT = 4
"""Days (see `RegistryIndex.at`) whose views an index keeps: today, and a few asked about."""


def read_snapshot(store: Store) -> tuple[int, dict[str, list[dict]], dict[tuple[str, str, str], list[dict]]]:
    """Every node and edge the index needs, as of one revision, in one read transaction.

    LadybugDB gives a read transaction a snapshot; Neo4j reads committed data as it goes. So the
    head is read before and after: the same revision both times means no write committed in
    between, and the rows are exactly that revision. Under a steady stream of writes, the last
    attempt is kept, stamped with the revision it started from (so the next request rebuilds), and
    `RegistryIndex` drops any edge whose end it did not read."""

    def work(run) -> tuple[int, int, dict, dict]:
        first = run("registry.head", {"id": REGISTRY_HEAD})[0]["revision"]
        nodes = {label: [row["n"] for row in run(f"node.all.{label}")] for label in NODE_LABELS}
        edges = {key: run(f"rel.all.{rel_key(*key)}") for key in RELS}
        last = run("registry.head", {"id": REGISTRY_HEAD})[0]["revision"]
        return first, last, nodes, edges

    for _ in range(SNAPSHOT_ATTEMPTS):
        first, last, nodes, edges = store.snapshot(work)
        if first == last:
            break
    return first, nodes, edges


class RegistryIndex:
    def __init__(self, store: Store) -> None:
        self.revision, nodes, edges = read_snapshot(store)
        known = {n["id"] for rows in nodes.values() for n in rows}
        edges = {
            key: [row for row in rows if row["src"] in known and row["dst"] in known]
            for key, rows in edges.items()
        }
        self.records = {n["id"]: record(label, n) for label in RECORDS_KEPT for n in nodes[label]}
        """Whole records of the small, often-named labels: analyses name them without a statement."""
        self.names: dict[str, str] = {}
        for rows in nodes.values():
            for node in rows:
                self.names[node["id"]] = node.get("name") or node.get("title") or node["id"]
        self.node_text: dict[str, list[str]] = {}
        spelled: dict[str, Counter[str]] = defaultdict(Counter)
        for label in ("Service", "Pilot", "Vendor"):
            for node in nodes[label]:
                pairs = words(*_texts(node, "name", "title", "description"))
                self.node_text[node["id"]] = [term for term, _ in pairs]
                for term, word in pairs:
                    spelled[term][word] += 1
        self.term_words = {term: max(c, key=lambda w: (c[w], w)) for term, c in spelled.items()}
        self.city_kind = {n["id"]: n["kind"] for n in nodes["City"]}
        self.need_status = {n["id"]: n["status"] for n in nodes["Need"]}
        self.service_lifecycle = {n["id"]: n["lifecycle"] for n in nodes["Service"]}
        self.retired_at = {n["id"]: n.get("retiredAt") for n in nodes["Service"] if n.get("retiredAt")}
        self.pilot_status = {n["id"]: n["status"] for n in nodes["Pilot"]}
        self.pilot_end = {n["id"]: n.get("endDate") for n in nodes["Pilot"]}
        self.pilot_start = {n["id"]: n.get("startDate") or n["createdAt"].date() for n in nodes["Pilot"]}
        self.pilot_closed = {
            n["id"]: {"ENDED": n.get("endedAt"), "CANCELLED": n.get("cancelledAt")} for n in nodes["Pilot"]
        }
        self.pilot_started = {n["id"]: n.get("startedAt") for n in nodes["Pilot"]}
        self.decisions = {n["id"]: record("Decision", n) for n in nodes["Decision"]}
        self.vendors = sorted(n["id"] for n in nodes["Vendor"])
        self.services = sorted(self.service_lifecycle)
        self.pilots = sorted(self.pilot_status)
        self.capabilities = sorted(n["id"] for n in nodes["Capability"])

        out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        into: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.uses_since: dict[tuple[str, str], object] = {}
        self.uses_until: dict[tuple[str, str], object] = {}
        self.stances: dict[tuple[str, str], list[StanceChange]] = defaultdict(list)
        self.claimed: set[tuple[str, str, str]] = set()
        """Links a vendor claims and no city verified yet: (name, src, dst)."""
        for (rel, _, dst), rows in edges.items():
            name = f"{rel}>{dst}" if rel == "ADDRESSES" else rel
            for row in rows:
                status = row.get("status")
                if status == "REJECTED":
                    continue  # a city said no: the link does not count anywhere
                if status == "CLAIMED":
                    self.claimed.add((name, row["src"], row["dst"]))
                out[name][row["src"]].add(row["dst"])
                into[name][row["dst"]].add(row["src"])
                if rel == "USES":
                    self.uses_since[row["src"], row["dst"]] = row.get("since")
                    self.uses_until[row["src"], row["dst"]] = row.get("until")
                if rel == "STANCE":
                    change = StanceChange(row["ring"], row["since"], row.get("rationale"))
                    self.stances[row["src"], row["dst"]].append(change)
        for history in self.stances.values():
            history.sort(key=lambda c: c.since, reverse=True)
        for a, b in list(out["COMPLEMENTS"].items()):  # complementary is symmetric
            for c in b:
                out["COMPLEMENTS"][c].add(a)
        self.out, self.into = out, into
        self.as_of: date | None = None
        """The day a view answers for (see `at`); None for the registry as stored."""
        self._BASE = frozenset(self.__dict__) | {"_BASE"}
        """What the constructor sets; the rest of `__dict__` is derived lazily (cached)."""

    def _view(self) -> RegistryIndex:
        """A shallow copy sharing what the constructor built, without anything derived from it."""
        view = copy.copy(self)
        view.__dict__ = {k: v for k, v in self.__dict__.items() if k in self._BASE}
        return view

    def at(self, day: date, today: date | None = None) -> RegistryIndex:
        """The registry as it stood on `day`: only uses that had begun and not ended, services not
        yet retired, decisions already taken and stances already set. (Needs have no dates: their
        status is as stored.) Every analysis answers as of a day; views are kept for a few days."""
        views = self.__dict__.setdefault("_days", {})
        if day in views:
            return views[day]
        today = today or datetime.now(UTC).date()
        view = self._view()
        view.as_of = day
        retired = {
            s
            for s, stored in self.service_lifecycle.items()
            if (self.retired_at[s].date() <= day if s in self.retired_at else stored == "RETIRED")
        }
        view.service_lifecycle = {s: "RETIRED" if s in retired else "ACTIVE" for s in self.service_lifecycle}
        gone: set[tuple[str, str, str]] = set()
        for (city, service), since in self.uses_since.items():
            until = self.uses_until.get((city, service))
            if (since and since > day) or (until and until <= day) or service in retired:
                gone.add(("USES", city, service))
        gone |= {("OPERATES", c, s) for s in retired for c in self.into["OPERATES"].get(s, ())}
        later = {d for d, rec in self.decisions.items() if rec["decidedAt"].date() > day}
        gone |= {("DECIDED", p, d) for d in later for p in self.into["DECIDED"].get(d, ())}
        view.out, view.into = _without(self.out, self.into, gone)
        view.stances = {
            key: kept
            for key, history in self.stances.items()
            if (kept := [c for c in history if c.since.date() <= day])
        }
        if day < today:
            view.pilot_status = {p: self._status_on(p, day) for p in self.pilot_status}
        view.services = [s for s in self.services if view.service_lifecycle[s] == "ACTIVE"]
        view.claimed = {link for link in self.claimed if link not in gone}
        view._BASE = self._BASE
        if len(views) >= VIEWS_KEPT:
            views.pop(next(iter(views)))
        views[day] = view
        return view

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

    def verified(self) -> RegistryIndex:
        """The same registry without the links still only claimed (`verifiedOnly` analyses):
        built once per index or view, sharing everything but the links those claims touch."""
        view = self.__dict__.get("_verified")
        if view is None:
            view = self._view()
            view.out, view.into = _without(self.out, self.into, self.claimed)
            view.claimed = set()
            self.__dict__["_verified"] = view
        return view

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

    @cached_property
    def _service_cities(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for rel in ("USES", "OPERATES"):
            for city, services in self.out[rel].items():
                for service in services:
                    found[service].add(city)
        for pilot, services in self.out["TRIALS"].items():
            if self.pilot_status.get(pilot) != "RUNNING":
                continue  # a pilot planned, ended or decided is not the city having the service
            for service in services:
                found[service] |= self.into["RUNS"].get(pilot, set())
        return found

    @cached_property
    def city_services(self) -> dict[str, set[str]]:
        """Services each city uses, operates or is piloting (a running pilot)."""
        found: dict[str, set[str]] = defaultdict(set)
        for service, cities in self._service_cities.items():
            for city in cities:
                found[city].add(service)
        return found

    def service_cities(self, service: str) -> set[str]:
        """Cities that use, operate or pilot a service."""
        return self._service_cities.get(service, set())

    def users(self, service: str) -> int:
        """How many cities use a service: the popularity that ranks candidates."""
        return len(self.into["USES"].get(service, ()))

    def popular_services(self, cap: str) -> list[str]:
        """Active services with the capability, most used first (then by id); cached per capability."""
        cache = self.__dict__.setdefault("_popular_services", {})
        if cap not in cache:
            found = [
                s for s in self.into["HAS_CAPABILITY"].get(cap, ()) if self.service_lifecycle[s] == "ACTIVE"
            ]
            cache[cap] = sorted(found, key=lambda s: (-self.users(s), s))
        return cache[cap]

    def popular_vendors(self, cap: str) -> list[tuple[str, list[str]]]:
        """Vendors with an active service having the capability, with those services, the vendor
        whose services more cities use first (then by id); cached per capability."""
        cache = self.__dict__.setdefault("_popular_vendors", {})
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

    @cached_property
    def _city_names(self) -> list[tuple[frozenset[str], str]]:
        """Each city's names in every language, as terms."""
        found = []
        for city in self.city_kind:
            rec = self.records[city]
            for field in ("name", *(f"name_{lang}" for lang in LANGUAGES)):
                if rec.get(field):
                    found.append((frozenset(terms(rec[field])), city))
        return found

    def cities_named(self, words) -> set[str]:
        """Cities whose name (in any language) the words give in full: "Tammerfors" is Tampere."""
        return {city for names, city in self._city_names if names and names <= words.keys()}

    # Items for the overlap score ------------------------------------------------------------
    def _regions(self, cities: set[str]) -> frozenset[str]:
        return frozenset(r for c in cities for r in self.regions_of(c))

    def _live_needs(self, needs) -> set[str]:
        """Needs still standing: a withdrawn need is nobody's reason any more."""
        return {n for n in needs if self.need_status.get(n) != "WITHDRAWN"}

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
            terms=Counter(self.node_text.get(service, ())),
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
            terms=Counter(self.node_text.get(pilot, ())),
            decision=overlap.Decision(current["id"], current["outcome"], current["rationale"])
            if current
            else None,
        )

    def vendor_item(self, vendor: str) -> overlap.Item:
        services = {s for s in self.out["OFFERS"].get(vendor, set()) if self.service_lifecycle[s] == "ACTIVE"}
        items = [self.service_item(s) for s in sorted(services)]
        cities = {c for i in items for c in i.cities} | {
            self.pilot_city(p) for p in self.into["PARTNER"].get(vendor, ()) if self.pilot_city(p)
        }
        text = Counter(self.node_text.get(vendor, ()))
        for item in items:
            text.update(item.terms)
        return overlap.Item(
            id=vendor,
            capabilities=frozenset(c for i in items for c in i.capabilities),
            needs=frozenset(n for i in items for n in i.needs),
            themes=frozenset(t for i in items for t in i.themes),
            cities=frozenset(cities),
            regions=self._regions(cities),
            terms=text,
        )

    def _corpus(self, items) -> overlap.Corpus:
        as_of = self.as_of.isoformat() if self.as_of else None
        return overlap.Corpus(items, self.names, self.term_words, self.out["COMPLEMENTS"], as_of)

    @cached_property
    def service_corpus(self) -> overlap.Corpus:
        """Services in service (retired ones are history, not overlaps)."""
        return self._corpus(self.service_item(s) for s in self.services)

    @cached_property
    def pilot_corpus(self) -> overlap.Corpus:
        """Every pilot, decided and dropped ones too: they are the prior art."""
        return self._corpus(self.pilot_item(p) for p in self.pilots)

    @cached_property
    def vendor_corpus(self) -> overlap.Corpus:
        return self._corpus(self.vendor_item(v) for v in self.vendors)


def _without(out: dict, into: dict, links: set[tuple[str, str, str]]) -> tuple[dict, dict]:
    """Copies of the adjacency maps without `links`; only the touched sets are copied."""
    out2 = {name: dict(by_src) for name, by_src in out.items()}
    into2 = {name: dict(by_dst) for name, by_dst in into.items()}
    for name, src, dst in links:
        out2.setdefault(name, {})[src] = out2.get(name, {}).get(src, set()) - {dst}
        into2.setdefault(name, {})[dst] = into2.get(name, {}).get(dst, set()) - {src}
    return _defaulting(out2), _defaulting(into2)


def _defaulting(maps: dict) -> dict:
    found: dict = defaultdict(lambda: defaultdict(set))
    for name, by_node in maps.items():
        found[name] = defaultdict(set, by_node)
    return found


class IndexCache:
    """The current `RegistryIndex` of a store: rebuilt once after the registry's revision moves
    (a write through any instance), by one thread while the others wait for it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._index: RegistryIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> RegistryIndex:
        """The index as of the registry's head revision (one statement to read the head)."""
        head = self.store.head()
        index = self._index
        if index is not None and index.revision >= head:
            return index
        with self._lock:
            if self._index is None or self._index.revision < head:
                self._index = RegistryIndex(self.store)
            return self._index
