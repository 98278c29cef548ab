"""Local servers for the benchmarks: a Neo4j started through tools/neo4j/run, and any other child
process, each in its own process group, all stopped on exit — also on Ctrl-C, SIGTERM or failure.

Every wait is bounded: a server that has not said it is ready in time, or that exits early, stops
the run with the tail of its log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
        self, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> Child:
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
