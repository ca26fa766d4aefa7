"""How gunicorn serves the app: the worker class and server hooks that gunicorn.conf.py names.

Only supported extension points are used (a worker class and server hooks); nothing in
gunicorn is replaced. The shutdown sequence is described in docs/operations.md.

No web framework is imported here: gunicorn's master loads this module before any worker
loads the app, and the app's metrics must not be imported before `when_ready` has set
their environment.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import signal
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import gevent
from gevent.lock import BoundedSemaphore
from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers.base import Worker as BaseWorker
from gunicorn.workers.ggevent import GeventWorker

from . import problems
from .drain import DRAIN_FILE_ENV
from .limits import MAX_BODY_BYTES

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.http.message import Request

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
DRAIN_SECONDS_ENV = "CALCULATOR_DRAIN_SECONDS"
SHM_DIR = "/dev/shm"  # noqa: S108 - tmpfs, writable even with a read-only root file system
DEFAULT_DRAIN_SECONDS = 5.0
# Requests of one client address computing at once in one worker (see Worker).
PER_CLIENT_REQUESTS = 1


# --- Settings from the environment ---------------------------------------------------


def env_int(name: str, default: int, minimum: int) -> int:
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


def env_seconds(name: str, default: float) -> float:
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


def drain_seconds() -> float:
    """How long a worker keeps serving after SIGTERM while /readyz answers 503."""
    return env_seconds(DRAIN_SECONDS_ENV, DEFAULT_DRAIN_SECONDS)


def bind_address(host: str, port: int) -> str:
    """gunicorn's bind syntax for host and port (IPv6 literals in brackets)."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def shm_dir() -> str | None:
    """The shared-memory directory where it exists (Linux), else None (the temp directory)."""
    return SHM_DIR if os.path.isdir(SHM_DIR) else None


# --- Errors gunicorn answers itself ------------------------------------------------------

# gunicorn's own statuses for the request errors it detects; any other ParseException is 400.
_STATUS_OF_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (http_errors.LimitRequestLine, 414),
    (http_errors.LimitRequestHeaders, 431),
    (http_errors.ExpectationFailed, 417),
    (http_errors.ForbiddenProxyRequest, 403),
    (http_errors.UnsupportedTransferCoding, 501),
    (http_errors.ConfigurationProblem, 500),
    (http_errors.InvalidResponseHeader, 500),  # the app's fault, not the client's
    (http_errors.InvalidResponseHeaderName, 500),
)
# What the client can do instead, added to gunicorn's description of the broken rule.
_HINTS = {
    414: "Send long or non-ASCII expressions in a POST JSON body instead, "
    'e.g. POST /api/v1/evaluate with {"expression": "..."}',
}


def error_status(exc: BaseException) -> int:
    """The HTTP status for an error found before the app runs."""
    for error, status in _STATUS_OF_ERROR:
        if isinstance(exc, error):
            return status
    return 400 if isinstance(exc, http_errors.ParseException) else 500


