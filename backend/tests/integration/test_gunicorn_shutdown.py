"""Shutdown as Kubernetes drives it: SIGTERM drains, in-flight requests finish, exit 0."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import time
from pathlib import Path

import pytest
import requests

from servers import Server, run_gunicorn, wait_until

pytestmark = pytest.mark.integration

TIMEOUT = 5
DRAIN = 2.0
GRACEFUL = 20  # the default GRACEFUL_TIMEOUT


def runtime_dir(server: Server) -> Path:
    """The private runtime directory the master announced in its log."""
    for record in server.log_records():
        found = re.match(r"runtime directory (\S+),", record.get("message", ""))
        if found:
            return Path(found.group(1))
    raise AssertionError("the master did not log its runtime directory")


def logged(server: Server, message: str) -> bool:
    return any(record.get("message", "").startswith(message) for record in server.log_records())


def fresh_get(server: Server, path: str) -> requests.Response:
    """GET on a new connection, as a kubelet probe or a new client would."""
    return requests.get(server.url + path, headers={"Connection": "close"}, timeout=TIMEOUT)


def test_sigterm_drains_then_completes_in_flight_request() -> None:
    """After SIGTERM /readyz is 503 at once while requests are still served; after the drain
    the graceful stop lets a half-uploaded request finish, then the master exits 0."""
    with run_gunicorn(env={"SHUTDOWN_DRAIN_SECONDS": str(DRAIN)}) as server:
        runtime = runtime_dir(server)
        assert runtime.is_dir()
        body = json.dumps({"expression": "2*(3+4)^2"}).encode()
        head = (
            "POST /api/v1/evaluate HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "X-Request-ID: in-flight-upload\r\n"
            "\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as upload:
            # A slow client: headers and half the body now, the rest after the drain.
            upload.sendall(head + body[: len(body) // 2])
            time.sleep(0.3)  # let a worker read the head and start waiting for the body

            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)

            # (a list: a 503 Response is falsy)
            ready = wait_until(
                lambda: [r for r in [fresh_get(server, "/readyz")] if r.status_code == 503],
                1.0,
                "/readyz answering 503 after SIGTERM",
            )[0]
            readiness_lost = time.monotonic() - started
            assert ready.json() == {"status": "draining"}
            assert ready.headers["Connection"] == "close"
            assert (runtime / "draining").exists()
            # Still live, and still serving: traffic in flight towards this pod is answered.
            assert fresh_get(server, "/healthz").status_code == 200
            during = fresh_get(server, "/api/v1/add?a=0.1&b=0.2")
            assert (during.status_code, during.json()["result"]) == (200, "0.3")
            # A kept-alive client (nginx) is told to reconnect, to a pod that is ready.
            with requests.Session() as session:
                kept = session.get(f"{server.url}/api/v1/add?a=1&b=1", timeout=TIMEOUT)
                assert kept.headers["Connection"] == "close"

            wait_until(
                lambda: logged(server, "graceful stop"), DRAIN + 3, "the graceful stop to begin"
            )
            drained = time.monotonic() - started
            assert server.process.poll() is None, "the master waits for the in-flight request"

            upload.sendall(body[len(body) // 2 :])
            response = http.client.HTTPResponse(upload)
            response.begin()
            answer = json.loads(response.read())
        assert response.status == 200
        assert answer["result"] == "98"

        exit_code = server.process.wait(timeout=GRACEFUL + 5)
        stopped = time.monotonic() - started
        assert exit_code == 0
        assert readiness_lost < 1.0
        assert DRAIN - 0.1 <= drained < DRAIN + 2
        assert stopped < DRAIN + GRACEFUL
        assert not runtime.exists(), "the runtime directory is removed on exit"
        print(  # shown with pytest -s: the measured shutdown timeline
            f"readyz 503 after {readiness_lost:.2f}s, graceful stop after {drained:.2f}s, "
            f"exit after {stopped:.2f}s"
        )


def test_second_sigterm_skips_the_rest_of_the_drain() -> None:
    """A second SIGTERM during the drain starts the graceful stop at once."""
    with run_gunicorn(env={"SHUTDOWN_DRAIN_SECONDS": "30"}) as server:
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        wait_until(lambda: logged(server, "draining for 30s"), 2, "the drain to begin")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT], ids=["SIGINT", "SIGQUIT"])
def test_interrupt_is_a_quick_shutdown(sig: signal.Signals) -> None:
    """Ctrl-C (SIGINT) and SIGQUIT stop at once, without the drain."""
    with run_gunicorn(env={"SHUTDOWN_DRAIN_SECONDS": "30"}) as server:
        runtime = runtime_dir(server)
        started = time.monotonic()
        server.process.send_signal(sig)
        assert server.process.wait(timeout=10) == 0
        assert time.monotonic() - started < 3
        assert not runtime.exists()


def test_zero_drain_stops_gracefully_at_once() -> None:
    """SHUTDOWN_DRAIN_SECONDS=0 goes straight to the graceful stop on SIGTERM."""
    with run_gunicorn(env={"SHUTDOWN_DRAIN_SECONDS": "0"}) as server:
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
        assert time.monotonic() - started < 3
        assert logged(server, "graceful stop")
