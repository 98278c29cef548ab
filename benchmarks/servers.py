"""Local servers for the benchmarks: a Neo4j started through tools/neo4j/run, and any other child
process, each in its own process group, all stopped on exit — also on Ctrl-C, SIGTERM or failure.

Every wait is bounded: a server that has not said it is ready in time, or that exits early, stops
the run with the tail of its log.

Also what the side-by-side benchmarks (neo4j_peer.py, peer.py) share: a query written for both
schemas (`Pair`), the check that both servers answer it with the same leaf values, wrk runs
interleaved rolemap, peer, rolemap, peer with every bad response failing the run, and the table.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NEO4J_RUN = REPO / "tools" / "neo4j" / "run"

DEFAULT_HEAP = "4g"
"""JVM heap for a Neo4j this module starts: `rolemap generate --scale M` writes ~570,000 nodes and
relationships in one transaction (see the report in benchmarks/neo4j_peer.py's docstring)."""
DEFAULT_PAGE_CACHE_MB = 2048
"""Holds the whole M store (about 1 GB on disk), so reads never go to disk."""


class Failed(RuntimeError):
    """A server did not start or a step failed; the message says which and shows its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Child:
    def __init__(self, name: str, proc: subprocess.Popen, log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise Failed(f"{self.name} exited with status {self.proc.returncode}:\n{tail(self.log)}")

    def peak_rss_mb(self) -> float | None:
        """The process's peak resident memory (VmHWM), while it runs."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None


class Supervisor:
    """Starts children in their own sessions and stops them all, newest first, on exit. Their
    output goes to NAME.log in `log_dir` (by default a temporary folder, removed after a clean run).

    Use as a context manager; SIGTERM (and SIGHUP) become SystemExit and SIGINT KeyboardInterrupt
    inside it, so the cleanup in `__exit__` runs however the run ends.
    """

    def __init__(self, log_dir: Path | None = None) -> None:
        self._own_logs = log_dir is None
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="rolemap-bench-logs-"))
        self.children: list[Child] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Supervisor:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._previous[sig] = signal.signal(sig, _exit_on_signal)
        # Ctrl-C raises KeyboardInterrupt even where a shell started us with SIGINT ignored (a
        # background job); the children run in their own sessions and never see it.
        self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.stop_all()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
        if exc_type is None and self._own_logs:  # the logs are kept only when something failed
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
    ) -> Child:
        """Start `argv` with its output in NAME.log; as `user` when given (this process is root)."""
        log = self.log_dir / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C reaches us, we stop it
                user=user,
            )
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def stop(self, child: Child, timeout: float = 30) -> None:
        if child.proc.poll() is None:
            _signal_group(child.proc, signal.SIGTERM)
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"{child.name} ignored SIGTERM for {timeout:.0f} s; killing it", file=sys.stderr)
                _signal_group(child.proc, signal.SIGKILL)
                child.proc.wait(10)
        if child in self.children:
            self.children.remove(child)

    def stop_all(self) -> None:
        # Ctrl-C during cleanup must not leave a server behind: ignore it until everything is down.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for child in reversed(list(self.children)):
                try:
                    self.stop(child)
                except Exception as exc:  # keep stopping the others
                    print(f"could not stop {child.name} (pid {child.pid}): {exc}", file=sys.stderr)
        finally:
            signal.signal(signal.SIGINT, previous)


def _exit_on_signal(signum, frame) -> None:
    print(f"\n{signal.Signals(signum).name}: stopping every process this run started", file=sys.stderr)
    raise SystemExit(128 + signum)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the group this module created for the child (start_new_session)


