"""Latency of every named per-request read statement, at scale S and at scale M, on each store.

    python benchmarks/statements.py                                   # both stores, S and M, 20 runs
    python benchmarks/statements.py --store ladybug --runs 5          # the embedded store only (quick)
    python benchmarks/statements.py --store neo4j --scales S          # a local Neo4j it starts, S only
    python benchmarks/statements.py --keep /tmp/stmt-bench            # keep the loaded stores for reruns
    python benchmarks/statements.py --combos all                      # every filter combination of the lists

Each statement is called as rolemap calls it: `store.read(name, params)` with the parameters
`rolemap/graph/access.py` gives it (`Graph.nodes`, `Graph.related`, `Graph.page`, `Graph.count`,
`Graph.facet`, `Graph.holder`, the API-key lookup, `Store.head`); the time is the whole `store.read`
(driver or binding, and turning rows into dicts), one call at a time. First one untimed pass over
every call (`--prepass`), then per call `--warmup` untimed calls (default 5: LadybugDB plans a
statement text once on each of the store's 4 pooled read connections, 15 to 60 ms at first) and
`--runs` timed ones, S and M interleaved call by call (S, M, M, S, …) so that whatever else the
machine does weighs on both alike. A call that has used `--budget` seconds (default 10) at a scale
stops there after at least 3 timed runs; the table says which. The statements come from the
registry (`rolemap.graph.statements.STATEMENTS`), so the table follows whatever texts it holds:

- id lookups: `node.get.<Label>` and `node.brief.<Label>` with 1 id and with 20 ids, `key.get` (1 and 20 unique values),
  `apikey.get` (1 id, as every authenticated request), `registry.head`;
- hops: every `rel.out.*` and `rel.in.*` (and `link.*`, the same with neighbour ids) with 1 id (the id of median degree among those with
  neighbours) and with 20 ids (spread over those with neighbours; ids without any fill up when there
  are fewer than 20);
- lists: `list.page.*` first page (`after` "") and a later page (`after` the middle id of the label),
  `limit` first+1 = 21 as the API asks, and `list.count.*`, with no filter and each filter alone
  (`--combos N`: up to N filters together; `--combos all`: every registered combination);
- facets: `list.facet.*` with as many other filters as `--combos` allows;
- `health.ping`: the floor, what any statement costs.

The stores are opened as `rolemap serve` opens them (`open_store` with the server's settings from
ROLEMAP_*; `--db-buffer-mb` overrides the embedded store's buffer pool). A call the store refuses
is shown as FAILED with the store's message, and the run goes on.

Skipped and listed as such: writes (any text with CREATE, MERGE, SET, DELETE or REMOVE), the
whole-label reads that build the analysis projection (`node.all.*`, `rel.all.*`), and reads that are
not per request (`node.count.*`, the admin key listing). A registered name this script does not know
is listed as not measured.

The synthetic registry is `generate_bundle(scale, seed)` loaded with `import_bundle`; 20 API keys are
created through the registry's use case (so `apikey.get` and the change list have something to
find). The same seed gives the same ids, so both stores are asked the same questions; calls whose
rows differ between the stores (nodes compared by id) are listed at the end. Neo4j: one local
server per scale, both running while measuring (tools/neo4j/run, via servers.py), each on a free
loopback port; S with a 1g heap, M with NEO4J_HEAP (default 4g; loading M in one transaction needs
at least 2g); stopped at the end, also on Ctrl-C. Generating and loading M takes 30 to 90 s into
LadybugDB and 2 to 3 minutes into Neo4j; `--keep DIR` keeps the stores
(DIR/ladybug-<scale>-seed<seed>.lbug, DIR/neo4j-<scale>-seed<seed>/) and reuses them next time.

Prints one table per store: p50 at S and at M, M p50 ÷ S p50, rows returned at S/M, p95 at S and at
M; then, per store, the id lookups and hops whose M p50 is more than twice their S p50 ("not
flat"), with health.ping at both scales for comparison. Figures, not assertions. Neo4j's JIT keeps
getting faster for hundreds of calls: a server that has just loaded M is warmer than one that
started on a kept store, so with `--keep` the second run gives the fairer M÷S. At M the whole run
takes about 10 minutes on LadybugDB and 30 on Neo4j (2 cores), most of it in the few hops that
return tens of thousands of rows.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    DEFAULT_HEAP,
    DEFAULT_PAGE_CACHE_MB,
    Failed,
    Supervisor,
    neo4j_auth,
    start_neo4j,
)

from rolemap.api.connections import DEFAULT_FIRST  # noqa: E402
from rolemap.api.schema import search_terms  # noqa: E402
from rolemap.bundle import import_bundle  # noqa: E402
from rolemap.config import Settings  # noqa: E402
from rolemap.domain.actors import Actor, Role  # noqa: E402
from rolemap.generate import generate_bundle  # noqa: E402
from rolemap.graph.access import UNIQUE, Graph  # noqa: E402
from rolemap.graph.schema import NODES, REGISTRY_HEAD, key_id  # noqa: E402
from rolemap.graph.statements import DIALECTS, STATEMENTS  # noqa: E402
from rolemap.graph.store import Store, StoreError, open_store  # noqa: E402

MANY = 20
"""Ids per call in the "×20" variants (a page of a nested connection asks for about this many)."""
API_KEYS = 20
BENCH_ACTOR = Actor(id="cli:statements-benchmark", name="statements benchmark", role=Role.ADMIN)
NOT_FLAT = 2.0
"""An id lookup or a hop is "not flat" when its M p50 is more than this many times its S p50."""

WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE)\b")
LIST_NAME = re.compile(r"list\.(page|count)\.(\w+)\[([\w,]*)\]")
FACET_NAME = re.compile(r"list\.facet\.(\w+)\.(\w+)\[([\w,]*)\]")
SECTIONS = ("id lookups", "hops", "lists", "facets", "floor")


@dataclass(frozen=True)
class Case:
    """One measured call: a statement with one set of parameters."""

    statement: str
    variant: str
    params: dict[str, Any] = field(hash=False, compare=False)
    section: str = "other"

    @property
    def label(self) -> str:
        return f"{self.statement} {self.variant}".rstrip()


@dataclass
class Result:
    p50: float | None = None
    p95: float | None = None
    rows: str = ""
    error: str | None = None
    runs: int = 0
    digest: str = ""


# Which statements are per-request reads --------------------------------------------------------------
def classify() -> tuple[list[str], dict[str, list[str]]]:
    """(names measured by kind: the per-request reads, in registry order; reason → names skipped)."""
    measured: list[str] = []
    skipped: dict[str, list[str]] = defaultdict(list)
    for name, statement in STATEMENTS.items():
        texts = [statement.text(d) for d in DIALECTS]
        if any(WRITE.search(t) for t in texts):
            skipped["writes"].append(name)
        elif name.startswith(("node.all.", "rel.all.")):
            skipped["whole-label reads for the analysis projection"].append(name)
        elif name.startswith(("node.count.",)) or name in ("apikey.all", "apikey.admins"):
            skipped["not per request (import and start-up checks, the admin key listing)"].append(name)
        elif name.startswith(
            ("node.get.", "node.brief.", "rel.out.", "rel.in.", "link.", "list.")
        ) or name in (
            "key.get",
            "apikey.get",
            "registry.head",
            "health.ping",
        ):
            measured.append(name)
        else:
            skipped["not known to this benchmark (not measured)"].append(name)
    return measured, skipped


def summarize(names: list[str]) -> str:
    """`node.create.* (10), registry.bump, …`: names grouped by their first two parts."""
    groups: Counter[str] = Counter()
    for name in names:
        parts = name.split(".")
        groups[".".join(parts[:2]) + ".*" if len(parts) > 2 else name] += 1
    return ", ".join(f"{g} ({n})" if g.endswith("*") else g for g, n in groups.items())


# Picking parameters from the data ------------------------------------------------------------------
def spread(items: list[str], k: int) -> list[str]:
    """`k` items evenly over a sorted list (all of them when there are fewer)."""
    if len(items) <= k:
        return list(items)
    return [items[i * len(items) // k] for i in range(k)]


def fill(picked: list[str], pool: list[str], k: int, label: str) -> list[str]:
    """`picked`, topped up to `k` ids from `pool` (then made-up ids when the label has too few)."""
    out = list(picked)
    for i in spread([p for p in pool if p not in set(picked)], k - len(out)):
        out.append(i)
    n = 0
    while len(out) < k:
        out.append(f"{label}:statements-benchmark-none-{n}")
        n += 1
    return out


def median_degree(degree: Counter[str]) -> str:
    """The id of median degree among those with any (ties by id)."""
    ranked = sorted(degree.items(), key=lambda kv: (kv[1], kv[0]))
    return ranked[len(ranked) // 2][0]


class Data:
    """What the benchmark picks its parameters from, read once per store and scale (untimed)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ids: dict[str, list[str]] = {}
        self.keys: list[str] = []
        for label in NODES:
            rows = store.read(f"node.all.{label}") if f"node.all.{label}" in STATEMENTS else []
            self.ids[label] = sorted(r["n"]["id"] for r in rows)
            for prop in UNIQUE.get(label, ()):
                self.keys += [key_id(label, prop, r["n"][prop]) for r in rows if r["n"].get(prop) is not None]
        self.keys.sort()
        self.api_keys = sorted(r["k"]["id"] for r in store.read("apikey.all"))
        self._degrees: dict[tuple[str, str], Counter[str]] = {}

    def degree(self, key: str, direction: str) -> Counter[str]:
        """Neighbours per id across `rel.<direction>.<key>`, from `rel.all.<key>`."""
        if (key, direction) not in self._degrees:
            rows = self.store.read(f"rel.all.{key}") if f"rel.all.{key}" in STATEMENTS else []
            self._degrees[(key, "out")] = Counter(r["src"] for r in rows)
            self._degrees[(key, "in")] = Counter(r["dst"] for r in rows)
        return self._degrees[(key, direction)]

    def one(self, label: str) -> str:
        ids = self.ids.get(label) or [f"{label}:statements-benchmark-none"]
        return ids[len(ids) // 2]

    def hop_ids(self, key: str, direction: str) -> tuple[list[str], list[str]]:
        """(1 id, 20 ids) for a hop: ids with neighbours where there are any."""
        _rel, src, dst = key.split(".")
        label = src if direction == "out" else dst
        degree = self.degree(key, direction)
        if not degree:
            return [self.one(label)], fill([], self.ids.get(label, []), MANY, label)
        return [median_degree(degree)], fill(
            spread(sorted(degree), MANY), self.ids.get(label, []), MANY, label
        )


def filter_values(data: Data, search: str) -> dict[tuple[str | None, str], Any]:
    """A value for each list filter, as the API passes it: (label or None for any, filter) → value."""
    graph = Graph(data.store.read)

    def typical(key: str, direction: str, label: str) -> str:
        degree = data.degree(key, direction)
        return median_degree(degree) if degree else data.one(label)

    city = typical("RUNS.City.Pilot", "out", "City")
    actor = BENCH_ACTOR.id
    return {
        (None, "search"): search_terms(search),
        (None, "kind"): "MUNICIPALITY",
        # A region lists its members' too: the API expands cityId with with_members first.
        (None, "cityId"): graph.with_members(city),
        (None, "capabilityId"): typical("HAS_CAPABILITY.Service.Capability", "in", "Capability"),
        ("Service", "vendorId"): typical("OFFERS.Vendor.Service", "out", "Vendor"),
        ("Pilot", "vendorId"): typical("PARTNER.Pilot.Vendor", "in", "Vendor"),
        (None, "lifecycle"): "ACTIVE",
        (None, "themeId"): typical("IN_THEME.Need.Theme", "in", "Theme"),
        ("Need", "status"): "OPEN",
        ("Pilot", "status"): "DECIDED",
        (None, "outcome"): "DEVELOP",
        (None, "needId"): typical("FOR_NEED.Pilot.Need", "in", "Need"),
        (None, "actorId"): actor,
    }


def plan(names: list[str], data: Data, combos: int, search: str) -> tuple[list[Case], dict[str, list[str]]]:
    """The calls to time, and the list statements left out (reason → names)."""
    values = filter_values(data, search)
    left_out: dict[str, list[str]] = defaultdict(list)
    cases: list[Case] = []
    limit = DEFAULT_FIRST + 1  # the API asks for one more than a page to know whether there is a next one

    def value(label: str, name: str) -> Any:
        return values.get((label, name), values.get((None, name)))

    def filters(label: str, active: list[str], name: str) -> dict[str, Any] | None:
        if len(active) > combos:
            left_out[
                f"lists and facets with more than {combos} filter(s) (--combos all measures them)"
            ].append(name)
            return None
        missing = [a for a in active if value(label, a) is None]
        if missing:
            left_out[f"no value for filter {', '.join(missing)} (not measured)"].append(name)
            return None
        return {a: value(label, a) for a in active}

    for name in names:
        if name.startswith(("node.get.", "node.brief.")):
            label = name.split(".", 2)[2]
            ids = data.ids.get(label, [])
            cases.append(Case(name, "×1", {"ids": [data.one(label)]}, "id lookups"))
            cases.append(
                Case(name, f"×{MANY}", {"ids": fill(spread(ids, MANY), ids, MANY, label)}, "id lookups")
            )
        elif name.startswith(("rel.out.", "rel.in.", "link.out.", "link.in.")):
            _, direction, key = name.split(".", 2)
            one, many = data.hop_ids(key, direction)
            cases.append(Case(name, "×1", {"ids": one}, "hops"))
            cases.append(Case(name, f"×{MANY}", {"ids": many}, "hops"))
        elif name == "key.get":
            keys = data.keys or ["Key:statements-benchmark-none"]
            cases.append(Case(name, "×1", {"ids": [keys[len(keys) // 2]]}, "id lookups"))
            cases.append(
                Case(name, f"×{MANY}", {"ids": fill(spread(keys, MANY), keys, MANY, "Key")}, "id lookups")
            )
        elif name == "apikey.get":
            keys = data.api_keys or ["ApiKey:statements-benchmark-none"]
            cases.append(Case(name, "×1", {"ids": [keys[len(keys) // 2]]}, "id lookups"))
        elif name == "registry.head":
            cases.append(Case(name, "", {"id": REGISTRY_HEAD}, "id lookups"))
        elif name == "health.ping":
            cases.append(Case(name, "", {}, "floor"))
        elif match := LIST_NAME.fullmatch(name):
            kind, label, active = match.group(1), match.group(2), [a for a in match.group(3).split(",") if a]
            given = filters(label, active, name)
            if given is None:
                continue
            if kind == "count":
                cases.append(Case(name, "", given, "lists"))
            else:
                middle = data.one(label)
                cases.append(Case(name, "first", {**given, "after": "", "limit": limit}, "lists"))
                cases.append(Case(name, "after", {**given, "after": middle, "limit": limit}, "lists"))
        elif match := FACET_NAME.fullmatch(name):
            label, active = match.group(1), [a for a in match.group(3).split(",") if a]
            given = filters(label, active, name)
            if given is not None:
                cases.append(Case(name, "", given, "facets"))
        else:
            left_out["list statements of an unknown shape (not measured)"].append(name)
    return cases, left_out


# Measuring --------------------------------------------------------------------------------------------
def rows_of(case: Case, rows: list[dict]) -> str:
    if case.statement.startswith("list.count."):
        return f"={rows[0]['count']:,}" if rows else "0"
    if case.section == "hops":
        empty = sum(1 for r in rows if r.get("node") is None)
        return f"{len(rows) - empty}+{empty}∅" if empty else str(len(rows))
    return str(len(rows))


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(q * (len(sorted_ms) - 1)))]


def digest(rows: list[dict]) -> str:
    """What the rows say, comparable across the stores: nodes by id (Neo4j leaves null properties
    out of a node, LadybugDB keeps them), everything else as it is."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return ("node", value["id"]) if "id" in value else tuple(sorted(value.items()))
        return tuple(map(plain, value)) if isinstance(value, list) else value

    text = repr([sorted((k, plain(v)) for k, v in row.items()) for row in rows])
    return hashlib.sha1(text.encode()).hexdigest()


def measure(stores: dict[str, Store], cases: dict[str, list[Case]], args, title: str):
    """Every call at every scale, interleaved: first one untimed pass over all calls (`--prepass`,
    so that a server's JIT has seen every statement), then per call `--warmup` untimed rounds and
    `--runs` timed rounds, each round one call per scale (S, M, then M, S, …) so that whatever else
    the machine does weighs on both scales alike. A scale leaves the warm-up once it has spent
    `--budget` seconds on the call, and the timed rounds once it has spent `--budget` seconds and
    has at least 3 timed runs. Scale → label → Result."""
    by_label = {scale: {c.label: c for c in cs} for scale, cs in cases.items()}
    labels = list(dict.fromkeys(c.label for cs in cases.values() for c in cs))
    results: dict[str, dict[str, Result]] = {scale: {} for scale in stores}
    budget = args.budget * 1000
    failures: Counter[str] = Counter()
    began = time.perf_counter()

    def call(scale: str, label: str) -> tuple[float, list[dict]] | None:
        case = by_label[scale][label]
        try:
            started = time.perf_counter()
            rows = stores[scale].read(case.statement, case.params)
            return (time.perf_counter() - started) * 1000, rows
        except StoreError as exc:
            results[scale][label] = Result(error=str(exc).splitlines()[0][:160])
            failures[scale] += 1
            if failures[scale] <= 3:
                more = " (further failures only in the table)" if failures[scale] == 3 else ""
                print(f"  {label} at {scale}: FAILED: {results[scale][label].error}{more}", flush=True)
            return None

    for n in range(args.prepass):
        for label in labels:
            for scale in stores:
                if label in by_label[scale] and label not in results[scale]:
                    call(scale, label)
        print(f"{title}: untimed pass {n + 1} over every call done ({time.perf_counter() - began:.0f} s)")
    print(
        f"{title}: {len(labels)} calls × ({args.runs} runs + {args.warmup} warm-up) at {'/'.join(stores)}, "
        f"interleaved; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    for n, label in enumerate(labels, 1):
        scales = [s for s in stores if label in by_label[s] and label not in results[s]]
        times: dict[str, list[float]] = {s: [] for s in scales}
        spent: dict[str, float] = dict.fromkeys(scales, 0.0)
        rows: dict[str, list[dict]] = {}
        for i in range(args.warmup + args.runs):
            warming = i < args.warmup
            if i == args.warmup:
                spent = dict.fromkeys(scales, 0.0)
            for scale in scales if i % 2 == 0 else scales[::-1]:
                if label in results[scale]:
                    continue  # failed
                if spent[scale] >= budget and (warming or len(times[scale]) >= 3):
                    continue
                done = call(scale, label)
                if done is None:
                    continue
                elapsed, rows[scale] = done
                spent[scale] += elapsed
                if not warming:
                    times[scale].append(elapsed)
        for scale in scales:
            if label not in results[scale]:
                ordered = sorted(times[scale])
                case = by_label[scale][label]
                results[scale][label] = Result(
                    statistics.median(ordered),
                    percentile(ordered, 0.95),
                    rows_of(case, rows[scale]),
                    runs=len(ordered),
                    digest=digest(rows[scale]),
                )
        if n % 50 == 0:
            print(f"  {n}/{len(labels)} ({time.perf_counter() - began:.0f} s)", flush=True)
    failed = "".join(f"; {n} calls FAILED at {scale}" for scale, n in failures.items())
    print(
        f"{title}: measured in {time.perf_counter() - began:.0f} s; load average "
        f"{os.getloadavg()[0]:.2f}{failed}",
        flush=True,
    )
    return results


def load(store: Store, scale: str, seed: int, where: str) -> None:
    """The generated registry if the store is empty, and the benchmark's API keys."""
    graph = Graph(store.read)
    if graph.total("Service") == 0:
        began = time.perf_counter()
        bundle = generate_bundle(scale, seed)
        generated = time.perf_counter()
        counts = import_bundle(store, bundle)
        del bundle
        print(
            f"{where}: generated {scale} (seed {seed}) in {generated - began:.1f} s, loaded in "
            f"{time.perf_counter() - generated:.1f} s: "
            + ", ".join(f"{counts[k]:,} {k}" for k in ("City", "Vendor", "Service", "Need", "Pilot")),
            flush=True,
        )
    else:
        print(f"{where}: {graph.total('Service'):,} services already there; not loading", flush=True)
    have = [r for r in store.read("apikey.all") if r["k"].get("createdBy") == BENCH_ACTOR.id]
    if len(have) < API_KEYS:
        from rolemap.registry import Registry

        registry = Registry(store)
        for i in range(len(have), API_KEYS):
            registry.create_api_key(BENCH_ACTOR, {"role": "ADMIN", "name": f"statements benchmark {i}"})


def settings(**given) -> Settings:
    """The server's settings (ROLEMAP_* as `rolemap serve` reads them), with `given` instead."""
    return replace(Settings.from_env(), **given)


def open_ladybug(stack: ExitStack, scale: str, args, folder: Path) -> Store:
    """The embedded store as the server opens it (`open_store`: its read pool and buffer pool from
    ROLEMAP_READ_POOL and ROLEMAP_DB_BUFFER_MB, or --db-buffer-mb), schema applied."""
    chosen = settings(store="ladybug", db_path=folder / f"ladybug-{scale}-seed{args.seed}.lbug")
    if args.db_buffer_mb:
        chosen = replace(chosen, db_buffer_mb=args.db_buffer_mb)
    store = open_store(chosen)
    stack.callback(store.close)
    print(
        f"ladybug {scale}: {chosen.db_path} (buffer pool "
        f"{f'{chosen.db_buffer_mb:,} MB' if chosen.db_buffer_mb else 'as LadybugDB sets it'}, "
        f"{chosen.read_pool} read connections)",
        flush=True,
    )
    return store


def open_neo4j(stack: ExitStack, sup: Supervisor, scale: str, args, folder: Path) -> Store:
    """A local Neo4j for this scale (S: a 1g heap and a 512 MB page cache are plenty; M: NEO4J_HEAP,
    default 4g, and --page-cache-mb), stopped when `stack` closes; the store as the server opens it."""
    data = folder / f"neo4j-{scale}-seed{args.seed}"
    heap = "1g" if scale == "S" else os.environ.get("NEO4J_HEAP") or DEFAULT_HEAP
    cache = min(512, args.page_cache_mb) if scale == "S" else args.page_cache_mb
    began = time.perf_counter()
    uri, server = start_neo4j(sup, data, heap=heap, page_cache_mb=cache)
    stack.callback(sup.stop, server)
    print(
        f"neo4j {scale}: started on {uri} in {time.perf_counter() - began:.1f} s "
        f"(heap {heap}, page cache {cache} MB, data {data})",
        flush=True,
    )
    user, password = neo4j_auth()
    store = open_store(
        settings(
            store="neo4j", neo4j_uri=uri, neo4j_user=user, neo4j_password=password, neo4j_database="neo4j"
        )
    )
    stack.callback(store.close)
    return store


def run_store(kind: str, sup: Supervisor, scales: list[str], args, names: list[str], folder: Path):
    """Open (and load) the store at every scale, plan the calls from each one's data, and measure
    them interleaved. (cases by scale, results by scale, what was left out)."""
    with ExitStack() as stack:
        stores: dict[str, Store] = {}
        cases: dict[str, list[Case]] = {}
        left_out: dict[str, list[str]] = {}
        for scale in scales:
            if kind == "ladybug":
                stores[scale] = open_ladybug(stack, scale, args, folder)
            else:
                stores[scale] = open_neo4j(stack, sup, scale, args, folder)
            load(stores[scale], scale, args.seed, f"{kind} {scale}")
            cases[scale], left_out = plan(names, Data(stores[scale]), args.combos, args.search)
        return cases, measure(stores, cases, args, kind), left_out


# The table ------------------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def print_table(
    store: str, cases: list[Case], results: dict[str, dict[str, Result]], scales: list[str], args
):
    labels = list(dict.fromkeys(c.label for c in cases))
    section = {c.label: c.section for c in cases}
    width = max(len("statement"), *(len(label) for label in labels))
    head = (
        f"{'statement':<{width}}  {'S p50 ms':>9} {'M p50 ms':>9} {'M÷S':>6}  {'rows S/M':<17}"
        f" {'S p95 ms':>9} {'M p95 ms':>9}"
    )
    print(
        f"\n{store}: p50 and p95 of store.read over {args.runs} runs after {args.warmup} warm-up calls; "
        "rows returned at S/M"
    )
    print(head)
    print("-" * len(head))
    s, m = results.get("S", {}), results.get("M", {})
    for name in SECTIONS:
        in_section = [label for label in labels if section[label] == name]
        if not in_section:
            continue
        print(f"# {name}")
        for label in in_section:
            a, b = s.get(label, Result()), m.get(label, Result())
            errors = [(sc, r.error) for sc, r in (("S", a), ("M", b)) if r.error]
            ratio = f"{b.p50 / a.p50:.2f}" if a.p50 and b.p50 is not None else "-"
            rows = "/".join(r.rows or "-" for r in (a, b))
            line = f"{label:<{width}}  {ms(a.p50):>9} {ms(b.p50):>9} {ratio:>6}  {rows:<17} {ms(a.p95):>9} {ms(b.p95):>9}"
            if errors:
                line += f"  FAILED at {' and '.join(sc for sc, _ in errors)}: {errors[0][1][:70]}"
            print(line)
    short = [
        f"{label} at {scale} ({r.runs})"
        for label in labels
        for scale, r in (("S", s.get(label)), ("M", m.get(label)))
        if r and not r.error and r.runs < args.runs
    ]
    if short:
        print(f"\n{store}: fewer runs (--budget {args.budget:g} s spent): " + "; ".join(short))
    if set(scales) != {"S", "M"}:
        return
    slow = []
    for label in labels:
        a, b = s.get(label), m.get(label)
        flat_kind = section[label] in ("id lookups", "hops")
        if flat_kind and a and b and a.p50 and b.p50 is not None and b.p50 > NOT_FLAT * a.p50:
            slow.append(f"{label} ({b.p50 / a.p50:.1f}×, rows {a.rows}→{b.rows})")
    ping = [ms(r.get("health.ping", Result()).p50) for r in (s, m)]
    floor = f"health.ping, the floor: {ping[0]} ms at S, {ping[1]} ms at M"
    if slow:
        print(f"\n{store}: not flat (M p50 > {NOT_FLAT:g}× S p50): {len(slow)}: " + "; ".join(slow))
    else:
        print(f"\n{store}: all id lookups and hops are flat (M p50 ≤ {NOT_FLAT:g}× S p50; {floor})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="both", choices=["ladybug", "neo4j", "both"])
    parser.add_argument("--scales", default="S,M", help="comma-separated, of S and M (default S,M)")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per statement (default 20)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=5,
        help="untimed calls first (default 5: LadybugDB plans a statement once per pooled connection, 4)",
    )
    parser.add_argument(
        "--prepass", type=int, default=1, help="untimed passes over every call before timing (default 1)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=10,
        help="seconds per call and scale after which warm-up and runs stop (at least 3 runs; default 10)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the stores in DIR and reuse them next time")
    parser.add_argument(
        "--combos", default="1", help="most filters together in a measured list or facet (default 1; all)"
    )
    parser.add_argument("--search", default="chatbot", help="the search filter's text (default chatbot)")
    parser.add_argument(
        "--page-cache-mb", type=int, default=DEFAULT_PAGE_CACHE_MB, help="for the Neo4j started here"
    )
    parser.add_argument(
        "--db-buffer-mb",
        type=int,
        help="the embedded store's buffer pool (default: the server's, ROLEMAP_DB_BUFFER_MB or its default)",
    )
    args = parser.parse_args()
    scales = [s.strip().upper() for s in args.scales.split(",") if s.strip()]
    if not scales or any(s not in ("S", "M") for s in scales):
        parser.error("--scales takes S, M or S,M")
    args.combos = 99 if args.combos == "all" else int(args.combos)
    if args.runs < 1 or args.warmup < 0 or args.prepass < 0 or args.budget <= 0:
        parser.error("--runs must be at least 1, --warmup and --prepass at least 0, --budget above 0")
    stores = ["ladybug", "neo4j"] if args.store == "both" else [args.store]

    names, skipped = classify()
    print(f"{len(STATEMENTS)} registered statements; {len(names)} per-request reads to measure")
    for reason, which in skipped.items():
        print(f"skipped, {reason}: {len(which)}: {summarize(which)}")

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rolemap-statements-"))
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    tables: dict[str, tuple[list[Case], dict[str, dict[str, Result]]]] = {}
    left_out: dict[str, set[str]] = defaultdict(set)
    try:
        with Supervisor() as sup:
            for store in stores:
                cases, results, out = run_store(store, sup, scales, args, names, folder)
                tables[store] = ([c for scale in scales for c in cases[scale]], results)
                for reason, which in out.items():
                    left_out[reason].update(which)
    except (Failed, StoreError) as exc:
        print(f"statements: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("statements: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    for reason, which in left_out.items():
        print(f"\nnot measured, {reason}: {len(which)}: {summarize(sorted(which))}")
    for store, (cases, results) in tables.items():
        print_table(store, cases, results, scales, args)
    if len(tables) == 2:
        (_, a), (_, b) = tables["ladybug"], tables["neo4j"]
        differ = [
            f"{label} at {scale} (rows {a[scale][label].rows} vs {b[scale][label].rows})"
            for scale in scales
            for label in a[scale]
            if label in b[scale]
            and a[scale][label].digest
            and b[scale][label].digest
            and a[scale][label].digest != b[scale][label].digest
        ]
        print(
            f"\nthe stores answered differently (ladybug vs neo4j): {len(differ)}: " + "; ".join(differ)
            if differ
            else "\nboth stores returned the same rows for every call"
        )
    print(
        f"\nrows: rows returned (hops: n+k∅ = n neighbours and k rows without one; counts: =the count); "
        f"M÷S: M p50 ÷ S p50. Whole run {time.perf_counter() - began:.0f} s."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
