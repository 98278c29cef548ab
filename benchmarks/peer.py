"""rolemap side by side with PostGraphile on the same registry, over HTTP on loopback.

    python benchmarks/peer.py                          # generate M, load PostgreSQL, measure
    python benchmarks/peer.py --keep /tmp/rolemap-m    # keep the generated store and bundle for reruns

The data: `rolemap generate --scale M --seed 1` into an embedded store (ROLEMAP_DB=DIR/m.lbug),
exported with `rolemap export DIR/m.json` (both kept in `--keep DIR` and reused while
rolemap/generate.py is unchanged; without it, a temporary folder). `rolemap serve --no-seed`
serves that store (servers.start_rolemap; measured only once /readyz says the analysis read model
it builds at start-up is built), with ROLEMAP_ACCESS_LOG=false: PostGraphile writes no line per
request either. PostgreSQL gets the same bundle:

- one table per node label with the same properties as columns (snake_case; STRING text, STRING[]
  text[], INT64 bigint, DOUBLE double precision, BOOLEAN boolean, DATE date, TIMESTAMP timestamptz),
  `id` the primary key, rolemap's unique properties unique;
- a relationship rolemap reads as to-one (Service.vendor, Service.operator, Pilot.city, Need.city,
  Goal.city, Decision.pilot, Decision.supersedes) is a foreign-key column on that table; every
  other relationship (and end pair) is a join table with a foreign key to each end, its
  properties as columns, and the primary key (from, to) (STANCE, whose pairs repeat over time, an
  identity key instead);
- an index on every foreign key, which also carries the id the connections order by: (key, id)
  on the tables, (to, from) on the join tables, whose primary key covers (from, to); after the
  load, the catalogue is asked for any foreign key no index leads with, and one stops the run;
- loaded with COPY through psql, then VACUUM ANALYZE.

PostgreSQL is Debian's (`postgresql`, 15 on Debian 12; installed with `apt-get install -y
postgresql` when missing and this runs as root, otherwise the script stops and says so), started
here: `initdb` (C locale, so text sorts by code point as rolemap's ids do; trust auth) into a
temporary folder, then the postmaster itself on a free port on 127.0.0.1 with its unix socket in
that folder (as the `postgres` user when this runs as root, which initdb refuses), with fsync off
(nothing here needs durability), 512 MB shared buffers (the whole database) and otherwise
defaults. It runs in the foreground under servers.Supervisor rather than through `pg_ctl start`,
which would detach it from the process group the supervisor stops on exit.

PostGraphile 5.1.5, pinned with its dependencies in tools/postgraphile (`npm ci` there when
node_modules is missing), serves the database with its recommended amber preset and no other
plugin (server.mjs, NODE_ENV=production, a pool of 10 connections over the unix socket). The
queries use its default inflection: `serviceByRowId` (amber names the `id` column `rowId`),
`vendorByVendorId`, backward relations such as `pilotsByCityId`, the join tables as connections
with `orderBy` and `condition`.

Every query is written twice, once for each schema, with ids picked from the data (spread over the
id order: services with a vendor, cities running at least 20 pilots, capabilities of at least 20
services). Before anything is timed, both servers answer each query for each id and their
normalised leaf values (every scalar in the response, nulls left out, sorted) must be equal; a
difference stops the run. Then wrk sends the same bodies (rotating over the ids) at 1 and 16
connections (one wrk thread), interleaved rolemap, PostGraphile, rolemap, PostGraphile over 3
rounds after a short warm-up; a response that is not 200 or carries GraphQL `errors` fails the run.
After every wrk run the script waits (at most 60 s) until rolemap, PostGraphile and PostgreSQL are
idle: wrk stops without waiting for the requests still in flight, and the servers go on computing
them, which would otherwise eat into the next run, usually the other server's.

Prints per query and connection count: req/s (mean of the rounds), p50 and p99 latency (median of
the rounds) for each side, and rolemap req/s ÷ PostGraphile req/s; then the peak resident memory
(VmHWM) of the rolemap and PostGraphile processes, and PostgreSQL's own (proportional set size of
all its processes, the most seen after a run). rolemap, PostGraphile, PostgreSQL and wrk share this
machine's cores, so absolute numbers depend on the machine; the ratio is the point.

Needs: Node.js 20+ with npm, PostgreSQL and wrk (each installed with apt-get when missing and this
runs as root). Everything binds to 127.0.0.1; every wait has a timeout, and every process it
started (PostgreSQL, PostGraphile, rolemap, wrk) is stopped at the end, also on failure, Ctrl-C or
SIGTERM; any failure ends with one line `peer: FAILED: …` and status 1 (the server logs are kept
then). At M the whole run should take about 10 to 15 minutes (about 7 of them wrk), plus a few
generating, exporting and loading the data when `--keep` holds none yet. For a quick check:

    python benchmarks/peer.py --scale S --duration 2 --warmup 1 --rounds 1   # about 1.5 minutes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    REPO,
    Child,
    Failed,
    Pair,
    Supervisor,
    check_same,
    ensure_debian_package,
    free_port,
    http_ready,
    interleave,
    log_says,
    npm_ci,
    print_table,
    start_rolemap,
    two_free_ports,
    wait_idle,
    wait_until,
)

sys.path.insert(0, str(REPO))  # this checkout's rolemap: the graph schema the tables follow

from rolemap.graph.schema import (  # noqa: E402
    BOOL,
    DATE,
    FLOAT,
    INT,
    NODES,
    RELS,
    STRING,
    STRINGS,
    TIMESTAMP,
)

PEER_DIR = REPO / "tools" / "postgraphile"
HOST = "127.0.0.1"
PEER = "PostGraphile"
DATABASE = "rolemap"
PG_USER = "postgres"
PG_MAJOR = "15"


# Queries -------------------------------------------------------------------------------------------
def queries(services: list[str], cities: list[str], capabilities: list[str]) -> list[Pair]:
    """rolemap's schema (schema/rolemap.graphql; its connections are ordered by id) and
    PostGraphile's (amber: the `id` column is `rowId`, `id` being its global node id)."""
    return [
        Pair("{ __typename }", "{ __typename }", "{ __typename }", [{}]),
        Pair(
            "service by id + vendor",
            "query($id: ID!) { service(id: $id) { id name vendor { name } } }",
            "query($id: String!) { serviceByRowId(rowId: $id) { rowId name vendorByVendorId { name } } }",
            [{"id": i} for i in services],
        ),
        Pair(
            "city>20 pilots>5 services",
            """query($id: ID!) { city(id: $id) { id name pilots(first: 20) { edges { node { id title
              services(first: 5) { edges { node { id name vendor { name } } } } } } } } }""",
            """query($id: String!) { cityByRowId(rowId: $id) { rowId name
              pilotsByCityId(first: 20, orderBy: ROW_ID_ASC) { nodes { rowId title
                trialsByPilotId(first: 5, orderBy: SERVICE_ID_ASC) { nodes {
                  serviceByServiceId { rowId name vendorByVendorId { name } } } } } } } }""",
            [{"id": i} for i in cities],
        ),
        Pair(
            "20 services of capability",
            """query($c: ID!) { services(capabilityId: $c, first: 20) { edges { node { id name
              vendor { name } } } } }""",
            """query($c: String!) { allHasCapabilities(condition: { capabilityId: $c }, first: 20,
              orderBy: SERVICE_ID_ASC) { nodes { serviceByServiceId { rowId name
                vendorByVendorId { name } } } } }""",
            [{"c": i} for i in capabilities],
        ),
    ]


