"""Freshness: are the analyses fresh, and fast, while the registry changes?

    python benchmarks/freshness.py --scale S                          # a quick run
    python benchmarks/freshness.py --scale M --keep /tmp/rolemap-bench   # keep the loaded store for reruns
    python benchmarks/freshness.py --scale M --writes 20              # fewer writes
    python benchmarks/freshness.py --scale M --write-minutes 15       # as many writes as fit in 15 minutes

`rolemap generate --scale X --seed N` fills an embedded store (with `--keep DIR`, once: DIR/X-seedN/ is
reused by later runs), and each run serves a copy of it, so every run starts from the same registry.
A real `rolemap serve` process answers on a free loopback port with an ADMIN key created beforehand
(`rolemap keys create`). Then:

1. Warm: each analysis once (warm-up), then `--repeat` runs of each with no write in between, rotating
   over cities and their needs: overlaps(scope: {cityId}, kind: SERVICE), similarPilots(draft: {cityId,
   needIds, title}) and roleMap(cityId).
2. After writes: `--writes` single writes, a shuffled mix of registerService (a new offering of a vendor
   the city already uses, with 1–3 capabilities its needs require), useService (the city starts using an
   active vendor service it has no link to) and recordDecision (a pilot ENDED, or RUNNING past its end,
   without a decision, from pilotsAwaitingDecision; a RUNNING one gets endPilot first, in the same
   request, since only an ended pilot can be decided). Each write is followed at once by overlaps,
   similarPilots and roleMap for the city it concerns (the pilot's city for a decision), in that order:
   their latencies are the "first after a write" figures. Then, untimed, a fuller roleMap of that city
   checks that the analyses see the write: a service just put in use must be in an IN_USE cell, a pilot
   just decided only in DECIDED cells with the new outcome (new offerings are not checked).
3. Meanwhile a second client, in its own process (so this one's work never delays its clock) and on its
   own connection, sends `{ __typename }` and GET /healthz alternately, `--trivial-pause` apart. Each of
   its requests is attributed to what ran on the first connection during it: the target is on those
   that overlapped a first-after-write analysis.
4. The server's VmRSS is sampled every `--rss-every` seconds throughout, and while it stops (step 5);
   its VmHWM is read at the end of the writes, the restarted server's once it answered. The memory
   target is on the highest of them all.
5. Restart: the server is stopped (it saves its analysis read model as it stops: see
   rolemap/analysis/checkpoint.py) and started again on the same store, and its first analysis is
   timed again. The first start, on a copy nothing has served before, builds the read model from
   the store; the restart is the start of a server on an existing store, which the target is about.

`--write-minutes` (or Ctrl-C during the writes) stops writing early; the figures then cover the writes
made. The server is stopped at the end however the run ends, and the copy of the store removed.

Prints the table and the targets (ok/MISSED): first analysis after a write p50 ≤ 100 ms and ≤ 2× warm;
trivial requests p99 ≤ 20 ms while analyses run; server RSS ≤ 1 GB (the target is for M); the first
analysis answered within 5 s of starting the server again on the same store. Any failed
request, write or read, stops the run with the first error (exit status 1): it is a bug in this script
or in the server. Times are figures, not assertions; the server and this script share the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    REPO,
    ROLEMAP_CLI,
    Failed,
    Supervisor,
    proc_status_mb,
    run_to_end,
    start_rolemap,
)

TARGET_AFTER_WRITE_MS = 100.0
TARGET_RATIO = 2.0
TARGET_TRIVIAL_P99_MS = 20.0
TARGET_RSS_MB = 1024.0
TARGET_RSS_SCALE = "M"
TARGET_FIRST_ANALYSIS_S = 5.0

OVERLAPS = (
    "query($s: OverlapScope!) { overlaps(scope: $s, kind: SERVICE) "
    "{ score left { id } right { id } reasons { kind weight } } }"
)
SIMILAR = (
    "query($d: PilotDraftInput!) { similarPilots(draft: $d) { score pilot { id decision { outcome } } } }"
)
ROLE_MAP = "query($c: ID!) { roleMap(cityId: $c) { rows { capability { id } stance cells { vendor { id } role outcome } } } }"
"""The three timed queries are those of benchmarks/analyses.py, so the figures compare."""
ROLE_MAP_CHECK = (
    "query($c: ID!) { roleMap(cityId: $c) { rows { cells { role outcome services { id } pilots { id } } } } }"
)
"""Asked after the timed three, untimed: does the role map show the write? (Asking for the services and
pilots of every cell makes it several times slower, so the timed query leaves them out.)"""
ANALYSES = ("overlaps(city, SERVICE)", "similarPilots", "roleMap(city)")
DRAFT_TITLE = "chatbot for appointments"

ERRORS = "errors { code field message }"
REGISTER = (
    f"mutation($i: RegisterServiceInput!) {{ registerService(input: $i) {{ {ERRORS} service {{ id }} }} }}"
)
USE = (
    f"mutation($c: ID!, $s: ID!) {{ useService(cityId: $c, serviceId: $s) {{ {ERRORS} service {{ id }} }} }}"
)
DECIDE = f"mutation($i: RecordDecisionInput!) {{ recordDecision(input: $i) {{ {ERRORS} decision {{ id outcome }} }} }}"
END_AND_DECIDE = (
    f"mutation($p: ID!, $i: RecordDecisionInput!) {{ endPilot(id: $p) {{ {ERRORS} }} "
    f"recordDecision(input: $i) {{ {ERRORS} decision {{ id outcome }} }} }}"
)
WRITE_KINDS = ("registerService", "useService", "recordDecision")
OUTCOMES = ("LEARNED", "DEVELOP", "DROP")

CITIES = """query($after: String) { cities(kind: MUNICIPALITY, first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
CITY_SERVICES = """query($c: ID!, $after: String) { city(id: $c) { services(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { relation node { id lifecycle vendor { id } } } } } }"""
CITY_NEEDS = """query($c: ID!) { city(id: $c) { needs(first: 100) {
  edges { node { id capabilities(first: 20) { edges { node { id } } } } } } } }"""
ACTIVE_SERVICES = """query($after: String) { services(lifecycle: ACTIVE, first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id vendor { id } capabilities(first: 1) { totalCount } } } } }"""
AWAITING = """query($after: String) { pilotsAwaitingDecision(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { reason pilot { id status title city { id } needs(first: 3) { edges { node { id } } } } } } } }"""
AWAITED = {"ENDED_WITHOUT_DECISION": "ENDED", "RUNNING_PAST_END": "RUNNING"}
AWAITING_PAGES = 100
"""Pages of 100 read from pilotsAwaitingDecision at most (M has about 2,500 awaiting pilots)."""


class RequestFailed(Failed):
    """A request was refused, answered with errors, or timed out."""


# The HTTP client --------------------------------------------------------------------------------


class Api:
    """GraphQL over one keep-alive connection to the server, with the ADMIN key; every request is
    bounded by `timeout` and timed from sending to the whole response read (not decoded)."""

    def __init__(self, base: str, key: str, timeout: float) -> None:
        self.client = httpx2.Client(
            base_url=base,
            headers={"authorization": f"Bearer {key}"},
            timeout=httpx2.Timeout(timeout, connect=10),
            limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60),
            trust_env=False,  # never through a proxy from the environment: the server is on loopback
        )
        self.timeout = timeout

    def close(self) -> None:
        self.client.close()

    def post(self, query: str, variables: dict | None = None) -> tuple[dict, float, float]:
        """The `data` of a successful request, and when it was sent and answered (time.monotonic)."""
        started = time.monotonic()
        try:
            response = self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        except httpx2.TimeoutException:
            raise RequestFailed(f"no answer within {self.timeout:.0f} s to {_short(query)}") from None
        except httpx2.HTTPError as exc:
            raise RequestFailed(f"{type(exc).__name__}: {exc} on {_short(query)}") from None
        ended = time.monotonic()
        if response.status_code != 200:
            raise RequestFailed(f"HTTP {response.status_code} on {_short(query)}: {response.text[:500]}")
        body = response.json()
        if body.get("errors"):
            raise RequestFailed(f"{body['errors'][0].get('message')} on {_short(query)} {variables}")
        return body["data"], started, ended

    def pages(self, query: str, variables: dict, path: list[str], limit: int) -> list[dict]:
        """The nodes of a connection (at `path` in the data), page after page, at most `limit`."""
        nodes: list[dict] = []
        after = None
        while len(nodes) < limit:
            data, _, _ = self.post(query, {**variables, "after": after})
            for step in path:
                data = data[step]
            nodes += [
                edge["node"] | {k: v for k, v in edge.items() if k not in ("node", "cursor")}
                for edge in data["edges"]
            ]
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        return nodes[:limit]


def _short(query: str) -> str:
    return " ".join(query.split())[:80] + "…"


def trivial_client(base: str, pause: float, timeout: float, go, ready, stop, out) -> None:
    """The second client, in its own process: from `go` until `stop`, `{ __typename }` and GET /healthz
    alternately on one connection, `pause` seconds apart; sets `ready` once one request has succeeded and
    puts [(kind, sent, answered, ok)] on `out` at the end."""
    for sig in (signal.SIGTERM, signal.SIGHUP):  # not the supervisor's handlers inherited with fork
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it, also on Ctrl-C
    samples: list[tuple[str, float, float, bool]] = []
    with httpx2.Client(
        base_url=base,
        timeout=httpx2.Timeout(timeout),
        limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60),
        trust_env=False,
    ) as client:
        if client.get("/healthz").status_code == 200:
            ready.set()
        go.wait()
        i = 0
        while not stop.is_set():
            kind = "typename" if i % 2 == 0 else "healthz"
            started = time.monotonic()
            try:
                if kind == "typename":
                    response = client.post("/graphql", json={"query": "{ __typename }"})
                    ok = response.status_code == 200 and response.json().get("data") == {
                        "__typename": "Query"
                    }
                else:
                    response = client.get("/healthz")
                    ok = response.status_code == 200
            except httpx2.HTTPError:
                ok = False
            samples.append((kind, started, time.monotonic(), ok))
            i += 1
            stop.wait(pause)
    out.put(samples)


