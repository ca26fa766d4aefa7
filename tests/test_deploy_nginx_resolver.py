"""nginx finds the backend by name per request: it starts before the name exists, answers
502 problem+json meanwhile, and follows the name when its address changes (a recreated
Service), without a restart.

Real nginx runs the real site template and the image's resolver template, asking a small
DNS server on a loopback port whose answers the test changes (TTL 1 s).
"""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from nginx_server import nginx_binary, site_env

import serve
from servers import FRONTEND_DIR, Server, free_port, run_gunicorn, wait_for_http

pytestmark = pytest.mark.integration

BACKEND_NAME = "calculator-backend.test"
RESOLVER_TEMPLATE = FRONTEND_DIR / "nginx" / "image" / "resolver.conf.template"


class DnsServer:
    """Answers A queries for the names in `addresses` (TTL 1 s); AAAA queries for them with
    no records; anything else with NXDOMAIN."""

    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                query, client = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            self.sock.sendto(self._answer(query), client)

    def _answer(self, query: bytes) -> bytes:
        ident, _flags, _qd, _an, _ns, _ar = struct.unpack("!6H", query[:12])
        labels, offset = [], 12
        while query[offset]:
            length = query[offset]
            labels.append(query[offset + 1 : offset + 1 + length].decode().lower())
            offset += 1 + length
        question = query[12 : offset + 5]
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        address = self.addresses.get(".".join(labels))
        if address is None:
            return struct.pack("!6H", ident, 0x8183, 1, 0, 0, 0) + question  # NXDOMAIN
        if qtype != 1:
            return struct.pack("!6H", ident, 0x8180, 1, 0, 0, 0) + question  # no records
        record = struct.pack("!HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(address)
        return struct.pack("!6H", ident, 0x8180, 1, 1, 0, 0) + question + record

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


@contextmanager
def nginx_resolving(backend_port: int, dns: DnsServer) -> Iterator[Server]:
    """nginx with the site and the image's resolver config, the backend given by name."""
    port = free_port()
    env = site_env(backend_port, port, CALCULATOR_BACKEND_HOST=BACKEND_NAME)
    with tempfile.TemporaryDirectory(prefix="calculator-nginx-") as tmp:
        workdir = Path(tmp)
        argv = serve.write_nginx_config(workdir, env, nginx_binary())
        resolver = {"CALCULATOR_RESOLVER": f"127.0.0.1:{dns.port}"}
        (workdir / "conf.d" / "resolver.conf").write_text(
            serve.render(RESOLVER_TEMPLATE.read_text(encoding="utf-8"), resolver)
        )
        log_path = workdir / "server.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        server = Server(process, port, log_path)
        try:
            wait_for_http(server.url + "/healthz", timeout=15, process=process)
            yield server
        finally:
            server.stop(signal.SIGTERM, timeout=10)


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
