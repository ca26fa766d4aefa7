"""Benchmarks for `make bench`: ratios measured side by side in one run, never timed asserts.

    .venv/bin/python tests/bench.py [--strict] [--runs N] [--seconds S] [--connections C]

1. Engine worst cases: CPU time (time.process_time, median of runs) of hostile but valid
   requests at the limits, as a multiple of `1+1`, each flagged against the design's
   "a few tens of milliseconds of CPU" (--limit-ms, default 50).
2. HTTP: requests/s for GET /api/v1/add?a=0.1&b=0.2 against real gunicorn (production
   config, 2 workers) directly and through real nginx (the real template), measured in
   interleaved rounds; also nginx with a new connection per request. Loopback only.

Not collected by pytest (a script, no test_ names) and not run by CI: these machines
are noisy, so only the ratios mean much. Exits 0 unless --strict and a case is OVER.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "tests"))

from nginx_server import run_nginx  # noqa: E402

import serve  # noqa: E402
from calculator.engine import CalculationError, evaluate  # noqa: E402
from servers import Server, child_pids, run_gunicorn  # noqa: E402

MAX_EXPRESSION = 1_000
TRIVIAL = "1+1"
TRIVIAL_BATCH = 200  # evaluations per timed run of the trivial case
CASE_CPU_BUDGET = 2.0  # seconds of CPU one engine case may use across its runs
API_PATH = "/api/v1/add?a=0.1&b=0.2"
# The template's per-client rate limit (20 r/s) would answer most of a benchmark's
# requests with 429 from nginx itself; lift it so every request reaches the backend.
NO_RATE_LIMIT = {"CALCULATOR_RATE_LIMIT_RPS": "1000000", "CALCULATOR_RATE_LIMIT_BURST": "1000000"}


# --- 1. Engine ----------------------------------------------------------------------------


def fill(term: Callable[[int], str], sep: str = "+", tail: str = "") -> str:
    """The longest `term(0) sep term(1) ... tail` of at most MAX_EXPRESSION characters."""
    text, i = "", 0
    while True:
        longer = text + (sep if text else "") + term(i)
        if len(longer) + len(tail) > MAX_EXPRESSION:
            return text + tail
        text, i = longer, i + 1


def nested(function: str, depth: int, inner: str = "1") -> str:
    return f"{function}(" * depth + inner + ")" * depth


# (label, expression, precision): valid requests a hostile client may send.
ENGINE_CASES: list[tuple[str, str, int]] = [
    ("999-char sum 1+1+...+1", fill(lambda _: "1")[:999], 28),
    ("depth 64 parentheses", nested("", 64), 28),
    ("depth 63 nested sin", nested("sin", 63), 100),
    ("9^9^9 (refused)", "9^9^9", 28),
    ("3248! (largest allowed)", "3248!", 100),
    ("(1/7)^11000", "(1/7)^11000", 100),
    ("sin(7) repeated", fill(lambda _: "sin(7)"), 100),
    ("ln(7) repeated", fill(lambda _: "ln(7)"), 100),
    ("2^0.5 repeated", fill(lambda _: "2^0.5"), 100),
    ("sin(1)+sin(2)+... distinct", fill(lambda i: f"sin({i + 1})"), 100),
    ("ln(2)+ln(3)+... distinct", fill(lambda i: f"ln({i + 2})"), 100),
    ("2^0.1+3^0.2+... distinct", fill(lambda i: f"{i + 2}^0.{i + 1}"), 100),
    ("exp(1.5)+exp(2.5)+... distinct", fill(lambda i: f"exp({i + 1}.5)"), 100),
    ("sin(1e99)+sin(2e99)+...", fill(lambda i: f"sin({i + 1}e99)"), 100),
    ("3248!+3248!+...", fill(lambda _: "3248!"), 28),
    ("3248!+3248!+...+pi", fill(lambda _: "3248!", tail="+pi"), 100),
    ("(1/7)^11000+... repeated", fill(lambda _: "(1/7)^11000"), 28),
    ("sin(1)/7^11000+... distinct", fill(lambda i: f"sin({i + 1})/7^11000"), 28),
    ("ln(1e9990)+ln(2e9990)+...", fill(lambda i: f"ln({i + 1}e9990)"), 28),
    ("exp(23000.5)+exp(22999.5)+...", fill(lambda i: f"exp({23000 - i}.5)"), 28),
    ("10^9990.5+10^9989.5+...", fill(lambda i: f"10^{9990 - i}.5"), 28),
]


def run_once(expression: str, precision: int, repeat: int = 1) -> tuple[float, str]:
    """CPU seconds per evaluation (of `repeat`), and the outcome: result or error code."""
    outcome = ""
    start = time.process_time()
    for _ in range(repeat):
        try:
            outcome = evaluate(expression, precision).result
        except CalculationError as error:
            outcome = f"[{error.code}]"
        except Exception as error:  # a crash (a 500 in production) is a finding
            outcome = f"CRASH {type(error).__name__}"
    return (time.process_time() - start) / repeat, outcome


def engine_case(expression: str, precision: int, runs: int) -> tuple[float, float, int, str]:
    """Median CPU seconds over up to `runs` runs (fewer for slow cases), the first (cold)
    run's, the number of runs, and the outcome."""
    first, outcome = run_once(expression, precision)
    times = [first]
    wanted = runs if first * runs <= CASE_CPU_BUDGET else max(1, min(3, runs))
    while len(times) < wanted:
        times.append(run_once(expression, precision)[0])
    return statistics.median(times), first, len(times), outcome