class TrivialClient:
    """Runs `trivial_client` in a forked process, started while this process has no other thread (a
    fork imports nothing again); it connects at once, and sends from `go()` until `stop()`."""

    def __init__(self, base: str, pause: float, timeout: float) -> None:
        ctx = multiprocessing.get_context("fork")
        self._go, self._ready, self._stop = ctx.Event(), ctx.Event(), ctx.Event()
        self._out = ctx.Queue()
        self._proc = ctx.Process(
            target=trivial_client,
            args=(base, pause, timeout, self._go, self._ready, self._stop, self._out),
            name="trivial-client",
            daemon=True,
        )
        self._timeout = timeout
        self.samples: list[tuple[str, float, float, bool]] = []

    def start(self) -> None:
        self._proc.start()
        deadline = time.monotonic() + self._timeout
        while not self._ready.wait(0.1):
            if not self._proc.is_alive() or time.monotonic() > deadline:
                raise Failed(f"the trivial client did not get an answer (exit status {self._proc.exitcode})")

    def go(self) -> None:
        self._go.set()

    def stop(self) -> None:
        """Its samples; none when it had failed (the caller checks)."""
        if self._proc.pid is None:
            return
        self._go.set()
        self._stop.set()
        try:
            self.samples = self._out.get(timeout=self._timeout + 30)
        except Exception as exc:  # queue.Empty: it died, or hangs
            print(f"the trivial client gave no samples: {exc!r}", file=sys.stderr)
        finally:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(10)