def wait_until(what: str, ready: Callable[[], bool], child: Child | None, timeout: float) -> None:
    """Poll `ready()` until it is true; fail after `timeout` seconds or if `child` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if child is not None:
            child.check_alive()
        try:
            if ready():
                return
        except Exception:  # not ready yet (connection refused and the like)
            pass
        if time.monotonic() > deadline:
            log = f":\n{tail(child.log)}" if child else ""
            raise Failed(f"{what} was not ready after {timeout:.0f} s{log}")
        time.sleep(0.25)


def log_says(child: Child, text: str) -> Callable[[], bool]:
    return lambda: text in child.log.read_text(errors="replace")


def start_neo4j(
    sup: Supervisor,
    data: Path,
    port: int | None = None,
    heap: str | None = None,
    page_cache_mb: int = DEFAULT_PAGE_CACHE_MB,
    timeout: float = 600,
) -> tuple[str, Child]:
    """A local Neo4j on 127.0.0.1 (tools/neo4j/run): its Bolt URI once it answers, and the child.
    The first run ever builds the server with Maven, hence the long default timeout."""
    port = port or free_port()
    heap = heap or os.environ.get("NEO4J_HEAP") or DEFAULT_HEAP
    child = sup.start(
        "neo4j",
        [str(NEO4J_RUN), "--port", str(port), "--data", str(data), "--page-cache-mb", str(page_cache_mb)],
        env={"NEO4J_HEAP": heap},
    )
    uri = f"bolt://127.0.0.1:{port}"
    wait_until(f"Neo4j on {uri}", log_says(child, "neo4j: ready on"), child, timeout)
    return uri, child


def neo4j_auth() -> tuple[str, str]:
    """User and password for Neo4j: rolemap's ROLEMAP_NEO4J_USER / ROLEMAP_NEO4J_PASSWORD when set.
    The local server has authentication off and takes any password, so the default is a dummy one."""
    user = os.environ.get("ROLEMAP_NEO4J_USER") or "neo4j"
    return user, os.environ.get("ROLEMAP_NEO4J_PASSWORD") or "x"


def neo4j_node_count(uri: str, timeout: float = 60) -> int:
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=neo4j_auth(), connection_timeout=timeout) as driver:
        records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS n", database_="neo4j")
        return records[0]["n"]


# rolemap itself: its CLI as a bounded child process, and its server ---------------------------------

ROLEMAP_CLI = REPO / ".venv" / "bin" / "rolemap"


def run_to_end(
    sup: Supervisor, name: str, argv: list[str], env: dict[str, str] | None = None, timeout: float = 600
) -> str:
    """Run a command as a supervised child (Ctrl-C or a signal stops it too) and wait at most
    `timeout` seconds for it to finish; its output (stdout and stderr together), or `Failed` with the
    tail of it when it fails or takes too long."""
    child = sup.start(name, argv, env=env)
    try:
        status = child.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        sup.stop(child)
        raise Failed(f"{name} did not finish within {timeout:.0f} s:\n{tail(child.log)}") from None
    sup.stop(child)  # already exited: only forgets it
    if status != 0:
        raise Failed(f"{name} exited with status {status}:\n{tail(child.log)}")
    return child.log.read_text(errors="replace")


def start_rolemap(
    sup: Supervisor,
    db: Path,
    port: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    name: str = "rolemap-serve",
) -> tuple[str, Child]:
    """`rolemap serve --no-seed` on 127.0.0.1 over the embedded store `db`: its base URL once
    /healthz answers, and the child (stopped with the supervisor; its output in NAME.log)."""
    import urllib.request

    port = port or free_port()
    child = sup.start(
        name,
        [str(ROLEMAP_CLI), "serve", "--no-seed", "--host", "127.0.0.1", "--port", str(port)],
        env={"ROLEMAP_STORE": "ladybug", "ROLEMAP_DB": str(db), **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return response.status == 200

    wait_until(f"rolemap on {base}", healthy, child, timeout)
    return base, child


def proc_status_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A memory figure of a running process from /proc/PID/status (VmRSS: resident now, VmHWM: the
    peak so far), in MB; None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(groups: set[int]) -> float:
    """CPU time (user + system, all threads) used so far by every live process in these process
    groups (a Supervisor child's group is its pid, and holds what it started: PostgreSQL's backends)."""
    ticks = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in groups:  # after the name: state ppid pgrp … utime(11) stime(12)
                ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_idle(children: list[Child], timeout: float = 60, window: float = 0.25, busy: float = 0.05) -> float:
    """Wait until these children (with their process groups) use less than `busy` of a core over
    `window` seconds, at most `timeout` seconds; the seconds waited.

    wrk stops at the end of a run without waiting for the requests still in flight, and a server
    goes on computing them: without this, that backlog (up to one request per connection) would
    run during the next wrk run, often the other server's."""
    groups = {child.pid for child in children}
    started = time.monotonic()
    before = cpu_seconds(groups)
    while time.monotonic() - started < timeout:
        time.sleep(window)
        now = cpu_seconds(groups)
        if now - before < busy * window:
            break
        before = now
    return time.monotonic() - started


