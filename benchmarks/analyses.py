"""Benchmark the analyses on a synthetic registry in the embedded store or in Neo4j.

    python benchmarks/analyses.py --scale M --seed 1            # generate, load, measure
    python benchmarks/analyses.py --db /tmp/m.lbug --keep       # keep the loaded store for reruns
    python benchmarks/analyses.py --store neo4j                 # the same on a local Neo4j it starts
    python benchmarks/analyses.py --store neo4j --neo4j-uri bolt://127.0.0.1:7687   # on a running one

With `--store neo4j` and no `--neo4j-uri`, a local Neo4j 5 (tools/neo4j/run) is started on a free
loopback port with a temporary data folder (`--neo4j-data` to keep one for reruns), heap from
NEO4J_HEAP (default 4g: loading M in one transaction needs more than the 1g default), and stopped at
the end, also on Ctrl-C. An empty database is loaded with the registry first. The statement counts
are the same on both stores; "peak MB" is this process only (the Neo4j server's peak is printed
after the table when this script started it).

Prints, per query: the first (cold) run, then p50 and p95 latency of whole GraphQL requests (in-process, through the ASGI
app), database statements per request, and the process's peak memory after that query's runs. The
first analysis after a write builds the registry index; its time is reported separately.
Figures, not assertions: the test suite pins statement counts, never times.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import DEFAULT_HEAP, DEFAULT_PAGE_CACHE_MB, Supervisor, neo4j_auth, start_neo4j  # noqa: E402

from rolemap.api.app import create_app  # noqa: E402
from rolemap.bundle import import_bundle  # noqa: E402
from rolemap.generate import generate_bundle  # noqa: E402
from rolemap.graph.access import Graph  # noqa: E402
from rolemap.graph.ladybug_store import LadybugStore  # noqa: E402

TARGETS_MS = {
    "overlaps(city, SERVICE)": 100,
    "overlaps(all, SERVICE)": 10_000,
    "similarPilots": 50,
    "coverageGaps(city)": 100,
    "roleMap(city)": 100,
}
NESTED = """{ cities(first: 20) { edges { node { name pilots(first: 5) { edges { node { title status
  services(first: 5) { totalCount edges { node { name vendor { name } } } } } } } } } } }"""


def queries(cities: list[str], regions: list[str], needs: list[str]) -> dict[str, callable]:
    """Name → function of the run number giving (query, variables); rotating over cities."""
    overlap = "query($s: OverlapScope!, $k: OverlapKind!) { overlaps(scope: $s, kind: $k) { score left { id } right { id } reasons { kind weight } } }"
    return {
        "overlaps(city, SERVICE)": lambda i: (
            overlap,
            {"s": {"cityId": cities[i % len(cities)]}, "k": "SERVICE"},
        ),
        "overlaps(region, PILOT)": lambda i: (
            overlap,
            {"s": {"regionId": regions[i % len(regions)]}, "k": "PILOT"},
        ),
        "overlaps(all, SERVICE)": lambda i: (overlap, {"s": {"all": True}, "k": "SERVICE"}),
        "similarPilots": lambda i: (
            "query($d: PilotDraftInput!) { similarPilots(draft: $d) { score pilot { id decision { outcome } } } }",
            {
                "d": {
                    "cityId": cities[i % len(cities)],
                    "needIds": [needs[i % len(needs)]],
                    "title": "chatbot for appointments",
                }
            },
        ),
        "coverageGaps(city)": lambda i: (
            "query($c: ID!) { coverageGaps(cityId: $c) { need { id } missingCapabilities { id } candidates { id } } }",
            {"c": cities[i % len(cities)]},
        ),
        "roleMap(city)": lambda i: (
            "query($c: ID!) { roleMap(cityId: $c) { rows { capability { id } stance cells { vendor { id } role outcome } } } }",
            {"c": cities[i % len(cities)]},
        ),
        "nested 20x5 connections": lambda i: (NESTED, {}),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20, help="runs per query (the full scan runs 3 times)")
    parser.add_argument("--store", default="ladybug", choices=["ladybug", "neo4j"], help="default ladybug")
    parser.add_argument("--db", help="embedded store to use (loaded if empty)")
    parser.add_argument("--keep", action="store_true", help="keep the store afterwards")
    parser.add_argument("--neo4j-uri", help="a running Neo4j to use (loaded if empty); default: start one")
    parser.add_argument("--neo4j-data", help="data folder for the Neo4j started here (kept; loaded if empty)")
    parser.add_argument(
        "--page-cache-mb", type=int, default=DEFAULT_PAGE_CACHE_MB, help="for the Neo4j started here"
    )
    args = parser.parse_args()

    if args.store == "ladybug":
        folder = Path(args.db).parent if args.db else Path(tempfile.mkdtemp(prefix="rolemap-bench-"))
        db = Path(args.db) if args.db else folder / "bench.lbug"
        store = LadybugStore(db)
        try:
            measure(store, args)
        finally:
            store.close()
        if not args.keep and not args.db:
            shutil.rmtree(folder, ignore_errors=True)
        return 0

    from rolemap.graph.neo4j_store import Neo4jStore

    folder = None
    try:
        with Supervisor() as sup:
            server = None
            uri = args.neo4j_uri
            if not uri:
                if args.neo4j_data:
                    data = Path(args.neo4j_data)
                else:
                    folder = Path(tempfile.mkdtemp(prefix="rolemap-bench-neo4j-"))
                    data = folder / "data"
                started = time.perf_counter()
                uri, server = start_neo4j(sup, data, page_cache_mb=args.page_cache_mb)
                print(
                    f"neo4j: started on {uri} in {time.perf_counter() - started:.1f} s "
                    f"(heap {os.environ.get('NEO4J_HEAP') or DEFAULT_HEAP}, page cache {args.page_cache_mb} MB, "
                    f"data {data})",
                    flush=True,
                )
            store = Neo4jStore(uri, *neo4j_auth(), "neo4j")
            try:
                measure(store, args)
            finally:
                store.close()
            if server is not None:
                print(f"\nneo4j server peak memory (VmHWM): {server.peak_rss_mb() or 0:,.0f} MB")
    finally:  # the temporary database goes even when the run fails (the server is stopped by then)
        if folder is not None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def measure(store, args) -> None:
    """Load the registry if the store is empty, then print the table."""
    store.apply_schema()
    graph = Graph(store.read)
    if graph.total("Service") == 0:
        started = time.perf_counter()
        bundle = generate_bundle(args.scale, args.seed)
        generated = time.perf_counter()
        counts = import_bundle(store, bundle)
        loaded = time.perf_counter()
        del bundle
        print(
            f"generated {args.scale} (seed {args.seed}) in {generated - started:.1f} s, "
            f"loaded in {loaded - generated:.1f} s: "
            + ", ".join(
                f"{counts[k]:,} {k}" for k in ("City", "Vendor", "Service", "Need", "Pilot", "Capability")
            )
        )
    cities = [
        r["n"]["id"]
        for r in store.read("list.page.City[kind]", {"kind": "MUNICIPALITY", "after": "", "limit": 40})
    ]
    regions = [
        r["n"]["id"] for r in store.read("list.page.City[kind]", {"kind": "REGION", "after": "", "limit": 10})
    ]
    needs = [r["n"]["id"] for r in store.read("list.page.Need[]", {"after": "", "limit": 40})]

    with TestClient(create_app(store)) as client:

        def run(query: str, variables: dict) -> tuple[float, int]:
            before = store.statement_count
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": query, "variables": variables})
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            if "errors" in body:
                raise SystemExit(f"query failed: {body['errors'][0]['message']}")
            return elapsed, store.statement_count - before

        build_ms, build_statements = run(*queries(cities, regions, needs)["coverageGaps(city)"](0))
        print(
            f"index build (first analysis after a write): {build_ms:,.0f} ms, {build_statements} statements, "
            f"peak memory {peak_rss_mb():,.0f} MB\n",
            flush=True,
        )
        print(
            f"{'query':<26} {'first ms':>9} {'p50 ms':>9} {'p95 ms':>9} {'statements':>10} {'peak MB':>8}  target"
        )
        for name, make in queries(cities, regions, needs).items():
            repeat = 3 if name.startswith("overlaps(all") else args.repeat
            cold, _ = run(*make(repeat))  # builds what this analysis needs once per index (corpus, matrices)
            times, statements = [], set()
            for i in range(repeat):
                elapsed, count = run(*make(i))
                times.append(elapsed)
                statements.add(count)
            times.sort()
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            target = TARGETS_MS.get(name)
            verdict = "" if target is None else f"p50 ≤ {target:,} ms: {'ok' if p50 <= target else 'MISSED'}"
            counts = "/".join(str(c) for c in sorted(statements))
            print(
                f"{name:<26} {cold:>9,.0f} {p50:>9,.1f} {p95:>9,.1f} {counts:>10} {peak_rss_mb():>8,.0f}  {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    raise SystemExit(main())