class RssSampler:
    """VmRSS of a process every `every` seconds, in a daemon thread."""

    def __init__(self, pid: int, every: float) -> None:
        self.pid, self.every = pid, every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def _run(self) -> None:
        while True:
            rss = proc_status_mb(self.pid, "VmRSS")
            if rss is not None:
                self.samples.append(rss)
            if self._stop.wait(self.every):
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def now(self) -> float:
        return proc_status_mb(self.pid, "VmRSS") or 0.0


# The registry as the writes need it ------------------------------------------------------------


@dataclass
class CityInfo:
    id: str
    needs: list[str]
    capabilities: list[str]
    """Required by its needs."""
    linked: set[str]
    """Every service it uses, used or operates, whatever the state."""
    vendors: list[str]
    """Vendors of active services it uses."""


@dataclass
class Pilot:
    id: str
    status: str
    title: str
    city: str
    needs: list[str]


@dataclass
class World:
    api: Api
    rng: random.Random
    cities: list[str]
    services: list[tuple[str, str]]
    """Active vendor services with at least one capability: (service, vendor)."""
    pilots: list[Pilot]
    info: dict[str, CityInfo] = field(default_factory=dict)

    def city(self, city_id: str) -> CityInfo:
        if city_id not in self.info:
            linked = self.api.pages(CITY_SERVICES, {"c": city_id}, ["city", "services"], 100_000)
            data, _, _ = self.api.post(CITY_NEEDS, {"c": city_id})
            needs = [edge["node"] for edge in data["city"]["needs"]["edges"]]
            capabilities = {cap["node"]["id"] for need in needs for cap in need["capabilities"]["edges"]}
            vendors = {
                s["vendor"]["id"]
                for s in linked
                if s["relation"] == "USES" and s["lifecycle"] == "ACTIVE" and s["vendor"]
            }
            self.info[city_id] = CityInfo(
                city_id,
                [n["id"] for n in needs],
                sorted(capabilities),
                {s["id"] for s in linked},
                sorted(vendors),
            )
        return self.info[city_id]

    def capabilities_seen(self) -> list[str]:
        """Capabilities the needs of the cities seen so far require."""
        return sorted({c for info in self.info.values() for c in info.capabilities})


FIRST_CITY = "{ cities(first: 1) { edges { node { id } } } }"


def measure_startup(api: Api, base: str, started: float) -> dict[str, float]:
    """Seconds from starting the server to its first analysis answered (one overlaps(city), sent as
    soon as it answers plain reads), and to /readyz saying the read model is built."""
    data, _, _ = api.post(FIRST_CITY)
    city = data["cities"]["edges"][0]["node"]["id"]
    name, query, variables = analyses_for(city, None, DRAFT_TITLE)[0]
    while True:  # an analysis sent during the build waits for it, up to the analysis timeout
        try:
            _, sent, answered = api.post(query, variables)
            break
        except RequestFailed as exc:
            if "ROLEMAP_ANALYSIS_TIMEOUT_SECONDS" not in str(exc) or time.monotonic() - started > api.timeout:
                raise
            print("start-up: the first analysis timed out while the read model builds; asking again")
    first = answered - started
    ready = math.nan
    while time.monotonic() - started < api.timeout:
        if api.client.get(f"{base}/readyz").status_code == 200:
            ready = time.monotonic() - started
            break
        time.sleep(0.1)
    print(
        f"start-up: first {name} answered {first:.1f} s after starting the server "
        f"(it took {(answered - sent) * 1000:,.0f} ms); /readyz said ready after {ready:.1f} s",
        flush=True,
    )
    return {"first_analysis_s": first, "ready_s": ready}