# Installing what a benchmark needs -----------------------------------------------------------------
def ensure_debian_package(command: str, package: str, timeout: float = 900) -> str:
    """The path of `command`; when it is missing and this runs as root, `apt-get install -y
    PACKAGE` first (Debian's package; the package lists are fetched once if the install fails)."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() != 0:
        raise Failed(f"{command} is needed: install it (Debian: apt-get install -y {package}) and run again")
    print(f"{command} is missing: apt-get install -y {package}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if subprocess.run(install, env=env, capture_output=True, timeout=timeout).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=timeout)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise Failed(f"apt-get install -y {package} failed:\n{done.stderr[-1500:]}")
    found = shutil.which(command)
    if not found:
        raise Failed(f"apt-get install -y {package} did not give a {command} command")
    return found


def npm_ci(folder: Path, installed: Path, timeout: float = 900) -> None:
    """`npm ci` in `folder` (its committed package-lock.json) unless `installed` is already there."""
    if installed.exists():
        return
    if not shutil.which("npm"):
        raise Failed(f"Node.js 20+ with npm is needed for the peer ({folder.relative_to(REPO)})")
    print(f"{folder.relative_to(REPO)}: npm ci", flush=True)
    try:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise Failed(f"npm ci did not finish in {timeout:.0f} s in {folder}") from None
    if done.returncode != 0:
        raise Failed(f"npm ci failed in {folder}:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")


def two_free_ports() -> tuple[int, int]:
    first, second = free_port(), free_port()
    while second == first:
        second = free_port()
    return first, second


# Side by side: the same query to rolemap and a peer --------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """One query for both schemas, and the variables to send (one dict per id, rotated)."""

    name: str
    rolemap: str
    peer: str
    variables: list[dict]


def post(url: str, query: str, variables: dict, timeout: float = 60) -> dict:
    """The JSON a GraphQL server answers; an error status with a GraphQL body (some servers answer
    a query that fails validation with 400) is returned as that body, so its `errors` show."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("errors"):
            return answer
        raise Failed(f"{url} answered {exc.code}: {text[:600]}") from None


def http_ready(url: str) -> bool:
    """A GraphQL server at `url` answers `{ __typename }`."""
    return post(url, "{ __typename }", {}, timeout=5).get("data", {}).get("__typename") == "Query"


def leaves(value) -> list[str]:
    """Every scalar in a response, nulls left out, normalised as JSON text, sorted."""
    out: list[str] = []

    def walk(v) -> None:
        if isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)
        elif v is not None:
            out.append(json.dumps(v, ensure_ascii=False))

    walk(value)
    return sorted(out)


def check_same(pairs: list[Pair], rolemap_url: str, peer_url: str, peer_name: str = "peer") -> int:
    """Ask both servers every query with every id; fail loudly unless the leaf values agree."""
    checked = 0
    for pair in pairs:
        for variables in pair.variables:
            answers = {}
            for side, url, query in (
                ("rolemap", rolemap_url, pair.rolemap),
                (peer_name, peer_url, pair.peer),
            ):
                body = post(url, query, variables)
                if body.get("errors") or "data" not in body:
                    raise Failed(f"{side} failed {pair.name} {variables}: {json.dumps(body)[:800]}")
                answers[side] = leaves(body["data"])
            if answers["rolemap"] != answers[peer_name]:
                only_r = sorted(set(answers["rolemap"]) - set(answers[peer_name]))[:10]
                only_p = sorted(set(answers[peer_name]) - set(answers["rolemap"]))[:10]
                raise Failed(
                    f"the servers disagree on {pair.name} {variables}: "
                    f"{len(answers['rolemap'])} vs {len(answers[peer_name])} leaf values; "
                    f"only rolemap: {only_r}; only {peer_name}: {only_p}"
                )
            if pair.variables != [{}] and len(answers["rolemap"]) < 3:
                raise Failed(f"{pair.name} {variables} answered almost nothing: {answers['rolemap']}")
            checked += 1
    return checked


# wrk ---------------------------------------------------------------------------------------------
LUA = """
local bodies = { %(bodies)s }
local n = #bodies
local i = 0
bad = 0
first_bad = ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% n + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    if bad == 0 then first_bad = string.sub(body, 1, 300) end
    bad = bad + 1
  end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local b, first = 0, ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    if first == "" then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, b))
  if b > 0 then io.write("FIRST_BAD " .. first .. "\\n") end
end
"""


def lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_script(folder: Path, name: str, query: str, variables: list[dict]) -> Path:
    bodies = [json.dumps({"query": " ".join(query.split()), "variables": v}) for v in variables]
    path = folder / f"{name}.lua"
    path.write_text(LUA % {"bodies": ", ".join(lua_string(b) for b in bodies)})
    return path


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, script: Path, connections: int, seconds: int) -> Run:
    """One wrk run; fails on any bad response or socket error."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:  # subprocess.run kills wrk itself
        raise Failed(f"wrk did not finish a {seconds} s run on {url} in {seconds + 60} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise Failed(f"wrk failed ({done.returncode}) on {url}: {done.stdout[-600:]} {done.stderr[-600:]}")
    requests, duration, p50, p99, *errors, bad = (int(x) for x in lines[0].split()[1:])
    if any(errors) or bad:
        first = next((line for line in done.stdout.splitlines() if line.startswith("FIRST_BAD ")), "")
        raise Failed(
            f"{url}: {bad} bad responses, socket errors connect/read/write/status/timeout {errors} "
            f"in {requests} requests {first}"
        )
    if requests == 0:  # nothing finished within the run: no latency to report, 0 req/s
        return Run(0, duration / 1e6, math.nan, math.nan)
    return Run(requests, duration / 1e6, p50 / 1000, p99 / 1000)  # wrk reports microseconds


Results = dict[tuple[str, int, str], list[Run]]
"""(query name, connections, side) → one Run per round."""


def interleave(
    pairs: list[Pair],
    rolemap_url: str,
    peer_url: str,
    connections: list[int],
    rounds: int,
    duration: int,
    warmup: int,
    peer_name: str = "peer",
    on_run: Callable[[], None] | None = None,
    settle: Callable[[], None] | None = None,
) -> Results:
    """wrk on every query at every connection count: a warm-up per side, then rolemap, peer,
    rolemap, peer … for `rounds` rounds. `on_run` is called after each measured wrk run (to sample
    memory); `settle` after every wrk run, warm-ups too (to let the servers finish the requests wrk
    left unanswered when it stopped, see `wait_idle`)."""
    results: Results = {}
    scripts = Path(tempfile.mkdtemp(prefix="rolemap-peer-wrk-"))
    try:
        print(
            f"measuring: {len(pairs)} queries × {connections} connections × {rounds} rounds × 2 sides, "
            f"{duration} s each (+{warmup} s warm-up); load average now "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()),
            flush=True,
        )
        for n, pair in enumerate(pairs):
            sides = {
                "rolemap": (rolemap_url, wrk_script(scripts, f"q{n}-rolemap", pair.rolemap, pair.variables)),
                peer_name: (peer_url, wrk_script(scripts, f"q{n}-peer", pair.peer, pair.variables)),
            }
            for conns in connections:
                for url, script in sides.values():
                    wrk(url, script, conns, warmup)
                    if settle:
                        settle()
                for _ in range(rounds):
                    for side, (url, script) in sides.items():
                        results.setdefault((pair.name, conns, side), []).append(
                            wrk(url, script, conns, duration)
                        )
                        if on_run:
                            on_run()
                        if settle:
                            settle()
                r = results[(pair.name, conns, "rolemap")]
                p = results[(pair.name, conns, peer_name)]
                print(
                    f"  {pair.name} c={conns}: rolemap "
                    + "/".join(_rate(x.rps) for x in r)
                    + f" req/s, {peer_name} "
                    + "/".join(_rate(x.rps) for x in p)
                    + " req/s",
                    flush=True,
                )
    finally:
        shutil.rmtree(scripts, ignore_errors=True)
    return results


def print_table(pairs: list[Pair], connections: list[int], results: Results, peer_name: str = "peer") -> None:
    width = max(27, *(len(p.name) for p in pairs))
    peer_rps = f"{peer_name} req/s"
    ratio_head = f"rolemap/{peer_name}"
    rate_width, ratio_width = max(10, len(peer_rps)), max(12, len(ratio_head))
    print()
    head = f"{'query':<{width}} {'conns':>5}  {'rolemap req/s':>13} {'p50 ms':>7} {'p99 ms':>7}"
    head += f"  {peer_rps:>{rate_width}} {'p50 ms':>7} {'p99 ms':>7}  {ratio_head:>{ratio_width}}"
    print(head)
    print("-" * len(head))
    for pair in pairs:
        for conns in connections:
            cells = []
            rps = {}
            for side in ("rolemap", peer_name):
                runs = results[(pair.name, conns, side)]
                rps[side] = statistics.mean(r.rps for r in runs)
                p50 = _median([r.p50_ms for r in runs])
                p99 = _median([r.p99_ms for r in runs])
                cell_width = 13 if side == "rolemap" else rate_width
                cells.append(f"{_rate(rps[side]):>{cell_width}} {p50:>7.1f} {p99:>7.1f}")
            ratio = rps["rolemap"] / rps[peer_name] if rps[peer_name] else math.inf
            print(f"{pair.name:<{width}} {conns:>5}  {cells[0]}  {cells[1]}  {ratio:>{ratio_width}.2f}")
    print(
        "\nreq/s: mean of the rounds (below 10: one decimal); p50/p99: median of the rounds' wrk percentiles "
        f"(nan: no request finished within a run); rolemap/{peer_name}: rolemap req/s ÷ {peer_name} req/s"
    )


def _median(values: list[float]) -> float:
    finished = [v for v in values if not math.isnan(v)]
    return statistics.median(finished) if finished else math.nan


def _rate(rps: float) -> str:
    return f"{rps:,.1f}" if rps < 10 else f"{rps:,.0f}"