def bench_engine(runs: int, limit_ms: float) -> int:
    """Print the engine table; return how many cases are over limit_ms."""
    run_once(TRIVIAL, 28, TRIVIAL_BATCH)  # warm-up: imports, caches
    trivial = statistics.median(run_once(TRIVIAL, 28, TRIVIAL_BATCH)[0] for _ in range(runs))
    print(f"\n1. Engine CPU per request (median of up to {runs} runs, time.process_time)")
    print(f"   baseline {TRIVIAL!r}: {trivial * 1e6:.1f} us; limit {limit_ms:g} ms (docs/api.md);")
    print("   flagged on the median; 'cold' is the first run, before any cache in the engine\n")
    header = f"   {'case':32} {'chars':>5} {'prec':>4} {'runs':>4} {'CPU ms':>8} {'cold':>8} "
    print(header + f"{'x 1+1':>6}  flag  outcome")
    worst: tuple[float, str] = (0.0, "")
    over = 0
    for label, expression, precision in ENGINE_CASES:
        median, cold, done, outcome = engine_case(expression, precision, runs)
        ms = median * 1000
        flag = "OVER" if ms > limit_ms else "OK"
        over += flag == "OVER"
        worst = max(worst, (ms, label))
        print(
            f"   {label:32} {len(expression):5} {precision:4} {done:4} {ms:8.2f} "
            f"{cold * 1000:8.2f} {median / trivial:6.0f}  {flag:4}  {outcome[:24]}",
            flush=True,
        )
    verdict = "OVER" if worst[0] > limit_ms else "OK"
    print(f"\n   worst: {worst[1]} at {worst[0]:.1f} ms CPU -> {verdict} (limit {limit_ms:g} ms);")
    print(f"   {over} of {len(ENGINE_CASES)} cases over the limit")
    return over


# --- 2. HTTP through gunicorn and nginx ----------------------------------------------------


class ClosedError(ConnectionError):
    """The server closed the connection mid-response."""


class Connection:
    """A minimal HTTP/1.1 client connection: cheap, so the servers dominate the CPU."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ClosedError("connection closed by the server")
        self.buffer += chunk

    def _until(self, separator: bytes) -> bytes:
        while separator not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(separator, 1)
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request, read the whole response: (status, server closes after it)."""
        self.sock.sendall(request)
        status_line, *lines = self._until(b"\r\n\r\n").split(b"\r\n")
        headers = dict(line.lower().split(b":", 1) for line in lines)
        length = headers.get(b"content-length")
        if length is not None:
            self._exactly(int(length))
        elif headers.get(b"transfer-encoding", b"").strip() == b"chunked":
            while size := int(self._until(b"\r\n").split(b";")[0], 16):
                self._exactly(size + 2)
            self._until(b"\r\n")  # no trailers
        return int(status_line.split()[1]), headers.get(b"connection", b"").strip() == b"close"