def measure_restart(sup: Supervisor, db: Path, server, key: str, args) -> dict[str, float]:
    """Stop the server (it saves its analysis read model as it stops) and start it again on the same
    store: the start of a server on an existing store, which the start-up target is about."""
    stopping = RssSampler(server.pid, args.rss_every)  # saving the read model takes memory too
    stopping.start()
    began = time.monotonic()
    try:
        sup.stop(server, timeout=120)
    finally:
        stopping.stop()
    stop_s = time.monotonic() - began
    started = time.monotonic()
    base, again = start_rolemap(sup, db, timeout=args.start_timeout, name="rolemap-restart")
    api = Api(base, key, args.timeout)
    try:
        print("restart: ", end="")
        figures = measure_startup(api, base, started)
    finally:
        api.close()
    for child in (server, again):  # whether the model was saved, and loaded or built again
        for line in Path(child.log).read_text(errors="replace").splitlines():
            if "analysis read model" in line:
                print(f"  {child.name}: {line.strip()[:300]}")
    figures.update(
        stop_s=stop_s,
        stop_peak_mb=max(stopping.samples, default=math.nan),
        rss_mb=proc_status_mb(again.pid) or math.nan,
        restart_hwm_mb=proc_status_mb(again.pid, "VmHWM") or math.nan,
    )
    sup.stop(again)
    return figures


def discover(api: Api, rng: random.Random, decisions: int, city_count: int, pool: int) -> World:
    cities = sorted(node["id"] for node in api.pages(CITIES, {}, ["cities"], 100_000))
    if not cities:
        raise Failed("the registry has no municipality")
    chosen = sorted(rng.sample(cities, min(city_count, len(cities))))
    services = [
        (s["id"], s["vendor"]["id"])
        for s in api.pages(ACTIVE_SERVICES, {}, ["services"], pool)
        if s["vendor"] and s["capabilities"]["totalCount"] > 0
    ]
    pilots: list[Pilot] = []  # all of them (most overdue first), to sample from
    after = None
    for _ in range(AWAITING_PAGES):
        data, _, _ = api.post(AWAITING, {"after": after})
        page = data["pilotsAwaitingDecision"]
        for edge in page["edges"]:
            node = edge["node"]
            pilot = node["pilot"]
            if AWAITED.get(node["reason"]) == pilot["status"] and pilot["city"]:
                needs = [n["node"]["id"] for n in pilot["needs"]["edges"]]
                pilots.append(Pilot(pilot["id"], pilot["status"], pilot["title"], pilot["city"]["id"], needs))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    if len(pilots) < decisions:
        raise Failed(
            f"only {len(pilots)} pilots await a decision (ENDED, or RUNNING past their end); {decisions} needed"
        )
    return World(api, rng, chosen, services, rng.sample(pilots, decisions))


# Analyses and writes ----------------------------------------------------------------------------


def analyses_for(city: str, need: str | None, title: str) -> list[tuple[str, str, dict]]:
    draft: dict[str, Any] = {"cityId": city, "title": title}
    if need:
        draft["needIds"] = [need]
    return [
        (ANALYSES[0], OVERLAPS, {"s": {"cityId": city}}),
        (ANALYSES[1], SIMILAR, {"d": draft}),
        (ANALYSES[2], ROLE_MAP, {"c": city}),
    ]


@dataclass
class Write:
    kind: str
    query: str
    variables: dict
    city: str
    analyses: list[tuple[str, str, dict]]
    check: str | None = None
    """The service put in use, or the pilot decided, to look for in the role map."""
    outcome: str | None = None
    ended_first: bool = False


