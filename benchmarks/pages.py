"""Benchmark the pages on a synthetic registry: each page rendered on the server, in-process
through the ASGI app (like benchmarks/analyses.py), rotating over cities, pilots and vendors.

    python benchmarks/pages.py --scale M --seed 1              # generate, load, measure
    python benchmarks/pages.py --db /tmp/m.lbug --keep         # keep the loaded store for reruns

Prints, per page: the first (cold) request, p50 and p95 of whole requests (routing, reads, the
template, the HTML), database statements per request and the page's size, with the target (p50 ≤
200 ms at M): ok or MISSED. Measuring starts once /readyz says the read model and today's corpora
are built; the time to that is printed apart. Figures, not assertions: the test suite never
asserts times.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rolemap.api.app import create_app  # noqa: E402
from rolemap.bundle import import_bundle  # noqa: E402
from rolemap.generate import generate_bundle  # noqa: E402
from rolemap.graph.access import Graph  # noqa: E402
from rolemap.graph.ladybug_store import LadybugStore  # noqa: E402

TARGET_MS = 200


def slug(node_id: str) -> str:
    return node_id.partition(":")[2]


def pages(cities, regions, pilots, vendors, services) -> dict[str, callable]:
    """Page → function of the run number giving its URL."""

    def pick(items):
        return lambda i: items[i % len(items)]

    city, region, pilot, vendor, service = map(pick, (cities, regions, pilots, vendors, services))
    return {
        "home /": lambda i: "/",
        "city": lambda i: f"/city/{slug(city(i))}",
        "role map": lambda i: f"/city/{slug(city(i))}/rolemap",
        "overlaps (city)": lambda i: f"/city/{slug(city(i))}/overlaps",
        "overlaps (region)": lambda i: f"/city/{slug(region(i))}/overlaps",
        "overlaps (pilots)": lambda i: f"/city/{slug(city(i))}/overlaps?kind=PILOT",
        "radar": lambda i: f"/city/{slug(city(i))}/radar",
        "pilot": lambda i: f"/pilot/{slug(pilot(i))}",
        "procurement": lambda i: "/procurement",
        "procurement (city)": lambda i: f"/procurement?city={slug(city(i))}",
        "vendor": lambda i: f"/vendor/{slug(vendor(i))}",
        "service": lambda i: f"/service/{slug(service(i))}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20, help="requests per page after the first")
    parser.add_argument("--db", help="embedded store to use (loaded if empty)")
    parser.add_argument("--keep", action="store_true", help="keep the store afterwards")
    args = parser.parse_args()

    folder = Path(args.db).parent if args.db else Path(tempfile.mkdtemp(prefix="rolemap-pages-"))
    store = LadybugStore(Path(args.db) if args.db else folder / "bench.lbug")
    try:
        measure(store, args)
    finally:
        store.close()
        if not args.keep and not args.db:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def measure(store, args) -> None:
    store.apply_schema()
    graph = Graph(store.read)
    if graph.total("Service") == 0:
        started = time.perf_counter()
        import_bundle(store, generate_bundle(args.scale, args.seed))
        print(
            f"generated and loaded {args.scale} (seed {args.seed}) in {time.perf_counter() - started:.1f} s"
        )

    def ids(statement: str, params: dict, limit: int = 40) -> list[str]:
        return [r["n"]["id"] for r in store.read(statement, {**params, "after": "", "limit": limit})]

    cities = ids("list.page.City[kind]", {"kind": "MUNICIPALITY"})
    regions = ids("list.page.City[kind]", {"kind": "REGION"}, 10)
    pilots = ids("list.page.Pilot[]", {})
    vendors = ids("list.page.Vendor[]", {})
    services = ids("list.page.Service[]", {})
    print(
        f"registry: {graph.total('City'):,} cities, {graph.total('Vendor'):,} vendors, "
        f"{graph.total('Service'):,} services, {graph.total('Pilot'):,} pilots",
        flush=True,
    )

    with TestClient(create_app(store)) as client:

        def get(url: str) -> tuple[float, int, int]:
            before = store.statement_count
            started = time.perf_counter()
            response = client.get(url, headers={"accept-language": "fi"})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}\n{response.text[:2000]}")
            return elapsed, store.statement_count - before, len(response.content)

        started = time.perf_counter()  # the app builds its read model and today's corpora at start
        while client.get("/readyz").status_code == 503:
            time.sleep(0.2)
        print(f"ready (read model and corpora built) {time.perf_counter() - started:,.1f} s after start\n")
        print(
            f"{'page':<20} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'statements':>10} {'KB':>6}  target"
        )
        missed = 0
        for name, make in pages(cities, regions, pilots, vendors, services).items():
            cold, _, _ = get(make(args.repeat))  # what this page's analysis builds once per read model
            times, statements, sizes = [], set(), []
            for i in range(args.repeat):
                elapsed, count, size = get(make(i))
                times.append(elapsed)
                statements.add(count)
                sizes.append(size)
            times.sort()
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            ok = p50 <= TARGET_MS
            missed += not ok
            counts = (
                "/".join(str(c) for c in sorted(statements))
                if len(statements) <= 3
                else (f"{min(statements)}–{max(statements)}")
            )
            print(
                f"{name:<20} {cold:>9,.0f} {p50:>8,.1f} {p95:>8,.1f} {counts:>10} {statistics.median(sizes) / 1024:>6,.0f}"
                f"  p50 ≤ {TARGET_MS} ms: {'ok' if ok else 'MISSED'}",
                flush=True,
            )
        print(f"\n{'all pages met the target' if not missed else f'{missed} pages MISSED the target'}")


if __name__ == "__main__":
    raise SystemExit(main())