@dataclass
class Tally:
    """What one measurement (or several, summed) saw."""

    ok: int = 0
    bad_status: int = 0
    errors: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)  # req/s of each measurement
    worker_cpu: dict[int, float] = field(default_factory=dict)  # gunicorn worker pid -> s

    def add(self, other: Tally) -> None:
        self.ok += other.ok
        self.bad_status += other.bad_status
        self.errors += other.errors
        self.seconds += other.seconds
        self.server_cpu += other.server_cpu
        self.client_cpu += other.client_cpu
        self.latencies += other.latencies
        self.rates += other.rates
        for pid, cpu in other.worker_cpu.items():
            self.worker_cpu[pid] = self.worker_cpu.get(pid, 0.0) + cpu

    @property
    def busiest_worker(self) -> float:
        """The busiest gunicorn worker's share of the workers' CPU (1/workers = even)."""
        total = sum(self.worker_cpu.values())
        return max(self.worker_cpu.values()) / total if total else float("nan")

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def request_bytes(port: int, keep_alive: bool) -> bytes:
    close = "" if keep_alive else "Connection: close\r\n"
    return (
        f"GET {API_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"User-Agent: k8s-calculator-bench\r\n{close}\r\n"
    ).encode()


def client(port: int, keep_alive: bool, start: threading.Barrier, deadline: list[float]) -> Tally:
    """One client connection's loop until the deadline (set once all clients are ready)."""
    request, tally, conn = request_bytes(port, keep_alive), Tally(), None
    start.wait()
    while time.perf_counter() < deadline[0]:
        began = time.perf_counter()
        try:
            if conn is None:
                conn = Connection(port)
            status, closing = conn.exchange(request)
        except OSError:
            tally.errors += 1
            if conn is not None:
                conn.close()
            conn = None
            continue
        tally.latencies.append(time.perf_counter() - began)
        if status == 200:
            tally.ok += 1
        else:
            tally.bad_status += 1
        if closing or not keep_alive:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    return tally


DIRECT = "gunicorn direct, keep-alive"
PROXIED = "nginx -> gunicorn, keep-alive"
NEW_CONNECTION = "nginx -> gunicorn, new conn/request"


@dataclass
class Route:
    """One way to reach the API, and the processes that serve it."""

    label: str
    port: int
    keep_alive: bool
    backend: Server
    proxy: Server | None = None
    tally: Tally = field(default_factory=Tally)