def pick_ids(bundle: dict, k: int) -> dict[str, list[str]]:
    """`k` ids of each kind, spread evenly over the id order: services with a vendor, cities
    running at least 20 pilots, capabilities of at least 20 services."""
    rels = bundle["relationships"]
    pilots = Counter(r["src"] for r in rels["RUNS"])
    services = Counter(r["dst"] for r in rels["HAS_CAPABILITY"])
    kinds = {
        "services": sorted({r["dst"] for r in rels["OFFERS"]}),
        "cities": sorted(c for c, n in pilots.items() if n >= 20),
        "capabilities": sorted(c for c, n in services.items() if n >= 20),
    }
    out = {}
    for kind, ids in kinds.items():
        if not ids:
            raise Failed(f"no {kind} to query in the bundle")
        out[kind] = list(dict.fromkeys(ids[i * len(ids) // k] for i in range(k)))
    return out


# The data: generated once, kept -----------------------------------------------------------------
STAMPED = ("rolemap/generate.py",)
"""The code the generated data comes from: a change to it makes `--keep` generate anew. (A store
kept from before a schema change is upgraded by `rolemap serve` itself; the tables follow this
checkout's schema, and the leaf check catches any difference. Delete DIR to start afresh.)"""


def prepare_data(folder: Path, scale: str, seed: int, timeout: float) -> tuple[Path, Path]:
    """The embedded store and its exported bundle for `scale` and `seed` in `folder`, generated
    unless a previous run left them there for the same code."""
    base = scale.lower() if seed == 1 else f"{scale.lower()}-seed{seed}"
    store, bundle, stamp_file = folder / f"{base}.lbug", folder / f"{base}.json", folder / f"{base}.stamp"
    digest = hashlib.sha256(f"{scale} {seed}".encode())
    for name in STAMPED:
        digest.update((REPO / name).read_bytes())
    stamp = digest.hexdigest()
    if store.exists() and bundle.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        print(f"data: reusing {store} and {bundle}", flush=True)
        return store, bundle
    stamp_file.unlink(missing_ok=True)
    bundle.unlink(missing_ok=True)
    for old in folder.glob(f"{base}.lbug*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    env = {**os.environ, "ROLEMAP_DB": str(store), "PYTHONPATH": str(REPO)}
    for what, argv in (
        (f"generate --scale {scale} --seed {seed}", ["generate", "--scale", scale, "--seed", str(seed)]),
        (f"export {bundle.name}", ["export", str(bundle)]),
    ):
        print(f"data: rolemap {what} …", flush=True)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "rolemap.cli", *argv],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise Failed(f"rolemap {what} did not finish in {timeout:.0f} s") from None
        if done.returncode != 0:
            raise Failed(f"rolemap {what} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        last = (done.stdout.strip().splitlines() or [""])[-1]
        print(f"data: {last} (wall {time.perf_counter() - started:.0f} s)", flush=True)
    stamp_file.write_text(stamp)
    return store, bundle


# The PostgreSQL schema -------------------------------------------------------------------------------
def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


SQL_TYPES = {
    STRING: "text",
    STRINGS: "text[]",
    INT: "bigint",
    FLOAT: "double precision",
    BOOL: "boolean",
    DATE: "date",
    TIMESTAMP: "timestamptz",
}

TO_ONE = {
    # relationship: (the end whose table holds the key, its column); rolemap reads these as to-one
    "HAS_GOAL": ("dst", "city_id"),
    "HAS_NEED": ("dst", "city_id"),
    "OFFERS": ("dst", "vendor_id"),
    "OPERATES": ("dst", "operator_id"),
    "RUNS": ("dst", "city_id"),
    "DECIDED": ("dst", "pilot_id"),
    "SUPERSEDES": ("src", "supersedes_id"),
}


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    key: str | None = None
    """The bundle's key for it: a property, or "src"/"dst" on a join table."""
    references: str | None = None


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary: tuple[str, ...] = ("id",)
    unique: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    identity: str | None = None


def tables() -> tuple[dict[str, Table], dict[tuple[str, str, str], Table]]:
    """One table per node label, and one join table per relationship end pair that is not a
    foreign-key column (keyed by (type, src label, dst label))."""
    nodes: dict[str, Table] = {}
    for label, node in NODES.items():
        columns = [Column(snake(p.name), SQL_TYPES[p.type], p.name) for p in node.all_props]
        unique = tuple(snake(p.name) for p in node.all_props if p.unique and p.name != "id")
        nodes[label] = Table(snake(label), columns, unique=unique)
    for rel_type, (holder, column) in TO_ONE.items():
        rel = RELS[rel_type]
        if len(rel.ends) != 1 or rel.props:
            raise Failed(f"{rel_type} is no longer a single plain relationship: revise TO_ONE")
        src, dst = rel.ends[0]
        table, target = (nodes[dst], src) if holder == "dst" else (nodes[src], dst)
        table.columns.append(Column(column, "text", references=snake(target)))
        table.indexes += ((column, "id"),)
    joins: dict[tuple[str, str, str], Table] = {}
    for rel in RELS.values():
        if rel.type in TO_ONE:
            continue
        for src, dst in rel.ends:
            name = snake(rel.type) if len(rel.ends) == 1 else f"{snake(rel.type)}_{snake(dst)}"
            a = f"{snake(src)}_id"
            b = f"{snake(dst)}_id" if dst != src else f"{snake(rel.type)}_id"
            columns = [
                Column(a, "text", "src", snake(src)),
                Column(b, "text", "dst", snake(dst)),
                *(Column(snake(p.name), SQL_TYPES[p.type], p.name) for p in rel.props),
            ]
            if rel.history:  # the same two nodes joined once per change
                joins[(rel.type, src, dst)] = Table(
                    name, columns, primary=("edge_id",), indexes=((a, b), (b, a)), identity="edge_id"
                )
            else:
                joins[(rel.type, src, dst)] = Table(name, columns, primary=(a, b), indexes=((b, a),))
    return nodes, joins


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_sql(table: Table) -> str:
    cols = [f"{q(c.name)} {c.sql}" for c in table.columns]
    if table.identity:
        cols.insert(0, f"{q(table.identity)} bigint GENERATED ALWAYS AS IDENTITY")
    return f"CREATE TABLE {q(table.name)} ({', '.join(cols)});\n"


def constraints_sql(table: Table) -> str:
    t = q(table.name)
    out = [f"ALTER TABLE {t} ADD PRIMARY KEY ({', '.join(q(c) for c in table.primary)});"]
    out += [f"ALTER TABLE {t} ADD UNIQUE ({q(c)});" for c in table.unique]
    for c in table.columns:
        if c.references:
            out.append(f"ALTER TABLE {t} ADD FOREIGN KEY ({q(c.name)}) REFERENCES {q(c.references)} (id);")
    for cols in table.indexes:
        name = f"{table.name}_{'_'.join(cols)}_idx"
        out.append(f"CREATE INDEX {q(name)} ON {t} ({', '.join(q(c) for c in cols)});")
    return "\n".join(out) + "\n"


# COPY's text format -----------------------------------------------------------------------------------
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):  # text[]: an array literal with every element quoted
        value = "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value) + "}"
    return str(value).translate(_COPY_ESCAPES)


def copy_block(table: Table, rows: list[list]) -> str:
    cols = ", ".join(q(c.name) for c in table.columns)
    lines = ["\t".join(copy_value(v) for v in row) for row in rows]
    return f"COPY {q(table.name)} ({cols}) FROM stdin;\n" + "".join(line + "\n" for line in lines) + "\\.\n"


def load_script(bundle: dict) -> tuple[str, dict[str, int]]:
    """The SQL that creates and fills every table (psql input), and the rows per table."""
    nodes, joins = tables()
    rels = bundle["relationships"]
    labels = {r["id"]: label for label, records in bundle["nodes"].items() for r in records}
    keys: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)  # label → id → {column: target}
    for rel_type, (holder, column) in TO_ONE.items():
        for r in rels.get(rel_type, ()):
            node_id, target = (r["dst"], r["src"]) if holder == "dst" else (r["src"], r["dst"])
            mine = keys[labels[node_id]].setdefault(node_id, {})
            if column in mine:
                raise Failed(f"{node_id} has two {rel_type} links: it cannot be a foreign-key column")
            mine[column] = target
    parts = [
        "SET client_min_messages = warning;\n",
        *(create_sql(t) for t in nodes.values()),
        *(create_sql(t) for t in joins.values()),
    ]
    counts = {}
    for label, table in nodes.items():
        records = bundle["nodes"].get(label, [])
        if label == "Service":  # derived on import, not exported: owner|externalId (rolemap.bundle)
            for s in records:
                owner = keys[label].get(s["id"], {})
                owner_id = owner.get("vendor_id") or owner.get("operator_id")
                if owner_id and s.get("externalId"):
                    s["externalKey"] = f"{owner_id}|{s['externalId']}"
        rows = [
            [r.get(c.key) if c.key else keys[label].get(r["id"], {}).get(c.name) for c in table.columns]
            for r in records
        ]
        parts.append(copy_block(table, rows))
        counts[table.name] = len(rows)
    for (rel_type, src, dst), table in joins.items():
        rows = [
            [r.get(c.key) for c in table.columns]
            for r in rels.get(rel_type, ())
            if labels[r["src"]] == src and labels[r["dst"]] == dst
        ]
        parts.append(copy_block(table, rows))
        counts[table.name] = len(rows)
    parts += [constraints_sql(t) for t in (*nodes.values(), *joins.values())]
    parts.append("VACUUM ANALYZE;\n")
    return "".join(parts), counts


# PostgreSQL ------------------------------------------------------------------------------------------
@dataclass
class Postgres:
    child: Child
    bindir: Path
    folder: Path
    socket_dir: Path
    port: int

    @property
    def connection(self) -> str:
        return f"postgres://{PG_USER}@/{DATABASE}?host={self.socket_dir}&port={self.port}"

    def psql(self, sql: str, database: str = DATABASE, timeout: float = 60) -> str:
        argv = [str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"]
        argv += ["-h", str(self.socket_dir), "-p", str(self.port), "-U", PG_USER, "-d", database, "-f", "-"]
        try:
            done = subprocess.run(argv, input=sql, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failed(f"psql did not finish in {timeout:.0f} s") from None
        if done.returncode != 0:
            raise Failed(f"psql failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return done.stdout

    def memory_mb(self) -> float:
        """Proportional set size of the postmaster and all its processes (shared buffers shared)."""
        total = 0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) != self.child.pid:
                    continue  # not in the postmaster's process group
                for line in (proc / "smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except (OSError, ValueError, IndexError):
                continue
        return total / 1024


def postgres_bindir() -> Path:
    """The bin folder of Debian's PostgreSQL (15 on Debian 12), installed first when missing."""

    def found() -> Path | None:
        dirs = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
        dirs.sort(
            key=lambda d: (d.parent.name != PG_MAJOR, -int(d.parent.name) if d.parent.name.isdigit() else 0)
        )
        return dirs[0] if dirs else None

    bindir = found()
    if bindir is None:
        if os.geteuid() != 0:
            raise Failed(
                "PostgreSQL is needed: install it (Debian: apt-get install -y postgresql) and run again"
            )
        ensure_debian_package("pg_config", "postgresql")  # pg_config: in Debian's postgresql-client too
        bindir = found()
        if bindir is None:
            raise Failed("apt-get install -y postgresql gave no /usr/lib/postgresql/*/bin/postgres")
    return bindir


def start_postgres(sup: Supervisor, folder: Path, timeout: float = 120) -> Postgres:
    """initdb into `folder`/data and start the postmaster in the foreground on 127.0.0.1."""
    bindir = postgres_bindir()
    data, sockets = folder / "data", folder / "run"
    sockets.mkdir()
    user = None
    if os.geteuid() == 0:  # initdb and postgres refuse root
        user = PG_USER
        try:
            owner = pwd.getpwnam(PG_USER)
        except KeyError:
            raise Failed(
                f"PostgreSQL refuses to run as root, and there is no {PG_USER!r} user to run it as "
                "(Debian's postgresql package creates it): create one, or run this as another user"
            ) from None
        for path in (folder, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    argv = [str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust"]
    argv += ["--encoding=UTF8", "--locale=C", "--no-sync"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, user=user)
    except subprocess.TimeoutExpired:
        raise Failed(f"initdb did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        raise Failed(f"initdb failed ({done.returncode}):\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    port = free_port()
    settings = {
        "listen_addresses": HOST,
        "port": str(port),
        "unix_socket_directories": str(sockets),
        "shared_buffers": "512MB",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_wal_size": "4GB",
        "maintenance_work_mem": "256MB",
        "logging_collector": "off",
    }
    argv = [str(bindir / "postgres"), "-D", str(data)]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    child = sup.start("postgres", argv, user=user)
    wait_until(
        f"PostgreSQL on {HOST}:{port}",
        log_says(child, "database system is ready to accept connections"),
        child,
        timeout,
    )
    pg = Postgres(child, bindir, folder, sockets, port)
    version = pg.psql("SHOW server_version;", database="postgres").strip()
    print(f"postgres: {version} on {HOST}:{port}, socket in {sockets}", flush=True)
    pg.psql(f"CREATE DATABASE {DATABASE};", database="postgres")
    return pg


UNINDEXED_KEYS = """
SELECT c.conrelid::regclass || '.' || a.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND NOT EXISTS (
  SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
);
"""
"""Every foreign key (all single-column here) that no index (primary key included) leads with."""


def load_postgres(pg: Postgres, bundle: dict, timeout: float) -> None:
    started = time.perf_counter()
    sql, counts = load_script(bundle)
    pg.psql(sql, timeout=timeout)
    unindexed = pg.psql(UNINDEXED_KEYS).split()
    if unindexed:
        raise Failed(f"foreign keys without an index leading with them: {', '.join(unindexed)}")
    size = pg.psql(f"SELECT pg_size_pretty(pg_database_size('{DATABASE}'));").strip()
    print(
        f"postgres: loaded {sum(counts.values()):,} rows into {len(counts)} tables ({size}) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


# Main --------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="folder to keep the generated store and bundle in, reused by reruns")
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", default="1,16", help="comma-separated (default 1,16)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured run (default 8)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of warm-up per side and load (default 3)"
    )
    parser.add_argument("--ids", type=int, default=5, help="ids per query, rotated (default 5)")
    parser.add_argument("--load-timeout", type=float, default=1800, help="for generate, export, COPY")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]

    began = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="rolemap-peer-"))
    try:
        # Everything inside the supervisor: SIGTERM then interrupts a step as Ctrl-C does, and a
        # command run to its end (apt-get, npm, rolemap generate, psql, wrk) is killed with it.
        with Supervisor() as sup:
            ensure_debian_package("wrk", "wrk")
            postgres_bindir()
            npm_ci(PEER_DIR, PEER_DIR / "node_modules" / "postgraphile")
            keep = Path(args.keep).resolve() if args.keep else folder / "data"
            keep.mkdir(parents=True, exist_ok=True)
            store, bundle_path = prepare_data(keep, args.scale, args.seed, args.load_timeout)
            print(f"server logs (kept if the run fails): {sup.log_dir}", flush=True)
            measure(sup, args, connections, folder, store, bundle_path)
    except Failed as exc:
        print(f"peer: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("peer: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an unforeseen error: still a clear last line, and status 1
        traceback.print_exc()
        print(f"peer: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    return 0


def measure(
    sup: Supervisor, args, connections: list[int], folder: Path, store: Path, bundle_path: Path
) -> None:
    # PostgreSQL's own temporary folder beside `folder` (which only root may enter): with root
    # running this, the postgres user owns it.
    pg_folder = Path(tempfile.mkdtemp(prefix="rolemap-peer-pg-", dir=folder.parent))
    try:
        bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
        if bundle.get("format") != "rolemap-bundle" or bundle.get("version") != 1:
            raise Failed(f"{bundle_path} is not a version 1 rolemap bundle: delete it and run again")
        ids = pick_ids(bundle, args.ids)
        pairs = queries(ids["services"], ids["cities"], ids["capabilities"])
        for kind, picked in ids.items():
            print(f"{kind}: {', '.join(picked)}", flush=True)

        pg = start_postgres(sup, pg_folder)
        load_postgres(pg, bundle, args.load_timeout)
        del bundle

        rolemap_port, peer_port = two_free_ports()
        peer_url = f"http://{HOST}:{peer_port}/graphql"
        peer = sup.start(
            "postgraphile",
            ["node", "server.mjs", "--host", HOST, "--port", str(peer_port), "--connection", pg.connection],
            env={"NODE_ENV": "production"},
            cwd=PEER_DIR,
        )
        # `rolemap serve --no-seed` on the store the bundle came from; anonymous reads allowed; no
        # access log, as PostGraphile writes no line per request
        base, rolemap = start_rolemap(
            sup, store, rolemap_port, env={"ROLEMAP_PUBLIC_READ": "true", "ROLEMAP_ACCESS_LOG": "false"}
        )
        rolemap_url = f"{base}/graphql"
        # rolemap builds its analysis read model in the background at start-up; /readyz answers 200
        # once it is built, so that build is not measured along with the first queries.
        started = time.perf_counter()
        wait_until(f"rolemap's readiness ({base}/readyz)", lambda: status_ok(f"{base}/readyz"), rolemap, 900)
        print(
            f"rolemap: ready (analysis read model built) in {time.perf_counter() - started:.0f} s", flush=True
        )
        wait_until(f"rolemap serve on {rolemap_url}", lambda: http_ready(rolemap_url), rolemap, 120)
        wait_until(f"PostGraphile on {peer_url}", lambda: http_ready(peer_url), peer, 120)
        print(f"rolemap: {rolemap_url}  {PEER}: {peer_url}", flush=True)

        checked = check_same(pairs, rolemap_url, peer_url, PEER)
        print(f"checked: both servers gave the same leaf values for all {checked} query/id pairs", flush=True)

        pg_peak = [pg.memory_mb()]
        settled: list[float] = []
        results = interleave(
            pairs,
            rolemap_url,
            peer_url,
            connections,
            args.rounds,
            args.duration,
            args.warmup,
            PEER,
            on_run=lambda: pg_peak.append(pg.memory_mb()),
            settle=lambda: settled.append(wait_idle([rolemap, peer, pg.child])),
        )
        print_table(pairs, connections, results, PEER)
        print()
        for name, child in (("rolemap", rolemap), (PEER, peer)):
            print(f"{name} peak memory (VmHWM): {child.peak_rss_mb() or 0:,.0f} MB")
        print(
            f"postgres (all its processes, proportional set size, most seen after a run): {max(pg_peak):,.0f} MB"
        )
        print(
            f"between wrk runs, waited for the servers to finish the requests wrk left in flight: "
            f"{sum(settled):.0f} s in all, at most {max(settled):.1f} s"
        )
        print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    finally:
        sup.stop_all()
        shutil.rmtree(pg_folder, ignore_errors=True)


def status_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status == 200


if __name__ == "__main__":
    raise SystemExit(main())
