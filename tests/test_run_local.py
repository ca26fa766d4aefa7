"""`make run` (tools/run_local.py): both servers up, Ctrl-C stops everything it started and
frees its ports at once, a dying child takes the other down, and the no-nginx fallback
serves the same UI and API."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from nginx_server import nginx_binary

import serve
from calculator import problems
from servers import ROOT, free_port, wait_for_http

pytestmark = pytest.mark.integration

RUN_LOCAL = ROOT / "tools" / "run_local.py"


@dataclass
class LocalRun:
    process: subprocess.Popen[bytes]
    ui_port: int
    api_port: int
    log_path: Path

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pid_of(self, name: str) -> int:
        match = re.search(rf"run_local: {name} pid (\d+)", self.output())
        assert match, self.output()
        return int(match.group(1))


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def local_run(
    tmp_path: Path, *extra: str, code: str | None = None, sigint_ignored: bool = False
) -> Iterator[LocalRun]:
    """Start run_local.py (or `python -c code` using it) on free ports; always stop it.

    sigint_ignored starts it the way a non-interactive shell starts a background job.
    """
    ui_port, api_port = free_port(), free_port()
    ports = ["--ui-port", str(ui_port), "--api-port", str(api_port), *extra]
    argv = [sys.executable, "-c", code, *ports] if code else [sys.executable, RUN_LOCAL, *ports]
    log_path = tmp_path / "run_local.log"
    with log_path.open("ab") as log:  # O_APPEND: nginx writes to it through two descriptors
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_ignore_sigint if sigint_ignored else None,  # noqa: PLW1509
        )
    run = LocalRun(process, ui_port, api_port, log_path)
    try:
        wait_for_http(run.ui + "/healthz", timeout=30, process=process)
        deadline = time.monotonic() + 10
        while "Ctrl-C stops both" not in run.output():  # start-up finished
            assert time.monotonic() < deadline, run.output()
            time.sleep(0.05)
        yield run
    finally:
        serve.stop(process, signal.SIGINT, timeout=30)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_make_run_serves_ui_and_api_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    """run_local.py serves the UI through nginx and the API behind it; Ctrl-C (SIGINT)
    exits 0 and leaves neither server running nor listening, even when started with
    SIGINT ignored (as a background job of a script)."""
    nginx_binary()
    with local_run(tmp_path, sigint_ignored=True) as run:
        assert "nginx pid" in run.output()
        page = requests.get(run.ui + "/", timeout=5)
        assert page.status_code == 200
        assert "Content-Security-Policy" in page.headers
        answer = requests.post(run.ui + "/api/v1/evaluate", json={"expression": "6*7"}, timeout=5)
        assert answer.json()["result"] == "42"
        direct = requests.get(f"http://127.0.0.1:{run.api_port}/api/v1/info", timeout=5)
        assert direct.status_code == 200
        pids = run.pid_of("backend"), run.pid_of("nginx")

        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=30) == 0
    assert all(wait_gone(pid) for pid in pids)
    assert not listening(run.ui_port)
    assert not listening(run.api_port)


@pytest.mark.parametrize(("dying", "survivor"), [("backend", "nginx"), ("nginx", "backend")])
def test_a_dying_server_stops_the_other(tmp_path: Path, dying: str, survivor: str) -> None:
    """If either server dies, run_local.py stops the other (nginx's orphaned workers too)
    and exits non-zero."""
    nginx_binary()
    with local_run(tmp_path) as run:
        survivor_pid = run.pid_of(survivor)
        os.kill(run.pid_of(dying), signal.SIGKILL)
        assert run.process.wait(timeout=30) == 1
        assert f"{dying} exited" in run.output()
    assert wait_gone(survivor_pid)
    assert not listening(run.api_port)
    assert not listening(run.ui_port)


def test_restart_right_after_ctrl_c(tmp_path: Path) -> None:
    """Ctrl-C, then `make run` again at once on the same ports, starts: connections the
    servers closed (now in TIME_WAIT) do not make a port look busy."""
    nginx_binary()
    with local_run(tmp_path) as run:
        for url in (run.ui + "/", f"http://127.0.0.1:{run.api_port}/healthz"):
            # The server closes first, so its side of the connection waits in TIME_WAIT.
            assert requests.get(url, headers={"Connection": "close"}, timeout=5).ok
        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=30) == 0
    again = subprocess.Popen(
        [sys.executable, RUN_LOCAL, "--ui-port", str(run.ui_port), "--api-port", str(run.api_port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(run.ui + "/healthz", timeout=30, process=again)
    finally:
        again.send_signal(signal.SIGINT)
        output = again.communicate(timeout=30)[0].decode()
    assert "in use" not in output
    assert again.returncode == 0, output


def test_without_nginx_the_fallback_serves_the_same_ui(tmp_path: Path) -> None:
    """With no nginx found, run_local.py says how to install it and serves the UI with its
    fallback: the page and its assets, /api/ passed to the backend with the backend's
    headers, /healthz, nothing else, and its own errors as nginx's problem documents."""
    code = (
        "import sys; sys.path.insert(0, 'tools'); import serve; serve.NGINX_CANDIDATES = (); "
        "import run_local; sys.exit(run_local.main(sys.argv[1:]))"
    )
    with local_run(tmp_path, code=code) as run:
        output = run.output()
        assert "sudo apt-get install nginx" in output
        assert "brew install nginx" in output
        assert "nginx pid" not in output
        page = requests.get(run.ui + "/?q=1%2B1", timeout=5)
        assert page.status_code == 200
        assert "<html" in page.text
        script = requests.get(run.ui + "/assets/js/app.js", timeout=5)
        assert "javascript" in script.headers["Content-Type"]
        answer = requests.post(run.ui + "/api/v1/evaluate", json={"expression": "1/0"}, timeout=5)
        assert answer.status_code == 422
        assert answer.json()["code"] == "division_by_zero"
        assert answer.headers["X-Served-By"]
        assert answer.headers["X-Request-ID"] == answer.json()["request_id"]
        other = requests.delete(run.ui + "/api/v1/add", timeout=5)  # the backend's answer
        assert (other.status_code, other.json()["code"]) == (405, "method_not_allowed")
        assert "GET" in other.headers["Allow"]
        assert requests.head(run.ui + "/api/v1/info", timeout=5).status_code == 200
        refused = requests.put(run.ui + "/", timeout=5)
        assert (refused.status_code, refused.json()["code"]) == (405, "method_not_allowed")
        assert refused.headers["X-Request-ID"] == refused.json()["request_id"]
        for path in ("/run_local.py", "/Dockerfile", "/assets/", "/assets/nowhere.js"):
            missing = requests.get(run.ui + path, timeout=5)  # no listing, no HTML page
            assert missing.status_code == 404, path
            assert missing.headers["Content-Type"] == problems.MIME, path
            assert missing.json()["code"] == "not_found", path
        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=30) == 0
    assert not listening(run.ui_port)
    assert not listening(run.api_port)


@pytest.mark.parametrize("busy_option", ["--ui-port", "--api-port"])
def test_busy_port_is_reported(busy_option: str) -> None:
    """A port already in use is reported with a whole command that runs on a free port
    (`make run` takes no options, so naming one is not enough); nothing starts."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        other = "--api-port" if busy_option == "--ui-port" else "--ui-port"
        other_port = free_port()
        result = subprocess.run(
            [sys.executable, RUN_LOCAL, busy_option, str(port), other, str(other_port)],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stdout
    shown = os.path.relpath(sys.executable, ROOT)
    if shown.startswith(".."):
        shown = sys.executable
    match = re.search(rf"^    {re.escape(shown)} tools/run_local.py (.+)$", result.stdout, re.M)
    assert match, result.stdout
    options = match.group(1).split()
    assert options[options.index(other) + 1] == str(other_port)
    assert int(options[options.index(busy_option) + 1]) > port  # the next free one


def test_help_lists_the_options() -> None:
    """--help documents the port options and the fallback switch."""
    result = subprocess.run(
        [sys.executable, RUN_LOCAL, "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    for option in ("--ui-port", "--api-port", "--no-nginx"):
        assert option in result.stdout
