"""The OpenAPI document is valid 3.1 and describes exactly the routes the app serves."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from calculator.limits import MAX_EXPRESSION_CHARS

IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def _served(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method) for method in (rule.methods or set()) - IMPLICIT_METHODS}
    return routes


def test_document_validates_as_openapi_3_1(client: FlaskClient) -> None:
    """openapi-spec-validator accepts the served document as OpenAPI 3.1."""
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_document_matches_routes(app: Flask, client: FlaskClient) -> None:
    """Every route the app serves is documented, and every documented route is served."""
    document = client.get("/api/v1/openapi.json").json
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    assert documented == _served(app)


def test_document_states_the_real_limits(client: FlaskClient) -> None:
    """The documented expression limit is the one the API enforces."""
    document = client.get("/api/v1/openapi.json").json
    schema = document["paths"]["/api/v1/evaluate"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert schema["properties"]["expression"]["maxLength"] == MAX_EXPRESSION_CHARS
    too_long = "1" * (MAX_EXPRESSION_CHARS + 1)
    response = client.post("/api/v1/evaluate", json={"expression": too_long})
    assert response.json["code"] == "expression_too_long"


def test_documented_error_statuses_are_real(client: FlaskClient) -> None:
    """Each documented error status of /evaluate is produced by the matching request."""
    document = client.get("/api/v1/openapi.json").json
    operations = document["paths"]["/api/v1/evaluate"]
    post = {
        str(client.post("/api/v1/evaluate", json={"expression": "1+"}).status_code),
        str(
            client.post(
                "/api/v1/evaluate", data="x" * 20_000, content_type="application/json"
            ).status_code
        ),
        str(client.post("/api/v1/evaluate", data="{}", content_type="text/plain").status_code),
        str(client.post("/api/v1/evaluate", json={"expression": "1/0"}).status_code),
    }
    get = {
        str(client.get("/api/v1/evaluate?expression=1%2B").status_code),
        str(client.get("/api/v1/evaluate?expression=1/0").status_code),
    }
    assert set(operations["post"]["responses"]) - {"200"} == post
    # gunicorn answers 414 before the app runs (test_gunicorn_api.py and the contract test).
    assert set(operations["get"]["responses"]) - {"200", "414"} == get


def test_precision_is_documented_as_accepted(client: FlaskClient) -> None:
    """precision is accepted as an integer or a string of digits, as documented.

    (The contract test checks the rest against real gunicorn: integral JSON numbers such
    as 31.0, null, padded strings and every out-of-range value.)
    """
    document = client.get("/api/v1/openapi.json").json
    schema = document["paths"]["/api/v1/evaluate"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["properties"]["precision"]
    assert {"integer", "string"} <= {choice["type"] for choice in schema["oneOf"]}
    for value in (5, "5"):
        response = client.post("/api/v1/evaluate", json={"expression": "1/3", "precision": value})
        assert response.json["result"] == "0.33333"
