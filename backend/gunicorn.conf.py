"""Production gunicorn settings; every value comes from the environment, with a default.

Read by the production command, run from backend/ (the image's WORKDIR holds the same):
    gunicorn --config gunicorn.conf.py

Importing this file has no side effects (tests read its defaults); everything that
touches the file system or the process happens in gunicorn's server hooks below.
The container's root file system is read-only, so the only writes go to /dev/shm
(or the temp dir when /dev/shm is missing).
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import shutil
import signal
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from calculator import problems
from calculator.drain import DRAIN_FILE_ENV

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.http.message import Request
    from gunicorn.workers.base import Worker

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
SHM_DIR = "/dev/shm"  # noqa: S108 - tmpfs, writable even with a read-only root file system

DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - a container must listen on its pod address
DEFAULT_PORT = 5000
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
# nginx closes idle upstream connections after 60 s (keepalive_timeout in the frontend
# template). The backend must hold them longer, or nginx may send a request on a
# connection gunicorn is closing at that moment and answer 502.
DEFAULT_KEEPALIVE = 75
DEFAULT_GRACEFUL_TIMEOUT = 20
DEFAULT_SHUTDOWN_DRAIN_SECONDS = 5.0
DEFAULT_LOG_LEVEL = "info"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _env_int(name: str, default: int, minimum: int) -> int:
    """Integer setting from the environment; a bad value stops start-up with its name."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(f"{name}={raw!r}: expected an integer >= {minimum}")
    return value


