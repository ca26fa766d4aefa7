"""The calculator's REST API, version 1. Views only parse, call the engine and shape."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from . import engine, limits, params
from .engine import Result
from .openapi import document
from .version import __version__

bp = Blueprint("api", __name__, url_prefix="/api/v1")

STARTED_AT = datetime.now(UTC).isoformat(timespec="seconds")

SYMBOLS = {
    "add": "+",
    "subtract": "-",
    "multiply": "×",
    "divide": "÷",
    "power": "^",
    "modulo": "%",
    "sqrt": "√",
}


def _answer(operation: str, result: Result, **fields: Any) -> ResponseReturnValue:
    if result.fraction is not None:  # rational results only
        fields["fraction"] = result.fraction
    return jsonify(
        operation=operation,
        **fields,
        result=result.result,
        value=result.value,
        exact=result.exact,
        precision=result.precision,
    )


def _operation_view(operation: str) -> Any:
    names, _build = engine.OPERATIONS[operation]

    def view() -> ResponseReturnValue:
        g.operation = operation  # set first, so refusals are counted per operation too
        values = params.inputs()
        parsed = {name: params.operand(values, name) for name in names}
        result = engine.calculate(
            operation,
            {name: value for name, (_, value) in parsed.items()},
            params.precision(values),
        )
        operands = {name: text for name, (text, _) in parsed.items()}
        return _answer(operation, result, operands=operands)

    view.__name__ = operation
    view.__doc__ = f"{operation} ({SYMBOLS[operation]})"
    return view


for _operation in engine.OPERATIONS:
    bp.add_url_rule(
        f"/{_operation}", view_func=_operation_view(_operation), methods=["GET", "POST"]
    )


@bp.route("/evaluate", methods=["GET", "POST"])
def evaluate() -> ResponseReturnValue:
    """Evaluate an expression exactly."""
    g.operation = "evaluate"
    values = params.inputs()
    expression = params.text(values, "expression")
    digits = params.precision(values)
    try:
        result = engine.evaluate(expression, digits)
    except engine.InputError as error:
        if request.method == "GET" and b"+" in request.query_string and " " in expression:
            error.detail += " (in a URL, '+' stands for a space: write %2B for plus)"
        raise
    return _answer("evaluate", result, expression=expression)


@bp.get("/operations")
def operations() -> ResponseReturnValue:
    """What the service supports, for the UI and for humans."""
    return jsonify(
        operations=[
            {
                "name": name,
                "symbol": SYMBOLS[name],
                "operands": list(operands),
                "path": f"/api/v1/{name}",
            }
            for name, (operands, _) in engine.OPERATIONS.items()
        ],
        operators=["+", "-", "*", "/", "%", "^", "!", "√", "(", ")", *engine.KEYWORDS],
        aliases=engine.ALIASES,
        functions=[
            {
                "name": function.name,
                "arguments": list(range(function.arity[0], function.arity[1] + 1)),
                "symbol": function.symbol,
                "summary": function.summary,
            }
            for function in engine.FUNCTIONS.values()
        ],
        constants=sorted(engine.CONSTANTS),
        precision={
            "default": limits.DEFAULT_PRECISION,
            "min": limits.MIN_PRECISION,
            "max": limits.MAX_PRECISION,
        },
        limits={
            "body_bytes": limits.MAX_BODY_BYTES,
            "operand_chars": limits.MAX_OPERAND_CHARS,
            "expression_chars": limits.MAX_EXPRESSION_CHARS,
            "depth": limits.MAX_DEPTH,
            "digits": limits.MAX_DIGITS,
        },
    )


@bp.get("/info")
def info() -> ResponseReturnValue:
    """Which instance answered, running which build."""
    return jsonify(
        name="k8s-calculator",
        version=__version__,
        commit=current_app.config["GIT_COMMIT"],
        hostname=current_app.config["HOSTNAME"],
        pid=os.getpid(),
        started_at=STARTED_AT,
        python=platform.python_version(),
    )


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())