def plan_write(world: World, kind: str, n: int) -> Write:
    """The next write of `kind` (n-th of the run), and what to ask after it. Reads what it needs first."""
    rng = world.rng
    if kind == "recordDecision":
        pilot = world.pilots.pop()
        outcome = rng.choice(OUTCOMES)
        decision: dict[str, Any] = {
            "pilotId": pilot.id,
            "outcome": outcome,
            "rationale": f"Freshness benchmark decision {n}: recorded to measure the analyses after a write.",
            "lessons": ["Agree on the success criteria with the users before the pilot starts."],
            "decidedBy": "freshness benchmark",
        }
        if outcome == "DEVELOP":
            decision["nextSteps"] = ["Prepare a procurement for a wider rollout."]
        ended_first = pilot.status == "RUNNING"
        query, variables = (
            (END_AND_DECIDE, {"p": pilot.id, "i": decision}) if ended_first else (DECIDE, {"i": decision})
        )
        need = pilot.needs[0] if pilot.needs else None
        draft: dict[str, Any] = {"cityId": pilot.city, "title": pilot.title}
        if pilot.needs:
            draft["needIds"] = pilot.needs
        analyses = analyses_for(pilot.city, need, pilot.title)
        analyses[1] = (ANALYSES[1], SIMILAR, {"d": draft})
        return Write(kind, query, variables, pilot.city, analyses, pilot.id, outcome, ended_first)

    city = world.city(rng.choice(world.cities))
    need = rng.choice(city.needs) if city.needs else None
    analyses = analyses_for(city.id, need, DRAFT_TITLE)
    if kind == "useService":
        candidates = [s for s in world.services if s[0] not in city.linked]
        if not candidates:
            raise Failed(f"no active service left that {city.id} has no link to")
        service, _ = rng.choice(candidates)
        city.linked.add(service)
        return Write(kind, USE, {"c": city.id, "s": service}, city.id, analyses, service)

    vendor = rng.choice(city.vendors) if city.vendors else rng.choice(world.services)[1]
    pool = city.capabilities or world.capabilities_seen()
    if not pool:
        raise Failed(
            f"no capability to give a new offering of {vendor}: no need of the cities seen requires one"
        )
    capabilities = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
    service = {
        "vendorId": vendor,
        "name": f"Freshness benchmark offering {n}",
        "description": "A new offering registered by the freshness benchmark: appointments and reminders.",
        "capabilityIds": capabilities,
    }
    return Write(kind, REGISTER, {"i": service}, city.id, analyses)


def payload_errors(data: dict) -> list[dict]:
    return [error for payload in data.values() for error in (payload or {}).get("errors") or []]


def role_map_shows(data: dict, write: Write) -> bool | None:
    """Whether a ROLE_MAP_CHECK answer shows the write: True, False (stale), or None (cannot tell)."""
    cells = [cell for row in data["roleMap"]["rows"] for cell in row["cells"]]
    if write.kind == "useService":
        return any(
            cell["role"] == "IN_USE" and any(s["id"] == write.check for s in cell["services"])
            for cell in cells
        )
    if write.kind == "recordDecision":
        with_pilot = [cell for cell in cells if any(p["id"] == write.check for p in cell["pilots"])]
        if not with_pilot:
            return None  # it trials no service, or its vendor's services are in use there
        return all(cell["role"] == "DECIDED" and cell["outcome"] == write.outcome for cell in with_pilot)
    return None


# Figures -----------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def attribute(samples, intervals) -> dict[str, list[float]]:
    """Trivial requests' latencies (ms, failed ones included as measured) by what ran on the first
    connection while each was in flight: an analysis label if any analysis overlapped it."""
    intervals = sorted(intervals)
    starts = [start for start, _, _ in intervals]
    groups: dict[str, list[float]] = defaultdict(list)
    for _kind, sent, answered, _ok in samples:
        labels = set()
        j = bisect_right(starts, answered) - 1
        while j >= 0 and intervals[j][1] >= sent:
            labels.add(intervals[j][2])
            j -= 1
        label = next((x for x in ("after", "warm", "warm-up", "check", "write") if x in labels), "idle")
        groups[label].append((answered - sent) * 1000)
    return groups


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# The run -----------------------------------------------------------------------------------------


def code_version() -> str:
    """Which rolemap code a server started now runs: HEAD, the files changed under rolemap/ (others
    edit it meanwhile), and a digest of rolemap/**/*.py as they are on disk."""
    digest = hashlib.sha1()
    for path in sorted((REPO / "rolemap").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    git = ["git", "--no-optional-locks", "-C", str(REPO)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
        )
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", "rolemap"], capture_output=True, text=True, timeout=30
        )
        head_text, changed = head.stdout.strip() or "?", len(status.stdout.splitlines())
    except (OSError, subprocess.SubprocessError):
        head_text, changed = "?", "?"
    return f"rolemap code: HEAD {head_text}, {changed} files changed under rolemap/, digest {digest.hexdigest()[:12]}"