def _env_seconds(name: str, default: float) -> float:
    """Non-negative number of seconds from the environment."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 3600:  # also rejects nan and inf
        raise ValueError(f"{name}={raw!r}: expected seconds between 0 and 3600")
    return value


def _env_log_level() -> str:
    raw = os.environ.get("CALCULATOR_LOG_LEVEL", "").strip().lower() or DEFAULT_LOG_LEVEL
    if raw not in LOG_LEVELS:
        raise ValueError(f"CALCULATOR_LOG_LEVEL={raw!r}: expected one of {', '.join(LOG_LEVELS)}")
    return raw


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


# --- Serving ------------------------------------------------------------------------

# The application, loaded in each worker (see preload_app).
wsgi_app = "calculator.app:create_app()"

host = os.environ.get("CALCULATOR_HOST", "").strip() or DEFAULT_HOST
bind = [_bind_address(host, _env_int("CALCULATOR_PORT", DEFAULT_PORT, 1))]
workers = _env_int("CALCULATOR_WORKERS", DEFAULT_WORKERS, 1)
# Threads let one worker hold nginx's idle keep-alive connections without tying up a
# process per connection (the sync worker closes every connection after one request).
worker_class = "gthread"
threads = _env_int("CALCULATOR_THREADS", DEFAULT_THREADS, 1)
keepalive = _env_int("CALCULATOR_KEEPALIVE", DEFAULT_KEEPALIVE, 0)
# A worker whose main loop has not checked in for this long is wedged: the master kills
# and replaces it. (gthread checks in between requests, so this is no request timeout;
# the engine bounds every computation to milliseconds instead.)
timeout = 30
graceful_timeout = _env_int("CALCULATOR_GRACEFUL_TIMEOUT", DEFAULT_GRACEFUL_TIMEOUT, 1)
# Not a gunicorn setting: how long the first SIGTERM drains before the graceful stop
# (see when_ready). Read here so a bad value stops start-up like the others.
shutdown_drain_seconds = _env_seconds("CALCULATOR_DRAIN_SECONDS", DEFAULT_SHUTDOWN_DRAIN_SECONDS)
# Worker heartbeat files are touched constantly: keep them in memory, not on disk
# (and the root file system is read-only in Kubernetes).
worker_tmp_dir = SHM_DIR if os.path.isdir(SHM_DIR) else None
# The application loads in each worker, after the hooks below have set its environment.
preload_app = False

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


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record, with the same core fields as the app's request log."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


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
    "formatters": {"json": {"()": JsonLineFormatter}},
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


# --- Errors gunicorn answers itself -----------------------------------------------------

# What the client can do instead, added to gunicorn's description of the broken rule.
_PROTOCOL_ERROR_HINTS = {
    414: (
        "Send long or non-ASCII expressions in a POST JSON body instead, "
        'e.g. POST /api/v1/evaluate with {"expression": "..."}'
    ),
}


def _write_problem(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """Answer an HTTP error found before the app runs as problem+json, not gunicorn's HTML."""
    from gunicorn import util  # noqa: PLC0415 - gunicorn is loaded by the time this runs

    code = problems.code_for_status(status)
    # gunicorn's message says which limit or rule the request broke.
    detail = message[:200] or reason
    if status in _PROTOCOL_ERROR_HINTS:
        detail = f"{detail.rstrip('.')}. {_PROTOCOL_ERROR_HINTS[status]}"
    request_id = uuid.uuid4().hex
    body = problems.dumps(problems.document(code, detail, request_id, status=status)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {problems.MIME}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        f"X-Served-By: {socket.gethostname()}\r\n"
        "\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


# --- Lifecycle: metrics directory, drain on SIGTERM, clean-up -------------------------


@dataclass
class _Runtime:
    """State kept on the arbiter, which outlives this module across a SIGHUP reload."""

    directory: str
    drain_file: str
    draining: bool = False


def _empty_directory(path: str) -> None:
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def _remove_runtime(server: Arbiter, master_pid: int) -> None:
    # atexit handlers also run in workers, which are forks of the master: only the
    # master owns the directory.
    if os.getpid() != master_pid:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    runtime: _Runtime | None = getattr(server, "calculator_runtime", None)
    if runtime is not None:
        shutil.rmtree(runtime.directory, ignore_errors=True)


def when_ready(server: Arbiter) -> None:
    """Master, listening, no worker yet: prepare the app's environment, install the drain."""
    # Here rather than in on_starting: a failure to bind the port exits before this,
    # and would otherwise leave the directory behind.
    directory = tempfile.mkdtemp(
        prefix="calculator-", dir=SHM_DIR if os.path.isdir(SHM_DIR) else None
    )
    # on_exit covers gunicorn's normal exits, atexit the rest (all but SIGKILL).
    atexit.register(_remove_runtime, server, os.getpid())
    # Always a fresh private path, so a marker left by an earlier run cannot make a new
    # server report itself as shutting down.
    runtime = _Runtime(directory, os.path.join(directory, "draining"))
    server.calculator_runtime = runtime
    os.environ[DRAIN_FILE_ENV] = runtime.drain_file

    # prometheus_client picks its multiprocess value class when first imported, so the
    # variable must be set before a worker imports the app. Files left by an earlier
    # run would be summed into this one's counters: start from an empty directory.
    metrics_dir = os.environ.get(METRICS_DIR_ENV, "").strip()
    if metrics_dir:
        os.makedirs(metrics_dir, exist_ok=True)
        _empty_directory(metrics_dir)
    else:
        metrics_dir = os.path.join(directory, "metrics")
        os.mkdir(metrics_dir)
        os.environ[METRICS_DIR_ENV] = metrics_dir

    from gunicorn import util  # noqa: PLC0415

    util.write_error = _write_problem  # workers inherit this when they fork
    server.log.info("runtime directory %s, metrics directory %s", directory, metrics_dir)
    _install_drain(server, runtime, shutdown_drain_seconds)


def _install_drain(server: Arbiter, runtime: _Runtime, drain_seconds: float) -> None:
    """Make the first SIGTERM drain for drain_seconds before gunicorn's graceful stop."""
    graceful_stop = server.handle_term  # raises StopIteration: gunicorn's graceful stop

    def resend_term(_signum: int, _frame: FrameType | None) -> None:
        os.kill(server.pid, signal.SIGTERM)

    def handle_term() -> None:
        # Runs in the master's main loop, not in the signal handler, so it may log.
        if not runtime.draining:
            runtime.draining = True
            try:
                Path(runtime.drain_file).touch()
            except OSError:
                server.log.exception("cannot create the drain marker %s", runtime.drain_file)
            if drain_seconds > 0:
                # Workers keep serving while /readyz says 503 and responses carry
                # "Connection: close", so load balancers stop sending traffic here
                # before the listening socket closes.
                server.log.info("draining for %gs: /readyz answers 503", drain_seconds)
                # A timer signal rather than a timer thread: the master may fork a
                # replacement worker meanwhile, and forking a threaded process is unsafe.
                signal.signal(signal.SIGALRM, resend_term)
                signal.setitimer(signal.ITIMER_REAL, drain_seconds)
                return
        # Drain over, or a second SIGTERM: stop accepting, let workers finish in-flight
        # requests within graceful_timeout, then exit.
        signal.setitimer(signal.ITIMER_REAL, 0)
        server.log.info("graceful stop: workers finish in-flight requests")
        graceful_stop()

    # The arbiter dispatches signals by looking up handle_<name> on itself.
    server.handle_term = handle_term


def post_worker_init(worker: Worker) -> None:
    """Worker, app loaded: a quick-stop (SIGINT, SIGQUIT) handler that cannot deadlock."""
    from gunicorn.workers.base import Worker as BaseWorker  # noqa: PLC0415

    # gthread's handler calls ThreadPoolExecutor.shutdown() inside the signal handler.
    # If the signal lands while the main thread is in submit(), which holds the same
    # lock, the worker hangs until the master kills it after graceful_timeout (CPython
    # issue 121649): Ctrl-C then takes 20 s. The base handler exits without that lock,
    # and interpreter exit still stops the pool's idle threads.
    quit_now = functools.partial(BaseWorker.handle_quit, worker)
    signal.signal(signal.SIGQUIT, quit_now)
    signal.signal(signal.SIGINT, quit_now)


def pre_request(worker: Worker, req: Request) -> None:
    """Worker, before the app: log the request line (debug); close after it while draining."""
    # gunicorn's default pre_request logs this line; keep it (CALCULATOR_LOG_LEVEL=debug).
    worker.log.debug("%s %s", req.method, req.path)
    # gunicorn drops hop-by-hop headers set by a WSGI app (PEP 3333), so an app's own
    # "Connection: close" never reaches the client; the server has to decide it. Clients
    # on kept-alive connections (nginx) then reconnect, to a pod that is still ready.
    drain_file = os.environ.get(DRAIN_FILE_ENV)
    if drain_file and os.path.exists(drain_file):
        req.force_close()


def child_exit(server: Arbiter, worker: Worker) -> None:
    """Master, a worker exited: drop its live-gauge files; its counters stay summed."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - after when_ready's env

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Arbiter) -> None:
    """Master, exiting: remove the runtime dir (drain marker and private metrics)."""
    _remove_runtime(server, os.getpid())
