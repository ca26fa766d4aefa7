"""Prometheus metrics, correct across gunicorn's worker processes.

With PROMETHEUS_MULTIPROC_DIR set (calculator/serving.py sets it), each worker writes its
samples to files there and /metrics sums them; otherwise one process serves its own.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

bp = Blueprint("metrics", __name__)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
EVALUATIONS = Counter(
    "calculator_evaluations",
    "Calculations by operation and outcome (ok, or the problem code)",
    ["operation", "outcome"],
)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition of this instance (all workers)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    # content_type, not mimetype: the latter would append a second charset parameter.
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    g.metrics_start = time.perf_counter()


def _record(response: Response) -> Response:
    # The route template, never the raw path: one series per endpoint, however many
    # different URLs clients invent.
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    # Clients choose the method too: unknown ones share one series.
    method = request.method if request.method in KNOWN_METHODS else "other"
    elapsed = time.perf_counter() - g.get("metrics_start", time.perf_counter())
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    LATENCY.labels(method, route).observe(elapsed)
    operation = g.get("operation")
    if operation is not None:
        outcome = "ok" if response.status_code < 400 else g.get("problem_code", "error")
        EVALUATIONS.labels(operation, outcome).inc()
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_record)
