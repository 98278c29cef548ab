"""Real processes for tests: `rolemap serve` and the local Neo4j launcher, on loopback, each wait
bounded in time, each process stopped when the test ends."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any ROLEMAP_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEMAP_")}
    env.update(extra or {})
    return env


def get(url: str, timeout: float = 5) -> tuple[int, dict]:
    """Status and JSON body; an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def post(
    url: str, query: str, variables: dict | None = None, timeout: float = 30, token: str | None = None
) -> tuple[int, dict]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"http_error": exc.read().decode(errors="replace")}


class Server:
    """`rolemap serve` in its own process on a free loopback port."""

    def __init__(self, env: dict[str, str], *args: str, token: str | None = None) -> None:
        self.token = token
        """Sent as the bearer token with every `graphql` request."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rolemap.cli", "serve", "--port", str(self.port), *args],
            env=clean_env(env),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self, seconds: float = 60) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            try:
                status, body = get(f"{self.base}/readyz")
                if status == 200:
                    return body
            except OSError:
                pass
            assert self.process.poll() is None, f"the server exited: {self.output()}"
            assert time.monotonic() < deadline, f"the server was not ready within {seconds} s"
            time.sleep(0.2)

    def graphql(self, query: str, **variables) -> dict:
        """`data` of a request that must succeed."""
        status, body = post(f"{self.base}/graphql", query, variables, token=self.token)
        assert status == 200 and "errors" not in body, body
        return body["data"]

    def output(self) -> str:
        if self.process.poll() is None:
            self.stop()
        return self.process.stdout.read() if self.process.stdout else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


LAUNCHER = REPO / "tools" / "neo4j" / "run"


def can_launch_neo4j() -> bool:
    return bool(shutil.which("java") and shutil.which("mvn"))


class LocalNeo4j:
    """A Neo4j of its own for a test that stops and restarts the server (tools/neo4j/run)."""

    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = 240) -> LocalNeo4j:
        path = self.data.parent / f"neo4j-{self.port}.log"
        offset = path.stat().st_size if path.exists() else 0
        log = open(path, "a")  # noqa: SIM115 (the process writes to it)
        self.process = subprocess.Popen(
            [str(LAUNCHER), "--port", str(self.port), "--data", str(self.data), "--page-cache-mb", "64"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + seconds
        ready = f"ready on {self.uri}"
        while ready not in path.read_text(errors="replace")[offset:]:
            assert self.process.poll() is None, f"Neo4j exited: see {path}"
            assert time.monotonic() < deadline, f"Neo4j did not start within {seconds} s"
            time.sleep(0.3)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