def prepare_store(sup: Supervisor, args, work: Path) -> Path:
    """The store this run serves: a copy of the cached one (--keep), or one generated into `work`."""
    env = {"ROLEMAP_STORE": "ladybug"}
    argv = [str(ROLEMAP_CLI), "generate", "--scale", args.scale, "--seed", str(args.seed)]
    run_dir = work / "store"
    if not args.keep:
        started = time.monotonic()
        run_dir.mkdir()
        out = run_to_end(
            sup, "generate", argv, {**env, "ROLEMAP_DB": str(run_dir / "rolemap.lbug")}, args.generate_timeout
        )
        print(f"{out.strip().splitlines()[-1]} (wall {time.monotonic() - started:.1f} s)", flush=True)
        return run_dir / "rolemap.lbug"
    cached = Path(args.keep).resolve() / f"{args.scale}-seed{args.seed}"
    if not cached.is_dir():
        partial = cached.with_name(cached.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        started = time.monotonic()
        out = run_to_end(
            sup, "generate", argv, {**env, "ROLEMAP_DB": str(partial / "rolemap.lbug")}, args.generate_timeout
        )
        partial.rename(cached)  # only a complete store is ever reused
        print(
            f"{out.strip().splitlines()[-1]} (wall {time.monotonic() - started:.1f} s); kept in {cached}",
            flush=True,
        )
    started = time.monotonic()
    shutil.copytree(cached, run_dir)
    size = sum(f.stat().st_size for f in run_dir.rglob("*") if f.is_file()) / 2**20
    print(
        f"copied the kept store {cached} ({size:,.0f} MB) in {time.monotonic() - started:.1f} s", flush=True
    )
    return run_dir / "rolemap.lbug"


def run(sup: Supervisor, args, work: Path) -> int:
    began = time.monotonic()
    db = prepare_store(sup, args, work)
    out = run_to_end(
        sup,
        "keys-create",
        [str(ROLEMAP_CLI), "keys", "create", "--role", "ADMIN", "--name", "bench"],
        {"ROLEMAP_STORE": "ladybug", "ROLEMAP_DB": str(db)},
        timeout=120,
    )
    key = out.strip().splitlines()[-1].strip()
    if not key.startswith("rmk_"):
        raise Failed(f"rolemap keys create did not end with a key:\n{out}")

    print(code_version(), flush=True)
    load = os.getloadavg()
    started = time.monotonic()
    base, server = start_rolemap(sup, db, timeout=args.start_timeout)
    print(
        f"rolemap serve: pid {server.pid} on {base}, answering after {time.monotonic() - started:.1f} s",
        flush=True,
    )
    api = Api(base, key, args.timeout)
    startup = measure_startup(api, base, started)
    trivial = TrivialClient(base, args.trivial_pause, args.trivial_timeout)
    rss = RssSampler(server.pid, args.rss_every)
    try:
        trivial.start()  # forked before this process starts any thread
        rss.start()
        rss_marks = {"started": rss.now()}
        rng = random.Random(args.seed)
        plan = [WRITE_KINDS[i % len(WRITE_KINDS)] for i in range(args.writes)]
        rng.shuffle(plan)
        started = time.monotonic()
        world = discover(api, rng, plan.count("recordDecision"), args.cities, args.service_pool)
        for city in world.cities[: args.repeat]:
            world.city(city)
        print(
            f"picked {len(world.cities)} municipalities, {len(world.services):,} active services to use, "
            f"{len(world.pilots)} pilots to decide ({sum(p.status == 'RUNNING' for p in world.pilots)} RUNNING past "
            f"their end) in {time.monotonic() - started:.1f} s (this built the analysis index once)",
            flush=True,
        )
        rss_marks["discovered"] = rss.now()
        trivial.go()

        intervals: list[tuple[float, float, str]] = []
        warm: dict[str, list[float]] = defaultdict(list)
        cold: dict[str, float] = {}
        started = time.monotonic()
        warm_cities = world.cities[: args.repeat] or world.cities

        def warm_analyses(i: int) -> list[tuple[str, str, dict]]:
            info = world.city(warm_cities[i % len(warm_cities)])
            return analyses_for(info.id, info.needs[i % len(info.needs)] if info.needs else None, DRAFT_TITLE)

        for name, query, variables in warm_analyses(args.repeat):
            _, sent, answered = api.post(query, variables)
            intervals.append((sent, answered, "warm-up"))
            cold[name] = (answered - sent) * 1000
        for i in range(args.repeat):
            for name, query, variables in warm_analyses(i):
                _, sent, answered = api.post(query, variables)
                intervals.append((sent, answered, "warm"))
                warm[name].append((answered - sent) * 1000)
        warm_seconds = time.monotonic() - started
        rss_marks["warm"] = rss.now()
        print(f"warm: {args.repeat} runs of each analysis in {warm_seconds:.1f} s", flush=True)

        after: dict[str, list[float]] = defaultdict(list)
        after_by_kind: dict[tuple[str, str], list[float]] = defaultdict(list)
        writes: dict[str, list[float]] = defaultdict(list)
        done: list[str] = []
        fresh = stale = unknown = ended_first = 0
        first_stale = stopped = None
        started = time.monotonic()
        try:
            for n, kind in enumerate(plan, 1):
                if args.write_minutes and time.monotonic() - started > args.write_minutes * 60:
                    stopped = f"the --write-minutes {args.write_minutes:g} limit"
                    break
                write = plan_write(world, kind, n)
                spans: list[tuple[float, float, str]] = []
                try:
                    data, sent, answered = api.post(write.query, write.variables)
                except RequestFailed as exc:
                    raise WriteFailed(n, write, str(exc)) from None
                errors = payload_errors(data)
                if errors:
                    raise WriteFailed(n, write, f"{errors[0]}")
                spans.append((sent, answered, "write"))
                for _name, query, variables in write.analyses:
                    data, sent, answered = api.post(query, variables)
                    spans.append((sent, answered, "after"))
                shown = None
                if write.check:
                    data, sent, answered = api.post(ROLE_MAP_CHECK, {"c": write.city})
                    spans.append((sent, answered, "check"))
                    shown = role_map_shows(data, write)
                # Counted once the write and its analyses are all done (Ctrl-C may come in between).
                intervals += spans
                writes[kind].append((spans[0][1] - spans[0][0]) * 1000)
                for (name, _, _), (sent, answered, _) in zip(write.analyses, spans[1:4], strict=True):
                    after[name].append((answered - sent) * 1000)
                    after_by_kind[name, kind].append((answered - sent) * 1000)
                done.append(kind)
                ended_first += write.ended_first
                if shown is None:
                    unknown += 1
                elif shown:
                    fresh += 1
                else:
                    stale += 1
                    first_stale = (
                        first_stale or f"write {n} ({kind} {write.variables}): not in roleMap({write.city})"
                    )
                if n % args.progress == 0 or n == len(plan):
                    elapsed = time.monotonic() - started
                    print(
                        f"  writes {n}/{len(plan)}: {elapsed:.0f} s, about {elapsed / n * (len(plan) - n):.0f} s "
                        f"to go, server RSS {rss.now():,.0f} MB",
                        file=sys.stderr,
                        flush=True,
                    )
        except KeyboardInterrupt:
            stopped = "Ctrl-C"
        if stopped:
            print(
                f"stopped by {stopped} after {len(done)} of {len(plan)} writes", file=sys.stderr, flush=True
            )
        if not done:
            raise Failed("no write was made: nothing to report")
        writes_seconds = time.monotonic() - started
        rss_marks["writes"] = rss.now()
    finally:
        trivial.stop()
        rss.stop()
        api.close()
    hwm = proc_status_mb(server.pid, "VmHWM") or 0.0
    restart = measure_restart(sup, db, server, key, args)
    if not trivial.samples:
        raise Failed("the trivial client recorded no request")
    groups = attribute(trivial.samples, intervals)
    trivial_failed = sum(not ok for *_, ok in trivial.samples)

    print(
        f"\nscale {args.scale} (seed {args.seed}): {len(warm_cities)} cities rotated for warm runs, "
        f"{args.repeat} warm runs each; {len(done)} writes ({', '.join(f'{done.count(k)} {k}' for k in WRITE_KINDS)}; "
        f"{ended_first} decisions on RUNNING pilots ended first in the same request), each followed by the 3 "
        f"analyses; warm {warm_seconds:.0f} s, writes {writes_seconds:.0f} s, whole run {time.monotonic() - began:.0f} s; "
        f"load average (1 min) {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end on {os.cpu_count()} CPUs\n"
    )
    print(
        f"{'analysis (ms)':<25} {'warm-up':>8} {'warm p50':>9} {'warm p95':>9} {'after p50':>10} {'after p95':>10} "
        f"{'after max':>10} {'p50 ratio':>9}"
    )
    targets = []
    for name in ANALYSES:
        w50, a50 = p50(warm[name]), p50(after[name])
        ratio = a50 / w50 if w50 else math.inf
        print(
            f"{name:<25} {cold[name]:>8,.1f} {w50:>9,.1f} {pct(warm[name], 0.95):>9,.1f} {a50:>10,.1f} "
            f"{pct(after[name], 0.95):>10,.1f} {max(after[name]):>10,.1f} {ratio:>8,.1f}×"
        )
        targets.append(
            (
                f"{name}: first after a write p50 ≤ {TARGET_AFTER_WRITE_MS:.0f} ms",
                a50 <= TARGET_AFTER_WRITE_MS,
                f"{a50:,.1f} ms",
            )
        )
        targets.append(
            (
                f"{name}: first after a write ≤ {TARGET_RATIO:.0f}× warm (p50s)",
                ratio <= TARGET_RATIO,
                f"{ratio:,.1f}×",
            )
        )

    kinds = [kind for kind in WRITE_KINDS if writes[kind]]
    print(f"\n{'write (ms)':<25} {'n':>8} {'p50':>9} {'p95':>9} {'max':>10}")
    for kind in kinds:
        values = writes[kind]
        print(
            f"{kind:<25} {len(values):>8} {p50(values):>9,.1f} {pct(values, 0.95):>9,.1f} {max(values):>10,.1f}"
        )
    print(f"\n{'after p50 by write (ms)':<25} " + " ".join(f"{kind:>16}" for kind in kinds))
    for name in ANALYSES:
        print(f"{name:<25} " + " ".join(f"{p50(after_by_kind[name, kind]):>16,.1f}" for kind in kinds))

    print(
        f"\ntrivial requests (ms), {len(trivial.samples):,} in all ({trivial_failed} failed), "
        f"{args.trivial_pause * 1000:.0f} ms apart, by what the first connection ran meanwhile:"
    )
    print(f"{'':<38} {'n':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>8}")
    for label, title in (
        ("after", "first-after-write analyses"),
        ("warm", "warm analyses"),
        ("write", "writes"),
        ("check", "untimed roleMap checks"),
        ("idle", "nothing timed (setup reads, client work)"),
    ):
        values = groups.get(label, [])
        if values:
            print(
                f"{title:<38} {len(values):>7,} {p50(values):>7,.1f} {pct(values, 0.95):>7,.1f} "
                f"{pct(values, 0.99):>7,.1f} {max(values):>8,.1f}"
            )
        else:
            print(f"{title:<38} {0:>7}")
    during = groups.get("after", [])
    p99 = pct(during, 0.99) if during else math.inf
    targets.append(
        (
            f"trivial requests p99 ≤ {TARGET_TRIVIAL_P99_MS:.0f} ms while analyses run (after writes)",
            p99 <= TARGET_TRIVIAL_P99_MS,
            f"{p99:,.1f} ms",
        )
    )

    stopping = [v for v in (restart["stop_peak_mb"], restart["restart_hwm_mb"]) if not math.isnan(v)]
    peak = max([*rss.samples, hwm, *stopping])
    print(
        f"\nserver memory: peak VmRSS sampled {max(rss.samples, default=0):,.0f} MB, VmHWM {hwm:,.0f} MB; VmRSS "
        + ", ".join(f"{k} {v:,.0f} MB" for k, v in rss_marks.items())
        + f"; while stopping (saving the read model) {restart['stop_peak_mb']:,.0f} MB; the restarted server's "
        f"VmHWM {restart['restart_hwm_mb']:,.0f} MB"
    )
    note = (
        ""
        if args.scale == TARGET_RSS_SCALE
        else f" (measured at {args.scale}; the target is for {TARGET_RSS_SCALE})"
    )
    targets.append(
        (
            f"server RSS ≤ {TARGET_RSS_MB / 1024:.0f} GB at {TARGET_RSS_SCALE}{note}",
            peak <= TARGET_RSS_MB,
            f"{peak:,.0f} MB",
        )
    )

    print(
        f"freshness: roleMap showed {fresh} of {fresh + stale} checked writes ({stale} stale); "
        f"{unknown} writes could not be checked from its answer (new offerings, decided pilots with no cell)"
    )
    if first_stale:
        print(f"  first stale answer: {first_stale}")
    print(f"failed writes: 0 of {len(done)}")
    if stopped:
        print(
            f"stopped by {stopped} after {len(done)} of the {len(plan)} writes planned: the figures cover those"
        )

    print(
        f"start-up: first start (nothing saved yet) {startup['first_analysis_s']:,.1f} s to the first analysis; "
        f"restart on the same store {restart['first_analysis_s']:,.1f} s (stopping took {restart['stop_s']:,.1f} s, "
        f"saving the read model; VmRSS once ready {restart['rss_mb']:,.0f} MB)"
    )
    targets.append(
        (
            f"first analysis ≤ {TARGET_FIRST_ANALYSIS_S:.0f} s after starting the server (an existing store)",
            restart["first_analysis_s"] <= TARGET_FIRST_ANALYSIS_S,
            f"{restart['first_analysis_s']:,.1f} s",
        )
    )

    print("\ntargets")
    for label, ok, value in targets:
        print(f"  {label:<72} {value:>12}  {verdict(ok)}")
    return 130 if stopped == "Ctrl-C" else 0


class WriteFailed(Failed):
    def __init__(self, n: int, write: Write, error: str) -> None:
        super().__init__(
            f"failed writes: 1 — write {n} ({write.kind}, variables {write.variables}) failed; stopped at the "
            f"first:\n  {error}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the loaded store in DIR/SCALE-seedN and reuse it")
    parser.add_argument("--repeat", type=int, default=20, help="warm runs of each analysis (default 20)")
    parser.add_argument(
        "--writes", type=int, default=200, help="writes, each followed by the analyses (default 200)"
    )
    parser.add_argument(
        "--write-minutes",
        type=float,
        default=0,
        help="stop writing after this many minutes and report the writes made (default: no limit); "
        "Ctrl-C during the writes does the same",
    )
    parser.add_argument("--cities", type=int, default=40, help="municipalities the warm runs and writes use")
    parser.add_argument("--service-pool", type=int, default=2000, help="active services to pick uses from")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds any request may take (default 600)"
    )
    parser.add_argument("--trivial-pause", type=float, default=0.01, help="seconds between trivial requests")
    parser.add_argument(
        "--trivial-timeout", type=float, default=30, help="seconds a trivial request may take"
    )
    parser.add_argument("--rss-every", type=float, default=0.1, help="seconds between RSS samples")
    parser.add_argument("--progress", type=int, default=20, help="a progress line every this many writes")
    parser.add_argument("--generate-timeout", type=float, default=3600)
    parser.add_argument("--start-timeout", type=float, default=300)
    args = parser.parse_args()
    if args.writes < 1 or args.repeat < 1:
        parser.error("--writes and --repeat must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="rolemap-freshness-"))
    sup = Supervisor()
    try:
        with sup:
            return run(sup, args, work)
    except Failed as exc:
        print(f"\n{exc}\n(logs of the processes it started: {sup.log_dir})", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a copy, or a store generated for this run only


if __name__ == "__main__":
    raise SystemExit(main())
