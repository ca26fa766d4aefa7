"""The OpenAPI document is the behaviour: schemathesis against real gunicorn.

schemathesis generates requests from the document the server serves (examples, boundary
values and random valid and invalid data for every operation) and runs every check on
each answer: no server error, a documented status, the documented content type, a body
that matches the documented schema, valid data accepted, invalid data rejected. What
"accepted" and "rejected" mean for this API is in schemathesis.toml beside this file;
valid expressions come from schemathesis_hooks.py.

Cases per operation: CALCULATOR_CONTRACT_EXAMPLES, 200 in CI and 25 otherwise
(operations without inputs have only a few distinct cases).
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from servers import IN_CI, VENV_BIN, Server

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
BACKEND_DIR = HERE.parent.parent
DOCUMENT_PATH = "/api/v1/openapi.json"
EXAMPLES = int(os.environ.get("CALCULATOR_CONTRACT_EXAMPLES") or (200 if IN_CI else 25))


def documented_operations(server: Server) -> set[str]:
    """'METHOD /path' for every operation of the document the server serves."""
    document = requests.get(server.url + DOCUMENT_PATH, timeout=5).json()
    return {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }


def test_every_operation_keeps_its_contract(server: Server, tmp_path: Path) -> None:
    """Every check passes for every documented operation, on valid and invalid input."""
    command = [
        str(VENV_BIN / "schemathesis"),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        server.url + DOCUMENT_PATH,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(BACKEND_DIR)]),
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
    }
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = run.stdout[-20_000:] + run.stderr[-5_000:]
    assert run.returncode == 0, output

    (report,) = tmp_path.glob("junit*.xml")
    suite = ET.parse(report).getroot()  # noqa: S314 - written by schemathesis just now
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0"), output
    tested = {case.get("name") for case in suite.iter("testcase")}
    # schemathesis leaves out the operation that serves the document it loaded
    # (test_openapi.py validates the document itself).
    assert tested == documented_operations(server) - {f"GET {DOCUMENT_PATH}"}, output
