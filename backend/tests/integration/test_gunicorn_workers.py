"""Several gunicorn workers behave as one service: shared metrics, replaced when killed."""

from __future__ import annotations

import os
import signal
import uuid
from collections import Counter

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from servers import Server, child_pids, run_gunicorn, wait_until

pytestmark = pytest.mark.integration

TIMEOUT = 5
ADD = "/api/v1/add"


def sample_sum(server: Server, name: str, **labels: str) -> float:
    """Sum of the /metrics samples called name whose labels include the given ones."""
    response = requests.get(f"{server.url}/metrics", timeout=TIMEOUT)
    assert response.status_code == 200
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


def add_once(server: Server) -> str:
    """One GET /api/v1/add on a fresh connection; returns its request ID."""
    request_id = f"it-{uuid.uuid4()}"
    response = requests.get(
        f"{server.url}{ADD}?a=2&b=3",
        headers={"X-Request-ID": request_id, "Connection": "close"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    assert response.json()["result"] == "5"
    return request_id


def pids_by_request(server: Server, request_ids: set[str]) -> Counter[int]:
    """How many of these requests each worker process served, from the app's log lines."""
    return Counter(
        record["pid"] for record in server.log_records() if record.get("request_id") in request_ids
    )


def test_metrics_are_summed_across_workers() -> None:
    """With 2 workers each serving some of N requests, /metrics counts all N of them."""
    with run_gunicorn(workers=2) as server:
        workers = child_pids(server.process.pid)
        assert len(workers) == 2
        sent: set[str] = set()

        # Fresh connections land on whichever worker accepts first; keep going (bounded)
        # until both have served at least a few, so the sum really spans processes.
        def both_served_some() -> bool:
            served = pids_by_request(server, sent)
            return len(served) == 2 and min(served.values()) >= 3

        while len(sent) < 20 or not both_served_some():
            assert len(sent) < 500, f"one worker served everything: {pids_by_request(server, sent)}"
            sent.add(add_once(server))
        wait_until(
            lambda: sum(pids_by_request(server, sent).values()) == len(sent),
            5,
            "every request logged",
        )
        served = pids_by_request(server, sent)
        assert set(served) == workers, "both workers, and only they, served the requests"

        n = len(sent)
        get_add = {"method": "GET", "route": ADD}
        assert sample_sum(server, "http_requests_total", status="200", **get_add) == n
        assert sample_sum(server, "http_request_duration_seconds_count", **get_add) == n
        assert sample_sum(server, "http_request_duration_seconds_bucket", le="+Inf", **get_add) == n
        assert sample_sum(server, "calculator_evaluations_total", operation="add") == n
        assert (
            sample_sum(server, "calculator_evaluations_total", operation="add", outcome="ok") == n
        )


def test_killed_worker_is_replaced_and_its_counts_survive() -> None:
    """A SIGKILLed worker is replaced, the service keeps answering and no count is lost."""
    with run_gunicorn(workers=2) as server:
        master = server.process.pid
        before = child_pids(master)
        assert len(before) == 2
        served = 10
        for _ in range(served):
            add_once(server)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)

        # Keep asking while the master notices and forks a replacement.
        def replaced() -> set[int] | None:
            add_once(server)
            nonlocal served
            served += 1
            now = child_pids(master)
            return now if len(now) == 2 and victim not in now else None

        after = wait_until(replaced, 15, "a replacement worker")
        assert len(after - before) == 1
        assert server.process.poll() is None
        # Counters written by the dead worker stay in the sum (a reset would look like
        # a counter going backwards to Prometheus).
        total = sample_sum(server, "http_requests_total", method="GET", route=ADD, status="200")
        assert total == served
        assert any(
            record.get("level") == "error" and f"pid:{victim}" in record["message"]
            for record in server.log_records()
        ), "the master logs the worker's death as an error"