def process_cpu(server: Server) -> dict[int, float]:
    """CPU seconds (user + system) of a server's master and of each worker (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    usage = {}
    for pid in {server.process.pid, *child_pids(server.process.pid)}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        usage[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return usage


def cpu_snapshot(route: Route) -> tuple[dict[int, float], dict[int, float]]:
    """CPU so far of the backend's processes and of the proxy's (if any)."""
    if not Path("/proc/self/stat").exists():
        return {}, {}
    proxy = process_cpu(route.proxy) if route.proxy else {}
    return process_cpu(route.backend), proxy


def measure(route: Route, connections: int, seconds: float) -> Tally:
    """Load the route with `connections` clients for `seconds`; sum what they saw."""
    port, keep_alive = route.port, route.keep_alive
    start = threading.Barrier(connections + 1)
    deadline = [float("inf")]
    results: list[Tally] = []

    def run() -> None:
        results.append(client(port, keep_alive, start, deadline))

    threads = [threading.Thread(target=run, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    backend_before, proxy_before = cpu_snapshot(route)
    client_before = time.process_time()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(seconds + 30)
    total = Tally(seconds=time.perf_counter() - began)
    total.client_cpu = time.process_time() - client_before
    backend_after, proxy_after = cpu_snapshot(route)
    for pid, cpu in backend_after.items():
        if pid != route.backend.process.pid:
            total.worker_cpu[pid] = cpu - backend_before.get(pid, 0.0)
    total.server_cpu = sum(backend_after.values()) - sum(backend_before.values())
    total.server_cpu += sum(proxy_after.values()) - sum(proxy_before.values())
    for result in results:
        total.add(result)
    total.rates = [total.ok / total.seconds]
    return total


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_http(paths: list[Route], connections: int) -> None:
    print(
        f"   {'path':35} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10} "
        f"{'busiest':>7} {'client':>6} {'failed':>6}  req/s per round"
    )
    for path in paths:
        t = path.tally
        per_request = t.server_cpu / t.ok * 1e6 if t.ok and t.server_cpu else float("nan")
        p50, p99 = percentile(t.latencies, 0.5) * 1e3, percentile(t.latencies, 0.99) * 1e3
        print(
            f"   {path.label:35} {t.rate:6.0f} {p50:7.2f} {p99:7.2f} {per_request:10.0f} "
            f"{t.busiest_worker:7.0%} {t.client_cpu / t.seconds:6.0%} "
            f"{t.bad_status + t.errors:6}  {' '.join(f'{r:.0f}' for r in t.rates)}"
        )
    print(
        f"\n   {connections} connections. CPU us/req: gunicorn (+ nginx) CPU per request, from"
        " /proc;\n   busiest: the busiest gunicorn worker's share of the workers' CPU (50% is"
        " even);\n   client: this process's CPU, in cores; failed: non-200 answers + socket errors"
    )
    if any(p.tally.bad_status or p.tally.errors for p in paths):
        print("   WARNING: some requests failed; the rates above are not comparable")
    if any(p.tally.client_cpu / p.tally.seconds > 0.9 for p in paths if p.tally.seconds):
        print("   NOTE: the client used about a whole core: rates may be client-bound")
    by_label = {p.label: p.tally.rate for p in paths}
    direct, proxied = by_label.get(DIRECT), by_label.get(PROXIED)
    if direct and proxied:
        print(f"\n   nginx/direct req/s ratio (keep-alive):    {proxied / direct:.2f}")
    if proxied and by_label.get(NEW_CONNECTION):
        ratio = by_label[NEW_CONNECTION] / proxied
        print(f"   new-connection/keep-alive ratio (nginx): {ratio:.2f}")


@contextmanager
def servers_up(with_nginx: bool) -> Iterator[list[Route]]:
    """gunicorn (2 workers) and, when available, nginx in front of it; stopped on exit."""
    with ExitStack() as stack:
        backend = stack.enter_context(run_gunicorn(workers=2))
        paths = [Route(DIRECT, backend.port, True, backend)]
        if with_nginx:
            proxy = stack.enter_context(run_nginx(backend.port, **NO_RATE_LIMIT))
            paths.append(Route(PROXIED, proxy.port, True, backend, proxy))
            paths.append(Route(NEW_CONNECTION, proxy.port, False, backend, proxy))
        yield paths


def bench_http(connections: int, seconds: float, rounds: int) -> None:
    with_nginx = serve.find_nginx() is not None
    print(f"\n2. HTTP: GET {API_PATH}, {connections} connections, loopback")
    print(f"   {rounds} interleaved rounds x {seconds:g} s per path; nginx rate limit lifted")
    if not with_nginx:
        print("   nginx is not installed: measuring gunicorn directly only")
    with servers_up(with_nginx) as paths:
        for path in paths:  # warm-up: workers import lazily, nginx opens upstream connections
            measure(path, connections, 0.5)
        for _ in range(rounds):
            for path in paths:
                path.tally.add(measure(path, connections, seconds))
        print()
        print_http(paths, connections)


# --- Main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 if any engine case is OVER")
    parser.add_argument("--limit-ms", type=float, default=50.0, help="engine CPU limit per case")
    parser.add_argument("--runs", type=int, default=7, help="engine runs per case (median)")
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per HTTP measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved HTTP rounds")
    parser.add_argument("--connections", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)
    if not (1 <= args.runs <= 100 and 1 <= args.rounds <= 20 and 1 <= args.connections <= 64):
        parser.error("--runs 1..100, --rounds 1..20, --connections 1..64")
    if not 0.1 <= args.seconds <= 30:
        parser.error("--seconds 0.1..30")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    print(f"k8s-calculator benchmarks (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    over = 0 if args.skip_engine else bench_engine(args.runs, args.limit_ms)
    if not args.skip_http:
        bench_http(args.connections, args.seconds, args.rounds)
    print(f"\ndone in {time.monotonic() - began:.0f} s")
    return 1 if args.strict and over else 0


if __name__ == "__main__":
    sys.exit(main())