def problem_response(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection."""
    code = problems.code_for_status(status)
    detail = message[:200] or None
    if detail and status in _HINTS:
        detail = f"{detail.rstrip('.')}. {_HINTS[status]}"
    request_id = uuid.uuid4().hex
    document = problems.document(code, detail, request_id, status=status)
    body = problems.dumps(document).encode()
    head = (
        f"HTTP/1.1 {status} {document['title']}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {problems.MIME}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        f"X-Served-By: {socket.gethostname()}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


# --- The worker ----------------------------------------------------------------------------


def _exit_while_booting(_signum: int, _frame: FrameType | None) -> None:
    os._exit(0)


class Worker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker, with fair shares per client, a drain on SIGTERM and
    problem+json answers to malformed HTTP.

    Why gevent (docs/benchmarks.md has the figures): a connection costs a greenlet, not a
    thread, so clients that send slowly, stall or idle cannot hold the worker; gthread's
    threads were held by 8 such clients. A greenlet is not preempted, so CPU-heavy requests
    from one client would queue everyone behind them: each client address gets at most
    PER_CLIENT_REQUESTS requests computing at once per worker, and its further requests
    wait their turn without holding anyone else's.

    SIGTERM: keep serving for drain_seconds() while /readyz answers 503 and every response
    closes its connection, then close the listening socket (new connections are refused,
    never held), and finish in-flight requests within the graceful timeout.
    """

    alive: bool
    _stop_at: float | None = None
    draining = False

    def init_process(self) -> None:
        """Per-client semaphores live in the worker, after gevent has patched the process."""
        # Until init_signals installs this worker's handlers, the master's (inherited from
        # the fork) would swallow a stop signal, and a Ctrl-C while a worker boots would
        # wait for the graceful timeout. Nothing is in flight yet: exit at once.
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
            signal.signal(sig, _exit_while_booting)
        self._client_slots: dict[str, BoundedSemaphore] = {}
        super().init_process()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM: start the drain; a second SIGTERM stops at the next heartbeat."""
        now = time.monotonic()
        if self._stop_at is not None:
            self._stop_at = now
            return
        self._stop_at = now + drain_seconds()
        if drain_seconds() > 0:
            # Out of the signal handler, as gunicorn's gevent worker does for SIGQUIT.
            gevent.spawn(self._start_drain)

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        """SIGINT/SIGQUIT: a quick stop means now, in-flight requests included.

        gevent's worker defers this to a greenlet, which does not run while the worker is
        still loading the app: a Ctrl-C then waited for the master's graceful timeout.
        """
        os._exit(0)

    def _start_drain(self) -> None:
        self.draining = True
        drain_file = os.environ.get(DRAIN_FILE_ENV)
        if drain_file:
            Path(drain_file).touch()
        self.log.info("draining for %gs: /readyz answers 503", drain_seconds())

    def notify(self) -> None:
        """Main loop heartbeat (once a second): stop once the drain is over."""
        super().notify()
        if self.alive and self._stop_at is not None and time.monotonic() >= self._stop_at:
            # gevent's worker then closes its listening socket and finishes what it has.
            self.log.info("graceful stop: listener closed, finishing in-flight requests")
            self.alive = False

    def handle_request(self, listener_name: Any, req: Request, sock: Any, addr: Any) -> Any:
        """Run the request once its client has a free slot (see the class docstring)."""
        self.log.debug("%s %s", req.method, req.path)  # gunicorn's pre_request line, earlier
        # Read the upload first (at most one byte over the app's limit, so the app still
        # answers 413): a client that stalls its body holds no slot while it does.
        body = req.body.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            req.force_close()  # the rest of the body stays unread on the connection
        req.body = io.BytesIO(body)
        client = addr[0] if isinstance(addr, tuple) else ""
        slots = self._client_slots.get(client)
        if slots is None:
            slots = self._client_slots[client] = BoundedSemaphore(PER_CLIENT_REQUESTS)
        with slots:
            # A timed sleep makes the event loop poll for I/O before this request computes:
            # a semaphore hands over without one, so waiting requests of busy clients would
            # run back to back while other clients' connections went unread.
            gevent.sleep(0.0005)
            result = super().handle_request(listener_name, req, sock, addr)
        if not slots.locked() and slots.counter == PER_CLIENT_REQUESTS:
            self._client_slots.pop(client, None)  # idle client: forget it
        return result

    def handle_error(self, req: Request | None, client: Any, addr: Any, exc: Exception) -> None:
        """Answer an HTTP error found before the app runs as problem+json, not HTML."""
        status = error_status(exc)
        peer = addr[0] if addr else ""
        if status < 500:
            self.log.warning("Invalid request from ip=%s: %s", peer, exc)
            message = str(exc)
        else:
            self.log.exception("Error handling request from ip=%s", peer)
            message = ""
        try:
            util.write_nonblock(client, problem_response(status, message))
        except OSError:
            self.log.debug("Failed to send error message.")


# --- Server hooks ----------------------------------------------------------------------------


@dataclass
class _Runtime:
    """Per-run private directory (drain marker, metrics), owned by the master."""

    directory: str
    master_pid: int

    def remove(self) -> None:
        # atexit handlers also run in workers, which are forks of the master.
        if os.getpid() == self.master_pid:
            shutil.rmtree(self.directory, ignore_errors=True)


def _empty_directory(path: str) -> None:
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def when_ready(server: Arbiter) -> None:
    """Master, listening, no worker yet: a fresh drain-marker path and metrics directory."""
    # Here rather than in on_starting: a failure to bind the port exits before this,
    # and would otherwise leave the directory behind.
    runtime = _Runtime(tempfile.mkdtemp(prefix="calculator-", dir=shm_dir()), os.getpid())
    server.calculator_runtime = runtime
    # on_exit covers gunicorn's normal exits, atexit the rest (all but SIGKILL).
    atexit.register(runtime.remove)
    # Always a fresh private path, so a marker left by an earlier run cannot make a new
    # server report itself as shutting down.
    os.environ[DRAIN_FILE_ENV] = os.path.join(runtime.directory, "draining")

    # prometheus_client picks its multiprocess value class when first imported, so the
    # variable must be set before a worker imports the app. Files left by an earlier
    # run would be summed into this one's counters: start from an empty directory.
    metrics_dir = os.environ.get(METRICS_DIR_ENV, "").strip()
    if metrics_dir:
        os.makedirs(metrics_dir, exist_ok=True)
        _empty_directory(metrics_dir)
    else:
        metrics_dir = os.path.join(runtime.directory, "metrics")
        os.mkdir(metrics_dir)
        os.environ[METRICS_DIR_ENV] = metrics_dir
    server.log.info("runtime directory %s, metrics directory %s", runtime.directory, metrics_dir)


def pre_request(worker: BaseWorker, req: Request) -> None:
    """Worker, before the app: close the connection after this request while draining.

    (Replacing gunicorn's default pre_request, which logs the request line: Worker logs it
    as soon as the head is read, before the body.)
    """
    # gunicorn drops hop-by-hop headers set by a WSGI app (PEP 3333), so the server has to
    # decide "Connection: close". Clients on kept-alive connections (nginx) then reconnect,
    # to an instance that is still ready.
    if getattr(worker, "draining", False):
        req.force_close()


def child_exit(server: Arbiter, worker: BaseWorker) -> None:
    """Master, a worker exited: drop its live-gauge files; its counters stay summed."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - after when_ready's env

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Arbiter) -> None:
    """Master, exiting: remove the runtime directory (drain marker and private metrics)."""
    runtime: _Runtime | None = getattr(server, "calculator_runtime", None)
    if runtime is not None:
        runtime.remove()
