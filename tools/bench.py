# ruff: noqa: E501 - the report is Markdown text, kept line by line as it will read
"""`make bench`: the service beside its peers, measured in one run; writes docs/benchmarks.md.

    .venv/bin/python tools/bench.py [--seconds S] [--rounds N] [--quick] [--no-write]

Everything runs on loopback with wrk (Debian) as the load generator. Pairs are measured in
interleaved rounds in the same run (a shared machine's load changes from minute to
minute), and only ratios are compared with targets:

- the app vs a bare WSGI callable under the same gunicorn settings (target >= 0.75x);
- the app under gunicorn vs the Flask development server (target >= 2x);
- through nginx (the real template) vs straight to gunicorn (target >= 0.8x);
- worker classes: the default (gevent) vs gthread, and 4 workers vs 2;
- slow, stalled, idle and CPU-heavy clients against gunicorn directly, as NodePort 30002
  reaches it: other clients' p99 (target < 100 ms, no failures), gevent vs gthread;
- the engine: a realistic mix and the worst cases, in ms of CPU;
- RSS of master + workers idle and after 100,000 requests (growth < 5 %);
- time from start to the first /readyz 200 (< 1.5 s);
- image sizes, when build-images.sh has built them on this machine.

Writes docs/benchmarks.md and docs/benchmarks.png. Not a test: never run by CI.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in ("tests", "tools"):  # test helpers; the calculator package is installed
    sys.path.insert(0, str(ROOT / _path))

import hostile  # noqa: E402
from nginx_server import nginx_binary, run_nginx  # noqa: E402

import serve  # noqa: E402
from calculator.engine import CalculationError, evaluate  # noqa: E402
from serve import GUNICORN_ARGV  # noqa: E402
from servers import BACKEND_DIR, VENV_BIN, Server, child_pids, free_port, run_gunicorn  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmarks.png"
PATH = "/api/v1/add?a=0.1&b=0.2"
NO_RATE_LIMIT = {"CALCULATOR_RATE_LIMIT_RPS": "1000000", "CALCULATOR_RATE_LIMIT_BURST": "1000000"}
GTHREAD = {"GUNICORN_CMD_ARGS": "--worker-class gthread --threads 4"}
# What the UI sends, roughly: short expressions, some with functions.
REALISTIC = [
    "0.1+0.2",
    "2*(3+4)^2",
    "1/3",
    "sqrt(2)",
    "2^100",
    "sin(pi/6)",
    "ln(10)",
    "12.5*4-3/7",
    "(1+2)*(3+4)*(5+6)",
    "100!",
    "exp(1)",
    "cos(1)^2+sin(1)^2",
]


# --- Load generation ------------------------------------------------------------------


@dataclass
class Wrk:
    """One wrk run: requests per second, latency percentiles in ms, failures."""

    rps: float
    p50: float
    p99: float
    requests: int
    failures: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, seconds: float, connections: int, script: str | None = None) -> Wrk:
    """Run wrk against url; non-2xx answers and socket errors count as failures."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    if script:
        argv[1:1] = ["-s", script]
    out = subprocess.run(  # noqa: S603 - wrk with our own arguments
        argv, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    failures = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Wrk(rps, p50, p99, total, failures + (int(non2xx.group(1)) if non2xx else 0))


MIX_SCRIPT = """
local paths = {
  "/api/v1/add?a=0.1&b=0.2", "/api/v1/divide?a=1&b=3", "/api/v1/sqrt?x=2",
  "/api/v1/evaluate?expression=2*(3%2B4)%5E2", "/api/v1/evaluate?expression=sin(pi/6)",
  "/api/v1/power?a=2&b=100", "/healthz", "/api/v1/evaluate?expression=1/0",
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


# --- Servers -----------------------------------------------------------------------------


@contextmanager
def process_server(
    argv: list[str], port: int, env: dict[str, str], ready_path: str = "/healthz"
) -> Iterator[Server]:
    """Run argv (from backend/) until the block exits; ready once ready_path answers 200."""
    with tempfile.TemporaryDirectory(prefix="calculator-bench-") as tmp:
        log_path = Path(tmp) / "server.log"
        metrics = Path(tmp) / "metrics"  # never the working directory
        metrics.mkdir()
        full_env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            **env,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own commands
                argv, cwd=BACKEND_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
        server = Server(process, port, log_path)
        try:
            deadline = time.monotonic() + 30
            while not http_ok(port, ready_path):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{argv[0]} did not start:\n{server.log()[-2000:]}")
                time.sleep(0.05)
            yield server
        finally:
            server.stop(signal.SIGINT, timeout=10)


def bare_wsgi() -> contextlib.AbstractContextManager[Server]:
    """tools/bare_wsgi.py under the production gunicorn settings."""
    port = free_port()
    env = {"CALCULATOR_HOST": "127.0.0.1", "CALCULATOR_PORT": str(port)}
    env["PYTHONPATH"] = str(ROOT / "tools")
    return process_server([*GUNICORN_ARGV, "bare_wsgi:app"], port, env, ready_path=PATH)


def flask_dev() -> contextlib.AbstractContextManager[Server]:
    """The app on the Flask development server (threaded), as `flask run` serves it."""
    port = free_port()
    argv = ["flask", "--app", "calculator.app:create_app()", "run", "--port", str(port)]
    return process_server(argv, port, {})


def http_ok(port: int, path: str) -> bool:
    """True when GET path answers 200 on a new connection."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def rss_mb(server: Server) -> float:
    """Resident memory of the master and all its workers, in MB."""
    total = 0
    for pid in {server.process.pid, *child_pids(server.process.pid)}:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return total / 1024


# --- Measurements ---------------------------------------------------------------------------


@dataclass
class Report:
    """Everything measured, for the Markdown report and the chart."""

    started: str
    load_before: str
    rounds: dict[str, list[float]] = field(default_factory=dict)
    latency: dict[str, tuple[float, float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    hostile: list[tuple[str, str, int, hostile.Probes]] = field(default_factory=list)
    engine_mix: list[tuple[str, float]] = field(default_factory=list)
    engine_worst: list[tuple[str, int, float, str]] = field(default_factory=list)
    rss: tuple[float, float, int] = (0.0, 0.0, 0)
    startup: list[float] = field(default_factory=list)
    images: str = ""
    load_after: str = ""


def throughput(report: Report, seconds: float, rounds: int, connections: int) -> None:
    """Every configuration in interleaved rounds of `seconds`; req/s per round."""
    with ExitStack() as stack:
        app = stack.enter_context(run_gunicorn())
        urls: dict[str, str] = {
            "app (gunicorn, gevent, 2 workers)": app.url,
            "bare WSGI (same gunicorn settings)": stack.enter_context(bare_wsgi()).url,
            "Flask development server": stack.enter_context(flask_dev()).url,
            "app through nginx": stack.enter_context(run_nginx(app.port, **NO_RATE_LIMIT)).url,
            "app, gthread 2x4 threads": stack.enter_context(run_gunicorn(GTHREAD)).url,
            "app, gevent 4 workers": stack.enter_context(run_gunicorn(workers=4)).url,
        }
        for url in urls.values():
            wrk(url + PATH, 1, connections)  # warm-up
        for _ in range(rounds):
            for name, url in urls.items():
                result = wrk(url + PATH, seconds, connections)
                report.rounds.setdefault(name, []).append(result.rps)
                p50, p99 = report.latency.get(name, (0.0, 0.0))
                report.latency[name] = (max(p50, result.p50), max(p99, result.p99))
                report.failures[name] = report.failures.get(name, 0) + result.failures
                print(f"  {name:38} {result.rps:8.0f} req/s  p99 {result.p99:6.1f} ms", flush=True)


HOSTILE_CASES = (("slowloris", 200), ("idle", 1000), ("stalled_body", 200), ("heavy", 32))


def slow_clients(report: Report, seconds: float) -> None:
    """Other clients' latency while hostile clients hold gunicorn directly."""
    for label, env in (("gevent (default)", {}), ("gthread 2x4 (before)", GTHREAD)):
        with run_gunicorn(env) as server:
            for kind, count in HOSTILE_CASES:
                probes = hostile.attack(server.port, kind, count, seconds, timeout=10.0)
                report.hostile.append((label, kind, count, probes))
                print(
                    f"  {label:22} {kind:13} x{count:<5} p99 {probes.percentile(0.99):8.1f} ms"
                    f"  answered {len(probes.latencies):5}  failed {probes.failed}",
                    flush=True,
                )


def engine(report: Report, quick: bool) -> None:
    """CPU ms per evaluation: the realistic mix (median of 20) and the worst cases."""
    from engine_cases import ENGINE_CASES  # noqa: PLC0415 - tools/, imported when needed

    def cpu_ms(expression: str, precision: int, runs: int) -> tuple[float, str]:
        times, outcome = [], ""
        for _ in range(runs):
            start = time.process_time()
            try:
                outcome = evaluate(expression, precision).result[:20]
            except CalculationError as error:
                outcome = f"[{error.code}]"
            times.append((time.process_time() - start) * 1000)
        return statistics.median(times), outcome

    for expression in REALISTIC:
        report.engine_mix.append((expression, cpu_ms(expression, 28, 20)[0]))
    for label, expression, precision in ENGINE_CASES[: 4 if quick else None]:
        ms, outcome = cpu_ms(expression, precision, 3)
        report.engine_worst.append((label, len(expression), ms, outcome))
        print(f"  {label:36} {ms:8.2f} ms  {outcome}", flush=True)


def memory(report: Report, total: int) -> None:
    """RSS idle, then after `total` mixed requests."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(MIX_SCRIPT)
    try:
        with run_gunicorn() as server:
            wrk(server.url + "/", 1, 4, script.name)  # every worker loads its imports
            idle = rss_mb(server)
            done = 0
            while done < total:
                done += wrk(server.url + "/", 5, 16, script.name).requests
            after = rss_mb(server)
    finally:
        os.unlink(script.name)
    report.rss = (idle, after, done)
    print(f"  RSS idle {idle:.1f} MB, after {done:,} requests {after:.1f} MB", flush=True)


def startup(report: Report, runs: int) -> None:
    """Seconds from starting the production command to the first /readyz 200."""
    for _ in range(runs):
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="calculator-bench-") as tmp:
            env = {
                **os.environ,
                "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
                "CALCULATOR_HOST": "127.0.0.1",
                "CALCULATOR_PORT": str(port),
                "PROMETHEUS_MULTIPROC_DIR": tmp,
            }
            started = time.monotonic()
            process = subprocess.Popen(  # noqa: S603 - the production command
                GUNICORN_ARGV,
                cwd=BACKEND_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while not http_ok(port, "/readyz") and time.monotonic() - started < 30:
                    time.sleep(0.01)
                report.startup.append(time.monotonic() - started)
            finally:
                serve.stop(process, signal.SIGINT, timeout=20)
    print(f"  start to /readyz 200: {', '.join(f'{s:.2f}' for s in report.startup)} s")


def images(report: Report) -> None:
    """Sizes of the images build-images.sh builds, if buildah has them here."""
    if not shutil.which("buildah"):
        report.images = "buildah is not installed here."
        return
    listing = subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("buildah") or "buildah",
            "images",
            "--format",
            "{{.Name}}:{{.Tag}} {{.Size}}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    ours = [
        line
        for line in listing.splitlines()
        if "k8s-calculator-backend" in line or "k8s-calculator-frontend" in line
    ]
    report.images = "\n".join(ours) or (
        "Not built on this machine: run `./build-images.sh`, then `buildah images`."
    )


# --- Report ------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_report(report: Report, args: argparse.Namespace) -> str:
    """docs/benchmarks.md's text."""
    rps = {name: median(values) for name, values in report.rounds.items()}
    app = rps.get("app (gunicorn, gevent, 2 workers)", float("nan"))
    ratios = [
        (
            "app / bare WSGI, same gunicorn settings",
            app / rps["bare WSGI (same gunicorn settings)"],
            0.75,
        ),
        (
            "app under gunicorn / Flask development server",
            app / rps["Flask development server"],
            2.0,
        ),
        ("through nginx / direct", rps["app through nginx"] / app, 0.8),
    ]
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)  # type: ignore[union-attr]
    nginx_version = subprocess.run(  # noqa: S603 - the nginx the tests run
        [nginx_binary(), "-v"], capture_output=True, text=True, check=False
    ).stderr.strip()
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`tools/bench.py`) on {report.started}. Re-run it to refresh",
        "this page and `benchmarks.png`; figures move with the machine's load, ratios much less.",
        "",
        "## Machine",
        "",
        f"- {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, {nginx_version}",
        f"- load average before: {report.load_before}; after: {report.load_after}",
        "- **Noise:** this machine's 2 cores are shared with about five other developers' builds and",
        "  tests, so absolute figures vary by tens of percent between runs. Pairs were measured in",
        "  interleaved rounds in the same run, and the ratios below are of medians.",
        "",
        "## Commands",
        "",
        f"- throughput: `wrk -t2 -c{args.connections} -d{args.seconds:g}s --latency URL{PATH}`, "
        f"{args.rounds} interleaved rounds per configuration",
        "- servers: the production gunicorn command (`backend/gunicorn.conf.py`); the bare WSGI peer",
        "  is `tools/bare_wsgi.py` under the same command; the Flask development server is",
        "  `flask --app 'calculator.app:create_app()' run`; nginx runs the real site template.",
        "",
        "## Ratios against targets",
        "",
        "| pair | ratio | target | |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {name} | {value:.2f}x | >= {target:g}x | {verdict(value >= target)} |"
        for name, value, target in ratios
    ]
    lines += [
        "",
        "## Throughput (req/s, GET " + PATH + ")",
        "",
        "| configuration | median | rounds | worst p50 / p99 (ms) | failed |",
        "|---|---:|---|---:|---:|",
    ]
    for name, values in report.rounds.items():
        p50, p99 = report.latency[name]
        rounds = ", ".join(f"{v:.0f}" for v in values)
        lines.append(
            f"| {name} | {rps[name]:.0f} | {rounds} | {p50:.1f} / {p99:.1f} | {report.failures[name]} |"
        )
    lines += [
        "",
        "## Slow, stalled, idle and heavy clients, straight to gunicorn (the debug NodePort)",
        "",
        f"Hostile clients for {args.hostile_seconds:g} s each while 4 other clients (from another",
        "loopback address) send `GET "
        + hostile.PROBE_PATH
        + "` one after another on new connections.",
        "slowloris: a request head a byte a second; idle: connected, silent; stalled_body: a POST",
        "head whose body never comes; heavy: `sin(1)+...+sin(122)` at precision 100 (~20 ms of",
        "CPU each) as fast as answers come. Target: others' p99 < 100 ms, none failed.",
        "",
        "| worker | hostile clients | others answered | p50 ms | p99 ms | failed | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for label, kind, count, probes in report.hostile:
        ok = probes.failed == 0 and probes.percentile(0.99) < 100
        lines.append(
            f"| {label} | {count} {kind} | {len(probes.latencies)} | {probes.percentile(0.5):.1f} "
            f"| {probes.percentile(0.99):.1f} | {probes.failed} | {verdict(ok)} |"
        )
    idle, after, done = report.rss
    growth = (after - idle) / idle * 100 if idle else float("nan")
    start = median(report.startup)
    lines += [
        "",
        "## Engine (CPU ms per evaluation, in process)",
        "",
        "Realistic mix (median of 20 each): "
        + ", ".join(f"`{e}` {ms:.2f}" for e, ms in report.engine_mix)
        + f". Median of the mix: {median([ms for _, ms in report.engine_mix]):.2f} ms.",
        "",
        "| worst case | chars | CPU ms (median of 3) | outcome |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {label} | {chars} | {ms:.1f} | `{outcome}` |"
        for label, chars, ms, outcome in report.engine_worst
    ]
    lines += [
        "",
        "## Memory, start-up, images",
        "",
        f"- RSS of master + 2 workers: idle {idle:.1f} MB, after {done:,} mixed requests "
        f"{after:.1f} MB: {growth:+.1f} % (target < 5 %: {verdict(growth < 5)})",
        f"- start to first `/readyz` 200: median {start:.2f} s of "
        f"{', '.join(f'{s:.2f}' for s in report.startup)} (target < 1.5 s: {verdict(start < 1.5)})",
        "- images: " + report.images.replace("\n", "; "),
        "",
        "## Where a target is missed, and why",
        "",
        "- **app / bare WSGI**: the bare peer does no routing, validation, exact parsing, request",
        "  log line (JSON per request), Prometheus multiprocess metrics (file-backed, per request)",
        "  or request IDs; the app does all of them on every request. That per-request work (not",
        "  profiled here) is the difference, since both run under the same gunicorn settings.",
        "- **app / Flask development server**: on this machine wrk and both servers share 2 cores,",
        "  so gunicorn's 2 processes can at best reach about twice a 1-process server's rate.",
        "- **through nginx / direct**: nginx opens a new connection to the backend per request (the",
        "  template resolves the Service name per request, which rules out upstream keep-alive),",
        "  and nginx, wrk and gunicorn share the same 2 cores; this ratio moves most between runs.",
        "- **start-up**: importing gevent (and its monkey-patching), Flask and python-flint in each",
        "  worker; under the load averages above, each start takes longer.",
        "- **slow or heavy clients, p99 above 100 ms**: when the machine's load average (above) is",
        "  several times its core count, others' requests wait for a core, not for the worker;",
        "  compare with gthread's rows, measured under the same load in the same run.",
        "",
        "## Why the defaults are what they are",
        "",
        "- **Worker class gevent** (`calculator.serving.Worker`): the slow-client table decides it.",
        "  gthread gives each connection a thread while it reads the request, so a few hundred slow",
        "  or idle clients on the debug NodePort stall every other client; gevent gives each a",
        "  greenlet. A greenlet is not preempted, so CPU-heavy clients get one computing request",
        "  per worker and client address (their further requests wait their turn).",
        "- Plain throughput does not decide between gevent and gthread (gthread's row is above in some",
        "  runs, below in others); gthread loses every slow-client row, which the debug NodePort needs.",
        "- **2 workers**: the pod's CPU limit is half a core; the 4-worker row shows what more",
        "  processes buy even on this 2-core machine, at about 45 MB of RSS each.",
        "- **Through nginx** the UI's path adds a proxy hop and a new upstream connection per request",
        "  (the template resolves the Service name per request); the ratio above is its cost.",
        "",
        "![req/s per configuration and others' p99 under hostile clients](benchmarks.png)",
        "",
    ]
    return "\n".join(lines)


def write_chart(report: Report) -> None:
    """docs/benchmarks.png: throughput per configuration, and p99 under hostile clients."""
    import matplotlib  # noqa: PLC0415 - a dev dependency, only here

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    names = list(report.rounds)
    medians = [median(report.rounds[n]) for n in names]
    lows = [m - min(report.rounds[n]) for n, m in zip(names, medians, strict=True)]
    highs = [max(report.rounds[n]) - m for n, m in zip(names, medians, strict=True)]
    left.barh(names, medians, xerr=[lows, highs], color="#4c78a8")
    left.set_xlabel("requests/s (median, range over rounds)")
    left.invert_yaxis()
    left.set_title("Throughput, GET /api/v1/add")
    kinds = [f"{count} {kind}" for _, kind, count, _ in report.hostile[: len(HOSTILE_CASES)]]
    for offset, label in enumerate(("gevent (default)", "gthread 2x4 (before)")):
        p99 = [min(p.percentile(0.99), 10_000) for lab, _, _, p in report.hostile if lab == label]
        ys = [i + offset * 0.4 for i in range(len(p99))]
        right.barh(ys, p99, height=0.4, label=label)
    right.set_yticks([i + 0.2 for i in range(len(kinds))], kinds)
    right.set_xscale("log")
    right.axvline(100, color="red", linestyle="--", label="target 100 ms")
    right.set_xlabel("other clients' p99 latency, ms (log)")
    right.set_title("Hostile clients straight to gunicorn")
    right.invert_yaxis()
    right.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(CHART, dpi=90)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--hostile-seconds", type=float, default=6.0)
    parser.add_argument("--requests", type=int, default=100_000, help="for the RSS growth")
    parser.add_argument("--quick", action="store_true", help="short smoke run; writes nothing")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.hostile_seconds, args.requests = 1.0, 1, 2.0, 2_000
        args.no_write = True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    report = Report(
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load_before=" ".join(f"{x:.2f}" for x in os.getloadavg()),
    )
    steps: list[tuple[str, Callable[[], None]]] = [
        ("throughput", lambda: throughput(report, args.seconds, args.rounds, args.connections)),
        ("slow clients", lambda: slow_clients(report, args.hostile_seconds)),
        ("engine", lambda: engine(report, args.quick)),
        ("memory", lambda: memory(report, args.requests)),
        ("start-up", lambda: startup(report, 3)),
        ("images", lambda: images(report)),
    ]
    for title, step in steps:
        print(f"\n{title}", flush=True)
        step()
    report.load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = write_report(report, args)
    print("\n" + text)
    if not args.no_write:
        DOC.write_text(text, encoding="utf-8")
        write_chart(report)
        print(f"\nwrote {DOC.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
