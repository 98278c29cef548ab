"""rolemap on Neo4j side by side with the Neo4j GraphQL Library, over HTTP on loopback.

    python benchmarks/neo4j_peer.py                                       # local Neo4j, load M, measure
    python benchmarks/neo4j_peer.py --neo4j-uri bolt://127.0.0.1:7687     # a running Neo4j (loaded if empty)
    python benchmarks/neo4j_peer.py --neo4j-data /tmp/m-neo4j             # keep the loaded database for reruns

Both servers answer from the same Neo4j database: `rolemap serve` (ROLEMAP_STORE=neo4j, this
checkout's rolemap, run with this Python) and the peer in tools/neo4j-graphql (@neo4j/graphql on
Apollo Server, Node.js), each on its own free port on 127.0.0.1. Without `--neo4j-uri` a local Neo4j 5
is started with tools/neo4j/run (heap from NEO4J_HEAP, default 4g: `rolemap generate --scale M`
writes the whole registry in one transaction, which fails on the 1g default) on a free loopback
port and a temporary data folder. An empty database is loaded with `rolemap generate --scale M
--seed 1` first.

Every query is written twice, once for rolemap's schema and once for the peer's generated one,
with ids picked from the data. Before anything is timed, both servers answer each query for each id
and their normalised leaf values (every scalar in the response, nulls left out, sorted) must be
equal; a difference stops the run. Then wrk sends the same bodies (rotating over the ids) at 1 and
16 connections (one wrk thread, 30 s request timeout), interleaved rolemap, peer, rolemap, peer
over 3 rounds after a short warm-up; responses that are not 200 or carry GraphQL `errors` fail the
run.

Prints per query and connection count: req/s (mean of the rounds), p50 and p99 latency (median of
the rounds) for each side, and rolemap req/s ÷ peer req/s. All servers, wrk and Neo4j share this
machine's cores, so absolute numbers depend on the machine; the ratio is the point.

Needs: Node.js 20+ with npm (runs `npm ci` in tools/neo4j-graphql when its node_modules is
missing), Java 17 and Maven for tools/neo4j/run, and wrk — when wrk is missing and this runs as
root, the script installs it itself with `apt-get install -y wrk` (Debian's package); otherwise
it stops and says so. Every wait has a timeout, and every process it started is stopped at the end,
also on failure, Ctrl-C or SIGTERM. At M the whole run takes about 10 to 15 minutes (a third of it
loading, when the database is empty).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    DEFAULT_HEAP,
    DEFAULT_PAGE_CACHE_MB,
    REPO,
    Failed,
    Pair,
    Supervisor,
    check_same,
    ensure_debian_package,
    http_ready,
    interleave,
    neo4j_auth,
    neo4j_node_count,
    npm_ci,
    print_table,
    start_neo4j,
    two_free_ports,
    wait_until,
)

PEER_DIR = REPO / "tools" / "neo4j-graphql"
HOST = "127.0.0.1"


def queries(services: list[str], cities: list[str], capabilities: list[str]) -> list[Pair]:
    return [
        Pair("{ __typename }", "{ __typename }", "{ __typename }", [{}]),
        Pair(
            "service by id + vendor",
            "query($id: ID!) { service(id: $id) { id name vendor { name } } }",
            "query($id: ID!) { services(where: { id: { eq: $id } }) { id name vendor { name } } }",
            [{"id": i} for i in services],
        ),
        Pair(
            "city>20 pilots>5 services",
            """query($id: ID!) { city(id: $id) { id name pilots(first: 20) { edges { node { id title
              services(first: 5) { edges { node { id name vendor { name } } } } } } } } }""",
            """query($id: ID!) { cities(where: { id: { eq: $id } }) { id name
              pilots(limit: 20, sort: [{ id: ASC }]) { id title
                services(limit: 5, sort: [{ id: ASC }]) { id name vendor { name } } } } }""",
            [{"id": i} for i in cities],
        ),
        Pair(
            "20 services of capability",
            """query($c: ID!) { services(capabilityId: $c, first: 20) { edges { node { id name
              vendor { name } } } } }""",
            """query($c: ID!) { services(where: { capabilities: { some: { id: { eq: $c } } } },
              limit: 20, sort: [{ id: ASC }]) { id name vendor { name } } }""",
            [{"c": i} for i in capabilities],
        ),
        # The same 20 services, reached from the capability instead (the peer's nested form).
        Pair(
            "capability>20 services",
            """query($c: ID!) { capability(id: $c) { id name services(first: 20) { edges { node { id name
              vendor { name } } } } } }""",
            """query($c: ID!) { capabilities(where: { id: { eq: $c } }) { id name
              services(limit: 20, sort: [{ id: ASC }]) { id name vendor { name } } } }""",
            [{"c": i} for i in capabilities],
        ),
    ]


# Picking ids -----------------------------------------------------------------------------------
SPREAD = "WITH collect(x) AS ids RETURN [i IN range(0, $k - 1) | ids[i * size(ids) / $k]] AS picked"
PICKS = {
    "services": "MATCH (:Vendor)-[:OFFERS]->(s:Service) WITH s.id AS x ORDER BY x " + SPREAD,
    "cities": "MATCH (c:City)-[:RUNS]->(:Pilot) WITH c, count(*) AS n WHERE n >= 20 "
    "WITH c.id AS x ORDER BY x " + SPREAD,
    "capabilities": "MATCH (c:Capability)<-[:HAS_CAPABILITY]-(:Service) WITH c, count(*) AS n WHERE n >= 20 "
    "WITH c.id AS x ORDER BY x " + SPREAD,
}


def pick_ids(uri: str, k: int) -> dict[str, list[str]]:
    """`k` ids of each kind, spread evenly over the id order: services with a vendor, cities
    running at least 20 pilots, capabilities of at least 20 services."""
    import neo4j

    out = {}
    with neo4j.GraphDatabase.driver(uri, auth=neo4j_auth(), connection_timeout=30) as driver:
        for kind, cypher in PICKS.items():
            records, _, _ = driver.execute_query(cypher, {"k": k}, database_="neo4j")
            picked = [i for i in dict.fromkeys(records[0]["picked"]) if i is not None]
            if not picked:
                raise Failed(f"no {kind} to query in the database: is the registry loaded?")
            out[kind] = picked
    return out


# Setup -------------------------------------------------------------------------------------------
def ensure_peer() -> None:
    npm_ci(PEER_DIR, PEER_DIR / "node_modules" / "@neo4j" / "graphql")


def rolemap_env(uri: str) -> dict[str, str]:
    user, password = neo4j_auth()
    return {
        "ROLEMAP_STORE": "neo4j",
        "ROLEMAP_NEO4J_URI": uri,
        "ROLEMAP_NEO4J_USER": user,
        "ROLEMAP_NEO4J_PASSWORD": password,
        "ROLEMAP_NEO4J_DATABASE": "neo4j",
        "PYTHONPATH": str(REPO),  # this checkout's rolemap, whatever the venv's entry point says
    }


def load_if_empty(uri: str, scale: str, seed: int, timeout: float) -> None:
    count = neo4j_node_count(uri)
    if count:
        print(f"neo4j: {count:,} nodes already there; not loading", flush=True)
        return
    print(f"neo4j: empty; rolemap generate --scale {scale} --seed {seed} …", flush=True)
    started = time.perf_counter()
    argv = [sys.executable, "-m", "rolemap.cli", "generate", "--scale", scale, "--seed", str(seed)]
    try:
        done = subprocess.run(
            argv,
            cwd=REPO,
            env={**os.environ, **rolemap_env(uri)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise Failed(f"rolemap generate did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        raise Failed(f"rolemap generate failed ({done.returncode}):\n{done.stderr[-2000:]}")
    print(f"neo4j: {done.stdout.strip()} (wall {time.perf_counter() - started:.0f} s)", flush=True)


# Main --------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neo4j-uri", help="a running Neo4j to use (loaded if empty); default: start one")
    parser.add_argument("--neo4j-data", help="data folder for the Neo4j started here (kept; loaded if empty)")
    parser.add_argument(
        "--page-cache-mb", type=int, default=DEFAULT_PAGE_CACHE_MB, help="for the Neo4j started here"
    )
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", default="1,16", help="comma-separated (default 1,16)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured run (default 8)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of warm-up per side and load (default 3)"
    )
    parser.add_argument("--ids", type=int, default=5, help="ids per query, rotated (default 5)")
    parser.add_argument("--load-timeout", type=float, default=1800)
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]

    began = time.perf_counter()
    try:
        ensure_debian_package("wrk", "wrk")
        ensure_peer()
        with Supervisor() as sup:
            print(f"server logs (kept if the run fails): {sup.log_dir}", flush=True)
            measure(sup, args, connections)
    except Failed as exc:
        print(f"neo4j_peer: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("neo4j_peer: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    return 0


def measure(sup: Supervisor, args, connections: list[int]) -> None:
    folder = None
    uri = args.neo4j_uri
    try:
        if not uri:
            if args.neo4j_data:
                data = Path(args.neo4j_data)
            else:
                folder = Path(tempfile.mkdtemp(prefix="rolemap-peer-neo4j-"))
                data = folder / "data"
            started = time.perf_counter()
            uri, _ = start_neo4j(sup, data, page_cache_mb=args.page_cache_mb)
            print(
                f"neo4j: started on {uri} in {time.perf_counter() - started:.1f} s (heap "
                f"{os.environ.get('NEO4J_HEAP') or DEFAULT_HEAP}, page cache {args.page_cache_mb} MB, data {data})",
                flush=True,
            )
        load_if_empty(uri, args.scale, args.seed, args.load_timeout)
        ids = pick_ids(uri, args.ids)
        pairs = queries(ids["services"], ids["cities"], ids["capabilities"])
        for kind, picked in ids.items():
            print(f"{kind}: {', '.join(picked)}", flush=True)

        rolemap_port, peer_port = two_free_ports()
        rolemap_url = f"http://{HOST}:{rolemap_port}/graphql"
        peer_url = f"http://{HOST}:{peer_port}/graphql"
        rolemap = sup.start(
            "rolemap",
            [
                sys.executable,
                "-m",
                "rolemap.cli",
                "serve",
                "--no-seed",
                "--host",
                HOST,
                "--port",
                str(rolemap_port),
            ],
            env=rolemap_env(uri),
            cwd=REPO,
        )
        user, password = neo4j_auth()
        peer = sup.start(
            "peer",
            ["node", "server.mjs", "--host", HOST, "--port", str(peer_port), "--neo4j-uri", uri]
            + ["--neo4j-user", user, "--neo4j-password", password],
            cwd=PEER_DIR,
        )
        wait_until(f"rolemap serve on {rolemap_url}", lambda: http_ready(rolemap_url), rolemap, 120)
        wait_until(f"the peer on {peer_url}", lambda: http_ready(peer_url), peer, 120)
        print(f"rolemap: {rolemap_url}  peer (@neo4j/graphql): {peer_url}", flush=True)

        checked = check_same(pairs, rolemap_url, peer_url)
        print(f"checked: both servers gave the same leaf values for all {checked} query/id pairs", flush=True)

        results = interleave(
            pairs, rolemap_url, peer_url, connections, args.rounds, args.duration, args.warmup
        )
        print_table(pairs, connections, results)
        for child in (rolemap, peer):
            print(f"{child.name} peak memory (VmHWM): {child.peak_rss_mb() or 0:,.0f} MB")
    finally:
        sup.stop_all()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
