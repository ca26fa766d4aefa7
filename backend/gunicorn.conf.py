"""Production gunicorn settings; every value comes from the environment, with a default.

Read by the production command, run from backend/ (the image's WORKDIR holds the same):
    gunicorn --config gunicorn.conf.py

Settings only: the worker class and the server hooks live in calculator/serving.py.
Importing this file has no side effects (tests read its defaults). The container's root
file system is read-only, so the only writes go to /dev/shm (or the temp directory).
"""

from __future__ import annotations

import os
from typing import Any

from calculator.serving import (
    DEFAULT_DRAIN_SECONDS as DEFAULT_SHUTDOWN_DRAIN_SECONDS,
)
from calculator.serving import (
    bind_address,
    child_exit,
    drain_seconds,
    env_int,
    on_exit,
    pre_request,
    shm_dir,
    when_ready,
)

# gunicorn's hooks, and the drain default the deployment tests read from this file.
__all__ = ["DEFAULT_SHUTDOWN_DRAIN_SECONDS", "child_exit", "on_exit", "pre_request", "when_ready"]

DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - a container must listen on its pod address
DEFAULT_PORT = 5000
DEFAULT_WORKERS = 2
DEFAULT_WORKER_CONNECTIONS = 1000
# Idle keep-alive connections of clients that reuse them (load balancers, the debug
# NodePort's clients); a gevent worker holds one for the price of a greenlet.
DEFAULT_KEEPALIVE = 75
DEFAULT_GRACEFUL_TIMEOUT = 20
DEFAULT_LOG_LEVEL = "info"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _env_log_level() -> str:
    raw = os.environ.get("CALCULATOR_LOG_LEVEL", "").strip().lower() or DEFAULT_LOG_LEVEL
    if raw not in LOG_LEVELS:
        raise ValueError(f"CALCULATOR_LOG_LEVEL={raw!r}: expected one of {', '.join(LOG_LEVELS)}")
    return raw


# --- Serving ------------------------------------------------------------------------

# The application, loaded in each worker after when_ready has set its environment.
wsgi_app = "calculator.app:create_app()"
preload_app = False

host = os.environ.get("CALCULATOR_HOST", "").strip() or DEFAULT_HOST
bind = [bind_address(host, env_int("CALCULATOR_PORT", DEFAULT_PORT, 1))]
workers = env_int("CALCULATOR_WORKERS", DEFAULT_WORKERS, 1)
# gevent plus fair shares per client, a drain on SIGTERM and problem+json answers to
# malformed HTTP (calculator/serving.py says why; docs/benchmarks.md has the figures).
worker_class = "calculator.serving.Worker"
# Connections one worker holds at once (idle and slow ones included); each is a greenlet.
worker_connections = env_int("CALCULATOR_WORKER_CONNECTIONS", DEFAULT_WORKER_CONNECTIONS, 1)
keepalive = env_int("CALCULATOR_KEEPALIVE", DEFAULT_KEEPALIVE, 0)
# A worker whose main loop has not checked in for this long is wedged: the master kills
# and replaces it. (No request computes for more than milliseconds: the engine bounds
# every computation, so this is no request timeout.)
timeout = 30
# The drain (CALCULATOR_DRAIN_SECONDS) plus finishing in-flight requests must fit in it.
graceful_timeout = env_int("CALCULATOR_GRACEFUL_TIMEOUT", DEFAULT_GRACEFUL_TIMEOUT, 1)
# Not a gunicorn setting; read here so a bad value stops start-up like the others.
shutdown_drain_seconds = drain_seconds()
if shutdown_drain_seconds >= graceful_timeout:
    # The master kills workers graceful_timeout after SIGTERM, drained or not.
    raise ValueError(
        f"CALCULATOR_DRAIN_SECONDS={shutdown_drain_seconds:g} must be shorter than "
        f"CALCULATOR_GRACEFUL_TIMEOUT={graceful_timeout}"
    )
# Worker heartbeat files are touched constantly: keep them in memory, not on disk.
worker_tmp_dir = shm_dir()

# Bounds on what a client can make the parser buffer before the app sees anything.
# A request line of 4094 bytes holds an ASCII expression of 1,000 characters even with
# every character percent-encoded (about 3,000 bytes), but not every valid expression:
# a non-ASCII character (pi as π, ×, −, √) is 6 to 9 bytes once percent-encoded, so a
# 999-character π×π×… needs about 6 KB. No line limit would fit them all (gunicorn's
# ceiling is 8190 bytes, and 1,000 × 9 is more): long or non-ASCII expressions belong in
# a POST JSON body, and the 414 problem+json says so. 50 headers of at most 8190 bytes are
# far above what browsers and nginx send (nginx's header buffers are 8k) and cap a request
# head at about 400 KiB of memory.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# X-Forwarded-* headers are trusted only from these addresses. In the cluster nginx
# forwards plain HTTP, so nothing here depends on them, and the debug NodePort reaches
# gunicorn directly: trusting every peer would let any client spoof them.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 25+ opens a control socket under $XDG_RUNTIME_DIR or ~/.gunicorn by default;
# the home directory is read-only in the container and the feature is not used.
control_socket_disable = True


# --- Logging: every line the container prints is one JSON object ---------------------

loglevel = _env_log_level()
# The app writes its own JSON line per request, with the request ID and route.
accesslog = None
errorlog = "-"
# gunicorn merges this over its defaults one top-level key at a time, so each key is
# given in full. The root logger gets the JSON handler too: a warning from a library
# would otherwise reach Python's last-resort handler and print plain text on stderr.
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "calculator.requestlog.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "WARNING", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
