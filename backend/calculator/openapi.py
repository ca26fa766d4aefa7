"""The OpenAPI 3.1 document, generated from the same tables the API serves from."""

from __future__ import annotations

from functools import cache
from typing import Any

from . import engine, limits
from .engine.numbers import NUMBER_RE
from .version import __version__

PROBLEM = {"$ref": "#/components/responses/Problem"}
# Operands and precision may be padded with the same whitespace the service strips.
_PAD = "[ \\t\\r\\n]*"
NUMBER_TEXT = {
    "type": "string",
    "maxLength": limits.MAX_OPERAND_CHARS,
    "pattern": f"^{_PAD}{NUMBER_RE.pattern}{_PAD}$",
    "description": "ASCII decimal notation: digits, an optional '.', an optional exponent",
}
NUMBER = {
    "description": "A decimal number as a JSON number (taken by its literal text) or a string",
    "oneOf": [{"type": "number"}, NUMBER_TEXT],
    "examples": ["0.1"],
}
# What calculator.params.precision accepts as text: at most three digits (so leading
# zeros are allowed up to that width) whose value is in the range.
_PRECISION_DIGITS = "(?:{})".format(
    "|".join(
        f"0{{0,{3 - len(str(n))}}}{n}"
        for n in range(limits.MAX_PRECISION, limits.MIN_PRECISION - 1, -1)
    )
)
PRECISION_QUERY = {
    "type": "string",
    "pattern": f"^{_PAD}{_PRECISION_DIGITS}{_PAD}$",
    "default": str(limits.DEFAULT_PRECISION),
    "description": "Significant digits of a result that has no finite decimal form",
}
PRECISION_BODY = {
    "oneOf": [
        {"type": "integer", "minimum": limits.MIN_PRECISION, "maximum": limits.MAX_PRECISION},
        {"type": "string", "pattern": PRECISION_QUERY["pattern"]},
        {"type": "null", "description": "Same as leaving it out"},
    ],
    "default": limits.DEFAULT_PRECISION,
    "description": PRECISION_QUERY["description"],
}
# A custom format: the grammar is documented in docs/api.md, not expressible as a pattern.
EXPRESSION = {
    "type": "string",
    "format": "calculator-expression",
    "maxLength": limits.MAX_EXPRESSION_CHARS,
    "description": "Operators + - * / ^ ! √, postfix % (percent), % and mod (floored "
    "modulo), implicit multiplication (2pi, 2(3)), postfix deg; functions "
    + ", ".join(f"{f.name}({', '.join('xyz'[: f.arity[1]])})" for f in engine.FUNCTIONS.values())
    + "; constants "
    + ", ".join(engine.CONSTANTS),
    "examples": ["2*(3+4)^2", "2pi", "sin(30deg)", "50% * 80"],
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _calculation(summary: str, fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """GET (query string) and POST (JSON body) operations over the same inputs."""
    # Only statuses these operations can produce: a GET has no body (no 413 or 415), a
    # POST has a short request line (no 414; gunicorn answers it for long query strings).
    responses = {
        "200": _json({"$ref": "#/components/schemas/Result"}),
        "400": PROBLEM,
        "422": PROBLEM,
    }
    get_responses = {**responses, "414": PROBLEM}
    post_responses = {**responses, "413": PROBLEM, "415": PROBLEM}
    # A query string carries text only: the string form of each field.
    query_schemas = {
        name: NUMBER_TEXT if schema is NUMBER else schema for name, schema in fields.items()
    }
    query = [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": PRECISION_QUERY if name == "precision" else query_schemas[name],
        }
        for name in fields
    ]
    body = {"type": "object", "properties": fields, "required": required}
    return {
        "get": {"summary": summary, "parameters": query, "responses": get_responses},
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": post_responses,
        },
    }


@cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, Any] = {}
    for name, (operands, _) in engine.OPERATIONS.items():
        fields: dict[str, Any] = dict.fromkeys(operands, NUMBER)
        fields["precision"] = PRECISION_BODY
        paths[f"/api/v1/{name}"] = _calculation(name.capitalize(), fields, list(operands))
    paths["/api/v1/evaluate"] = _calculation(
        "Evaluate an expression",
        {
            "expression": EXPRESSION,
            "precision": PRECISION_BODY,
        },
        ["expression"],
    )
    simple = {
        "/api/v1/operations": "Operations, functions, constants and limits",
        "/api/v1/info": "Version, commit and the answering instance",
        "/api/v1/openapi.json": "This document",
        "/healthz": "Liveness probe",
        "/readyz": "Readiness probe (503 once shutdown has begun)",
    }
    for path, summary in simple.items():
        responses: dict[str, Any] = {"200": _json({"type": "object"})}
        if path == "/readyz":
            responses["503"] = _json({"type": "object"}, "Draining")
        paths[path] = {"get": {"summary": summary, "responses": responses}}
    paths["/metrics"] = {
        "get": {
            "summary": "Prometheus metrics",
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "k8s-calculator",
            "version": __version__,
            "description": "Exact calculator API. Errors are RFC 9457 problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Result": {
                    "type": "object",
                    "required": ["operation", "result", "value", "exact", "precision"],
                    "properties": {
                        "operation": {"type": "string"},
                        "operands": {"type": "object", "additionalProperties": {"type": "string"}},
                        "expression": {"type": "string"},
                        "result": {
                            "type": "string",
                            "description": "The answer in decimal: in full when it is exact "
                            "and terminates, else correctly rounded to `precision` "
                            "significant digits, every digit proven",
                        },
                        "fraction": {
                            "type": "string",
                            "pattern": "^-?[0-9]+/[1-9][0-9]*$",
                            "description": "The exact value as a reduced fraction p/q "
                            "(integers as n/1); present for rational results only",
                            "examples": ["1/3", "3/4", "2/1"],
                        },
                        "value": {
                            "type": ["number", "null"],
                            "description": "Nearest JSON number; null beyond a double",
                        },
                        "exact": {
                            "type": "boolean",
                            "description": "True when `result` is the exact value; "
                            "false when it was rounded",
                        },
                        "precision": {
                            "type": "integer",
                            "description": "Significant digits asked for; they round only "
                            "results with no finite decimal form",
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail", "code"],
                    "properties": {
                        "type": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "code": {"type": "string"},
                        "request_id": {"type": ["string", "null"]},
                        "position": {
                            "type": "integer",
                            "description": "1-based character position",
                        },
                    },
                },
            },
            "responses": {
                "Problem": {
                    "description": "Problem details (RFC 9457)",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
            },
        },
    }
