"""Start real nginx with the real site templates, the way `make run` does (tools/serve.py)."""

from __future__ import annotations

import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dns_server import DnsServer

import serve
from servers import FRONTEND_DIR, Server, free_port, require_executable, wait_for_http


def nginx_binary() -> str:
    """Path of nginx; skips locally when it is missing and fails in CI."""
    return require_executable("nginx", *serve.NGINX_CANDIDATES)


def site_env(backend_port: int, port: int, **overrides: str) -> dict[str, str]:
    """Template variables for a loopback nginx in front of a loopback backend."""
    return {
        "CALCULATOR_BACKEND_HOST": "127.0.0.1",
        "CALCULATOR_BACKEND_PORT": str(backend_port),
        "CALCULATOR_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "CALCULATOR_STATIC_ROOT": str(FRONTEND_DIR),
        **overrides,
    }


@contextmanager
def run_nginx(backend_port: int, **overrides: str) -> Iterator[Server]:
    """Run nginx on a free loopback port, proxying /api/ to backend_port, until exit.

    Keyword arguments override template variables (e.g. CALCULATOR_RATE_LIMIT_RPS="1"). The
    server's log holds nginx's stdout (JSON access log) and stderr (error log).
    """
    nginx = nginx_binary()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="calculator-nginx-") as tmp:
        workdir = Path(tmp)
        argv = serve.write_nginx_config(workdir, site_env(backend_port, port, **overrides), nginx)
        log_path = workdir / "server.log"
        # Append mode: nginx opens /dev/stdout (the access log) anew, with O_APPEND, while
        # the error log writes to the inherited stderr; without O_APPEND there, error lines
        # would overwrite access lines at a stale offset.
        with log_path.open("ab") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        server = Server(process, port, log_path, extra={"workdir": tmp})
        try:
            wait_for_http(server.url + "/healthz", timeout=15, process=process)
            yield server
        finally:
            server.stop(signal.SIGTERM, timeout=10)


BACKEND_NAME = "calculator-backend.test"
RESOLVER_TEMPLATE = FRONTEND_DIR / "nginx" / "image" / "resolver.conf.template"


@contextmanager
def nginx_resolving(backend_port: int, dns: DnsServer, **overrides: str) -> Iterator[Server]:
    """nginx with the site and the image's resolver config, the backend given by name
    (BACKEND_NAME, which `dns` answers for); keyword arguments override template variables."""
    port = free_port()
    env = site_env(backend_port, port, CALCULATOR_BACKEND_HOST=BACKEND_NAME, **overrides)
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
