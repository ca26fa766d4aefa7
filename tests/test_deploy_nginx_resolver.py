"""nginx finds the backend by name per request: it starts before the name exists, answers
502 problem+json meanwhile, and follows the name when its address changes (a recreated
Service), without a restart.

Real nginx runs the real site template and the image's resolver template, asking a small
DNS server on a loopback port whose answers the test changes (TTL 1 s).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from dns_server import DnsServer
from nginx_server import BACKEND_NAME, nginx_resolving

from servers import run_gunicorn

pytestmark = pytest.mark.integration


def _status_becomes(url: str, status: int, within: float = 30.0) -> bool:
    """Poll url until it answers status (bounded in time and count)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if requests.get(url, timeout=5).status_code == status:
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    """The test's DNS server, knowing no names at first."""
    server = DnsServer()
    try:
        yield server
    finally:
        server.close()


def test_nginx_starts_before_the_backend_name_exists_and_follows_it(dns: DnsServer) -> None:
    """The backend's name does not resolve: nginx starts anyway and answers /api/ with 502
    problem+json. Once the name resolves to the running backend, /api/ answers 200; when
    the name moves to an address where nothing listens, 502 again; all without a restart."""
    with run_gunicorn() as backend, nginx_resolving(backend.port, dns) as nginx:
        url = nginx.url + "/api/v1/info"
        first = requests.get(url, timeout=10)
        assert first.status_code == 502
        assert first.headers["Content-Type"].startswith("application/problem+json")
        assert first.json()["code"] == "backend_unavailable"

        dns.addresses[BACKEND_NAME] = "127.0.0.1"
        assert _status_becomes(url, 200), nginx.log()[-2000:]

        dns.addresses[BACKEND_NAME] = "127.0.0.2"  # the Service recreated elsewhere
        assert _status_becomes(url, 502), nginx.log()[-2000:]
        assert nginx.process.poll() is None
