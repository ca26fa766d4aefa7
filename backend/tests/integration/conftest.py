"""Real gunicorn with the production command and config, on a free loopback port."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from servers import Server, run_gunicorn, wait_until


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """Two workers, shared by the tests of one module that do not stop or kill it."""
    with run_gunicorn(workers=2) as running:
        yield running


@pytest.fixture
def request_id() -> str:
    """A well-formed X-Request-ID unique to this test, to find its log line."""
    return f"it-{uuid.uuid4()}"


def request_log(server: Server, request_id: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The app's log records for request_id, once at least one has been written."""

    def records() -> list[dict[str, Any]]:
        return [r for r in server.log_records() if r.get("request_id") == request_id]

    return wait_until(records, timeout, f"a log line with request_id {request_id}")


@pytest.fixture
def find_request_log() -> Any:
    """request_log() as a fixture, so test modules need not import this conftest."""
    return request_log
