"""Faults under load: through the real nginx template and real gunicorn, and directly
against gunicorn as the debug NodePort reaches it, on loopback.

Rolling restarts lose no request of either method (a stopping backend drains, then closes
its listening socket instead of holding new connections it will never answer); a dead
backend is a prompt 502 problem+json; a backend that comes back gets traffic without nginx
being restarted. Slow, stalled and idle clients connected straight to gunicorn do not
keep other clients from being answered.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager

import hostile
import pytest
import requests
from dns_server import DnsServer
from nginx_server import BACKEND_NAME, nginx_resolving, run_nginx

from servers import Server, free_port, run_gunicorn, wait_until

pytestmark = pytest.mark.integration

# Every request must reach a backend: lift nginx's per-client rate limit.
NO_RATE_LIMIT = {"CALCULATOR_RATE_LIMIT_RPS": "100000", "CALCULATOR_RATE_LIMIT_BURST": "100000"}
# A short drain keeps the test short; the sequence is the production one.
BACKEND_ENV = {"CALCULATOR_DRAIN_SECONDS": "1"}
# Two pods behind one name: the name resolves to both addresses, on the same port.
ADDRESSES = ("127.0.0.1", "127.0.0.2")
CLIENTS = 4


def start_backend(stack: ExitStack, address: str, port: int) -> Server:
    """A backend on address:port, serving once this returns."""
    env = {**BACKEND_ENV, "CALCULATOR_HOST": address}
    server = stack.enter_context(run_gunicorn(env, port=port))
    url = f"http://{address}:{port}/healthz"

    def answers() -> bool:
        try:
            return requests.get(url, timeout=5).ok
        except requests.ConnectionError:
            return False  # still starting

    wait_until(answers, 30, f"the backend on {address}")
    return server


class Load:
    """Clients sending GET and POST /api/v1/evaluate through nginx until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url + "/api/v1/evaluate"
        self.done = threading.Event()
        self.answers: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, args=(i,)) for i in range(CLIENTS)]

    def _client(self, index: int) -> None:
        session = requests.Session()
        count = 0
        while not self.done.is_set():
            count += 1
            method = "GET" if (index + count) % 2 else "POST"
            try:
                if method == "GET":
                    response = session.get(self.url, params={"expression": "6*7"}, timeout=10)
                else:
                    response = session.post(self.url, json={"expression": "6*7"}, timeout=10)
                outcome = str(response.status_code)
                if response.status_code == 200 and response.json()["result"] != "42":
                    outcome = "wrong answer"
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with self.lock:
                self.answers[(method, outcome)] += 1

    def failures(self) -> dict[tuple[str, str], int]:
        return {key: n for key, n in self.answers.items() if key[1] != "200"}

    def served(self, method: str) -> int:
        return self.answers[(method, "200")]

    @contextmanager
    def running(self) -> Iterator[Load]:
        for thread in self.threads:
            thread.start()
        try:
            yield self
        finally:
            self.done.set()
            for thread in self.threads:
                thread.join(timeout=30)


def served_more(load: Load, extra: int) -> None:
    """Wait until the load has had `extra` more answers of each method."""
    goal = {m: load.served(m) + extra for m in ("GET", "POST")}
    wait_until(lambda: all(load.served(m) >= goal[m] for m in goal), 30, "answers under load")


def test_rolling_restart_loses_no_request() -> None:
    """SIGTERM one backend, start it again, then the other, under GET and POST load
    through nginx: every request is answered 200 with the right result.

    nginx finds the backends by name, as it finds a Service, through a test DNS server that
    gives both addresses; a request that one of them refuses or drops goes to the other.
    """
    port = free_port()
    with ExitStack() as stack:
        dns = stack.enter_context(closing(DnsServer()))
        dns.addresses[BACKEND_NAME] = list(ADDRESSES)
        backends = [start_backend(stack, address, port) for address in ADDRESSES]
        nginx = stack.enter_context(nginx_resolving(port, dns, **NO_RATE_LIMIT))
        with Load(nginx.url).running() as load:
            served_more(load, 20)
            for index, address in enumerate(ADDRESSES):
                stopped = backends[index]
                assert stopped.stop(signal.SIGTERM) == 0, stopped.log()[-3000:]
                served_more(load, 20)  # only the other backend is left
                backends[index] = start_backend(stack, address, port)
                served_more(load, 20)
        errors = [line for line in nginx.log().splitlines() if "[error]" in line]
        assert load.failures() == {}, (load.answers, errors[:3])
        assert min(load.served("GET"), load.served("POST")) >= 80


def test_backend_down_is_a_prompt_502_and_recovers_without_restarting_nginx() -> None:
    """With its only backend stopped, nginx answers 502 problem+json (within a 1 s client
    timeout); once the backend is back on the same port, requests succeed again."""
    port = free_port()
    with ExitStack() as stack:
        backend = stack.enter_context(run_gunicorn({"CALCULATOR_DRAIN_SECONDS": "0"}, port=port))
        nginx = stack.enter_context(run_nginx(port, **NO_RATE_LIMIT))
        url = nginx.url + "/api/v1/add?a=1&b=2"
        assert requests.get(url, timeout=5).status_code == 200
        assert backend.stop(signal.SIGTERM) == 0

        response = requests.get(url, timeout=1)
        assert response.status_code == 502
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "backend_unavailable"

        stack.enter_context(run_gunicorn({"CALCULATOR_DRAIN_SECONDS": "0"}, port=port))
        wait_until(lambda: requests.get(url, timeout=5).status_code == 200, 15, "recovery")
        assert nginx.process.poll() is None


@pytest.mark.parametrize(
    ("kind", "count"),
    [("slowloris", 200), ("idle", 1000), ("stalled_body", 200)],
)
def test_slow_and_idle_clients_do_not_stall_others(kind: str, count: int) -> None:
    """While `count` hostile clients hold connections to gunicorn directly (a request head
    sent a byte a second, nothing at all, or a body that never comes), other clients'
    requests are all answered, each within a 3 s client timeout (the attack lasts 4 s)."""
    with run_gunicorn() as backend:
        probes = hostile.attack(backend.port, kind, count, seconds=4.0, timeout=3.0)
    assert probes.failures == {}
    assert probes.latencies
