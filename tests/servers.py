"""Start real servers for tests: free loopback ports, readiness waits, clean shutdown.

Shared by the backend integration tests and the cross-component tests (importable as
``servers`` because pyproject.toml puts tests/ on the path).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from serve import (
    BACKEND_DIR,
    FRONTEND_DIR,
    GUNICORN_ARGV,
    ROOT,
    VENV_BIN,
    start_gunicorn,
    wait_until_up,
)
from serve import stop as serve_stop

__all__ = [
    "BACKEND_DIR",
    "FRONTEND_DIR",
    "GUNICORN_ARGV",
    "ROOT",
    "VENV_BIN",
    "Server",
    "run_gunicorn",
]

IN_CI = os.environ.get("CI", "").lower() == "true"

T = TypeVar("T")


def require_executable(name: str, *candidates: str) -> str:
    """Path of a tool the test needs; skip locally when missing, fail in CI."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (
            candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else None
        )
        if found:
            return found
    message = f"{name} is not installed (see docs/testing.md)"
    if IN_CI:
        pytest.fail(message + "; CI must install it")
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, timeout: float = 15.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll url until it answers anything below 500, within timeout seconds."""
    if not wait_until_up(url, process, timeout):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        raise TimeoutError(f"{url} did not answer within {timeout}s")


def wait_until(
    predicate: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll predicate until it returns something truthy (returned), within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(interval)


def child_pids(pid: int) -> set[int]:
    """PIDs of the live (non-zombie) child processes of pid, from /proc (Linux)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # Fields after the command name, which is in parentheses and may hold spaces.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            children.add(int(entry.name))
    return children


@dataclass
class Server:
    """A running server process and where to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """The log parsed as JSON lines; ValueError names the first line that is not JSON."""
        records = []
        for line in self.log().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                raise ValueError(f"log line is not a JSON object: {line!r}")
            records.append(record)
        return records

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send sig and wait for exit (killed after timeout); returns the exit code."""
        return serve_stop(self.process, sig, timeout)


@contextmanager
def run_gunicorn(
    env: Mapping[str, str] | None = None, workers: int = 2, port: int | None = None
) -> Iterator[Server]:
    """Run the production gunicorn command on a loopback port (a free one unless given)
    until the block exits."""
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="calculator-gunicorn-") as tmp:
        log_path = Path(tmp) / "server.log"
        full_env = {
            "CALCULATOR_HOST": "127.0.0.1",
            "CALCULATOR_PORT": str(port),
            "CALCULATOR_WORKERS": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(Path(tmp) / "metrics"),
            **(env or {}),
        }
        with log_path.open("wb") as log:
            process = start_gunicorn(full_env, stdout=log, stderr=subprocess.STDOUT)
        server = Server(process, port, log_path)
        try:
            wait_for_http(server.url + "/healthz", process=process)
            yield server
        finally:
            server.stop(signal.SIGINT, timeout=10)
