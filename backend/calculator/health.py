"""Liveness and readiness probes, and what changes once shutdown has begun."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify
from flask.typing import ResponseReturnValue

from .lifecycle import draining

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers. Deliberately checks nothing else, so a busy
    dependency can never get healthy pods restarted."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Readiness: 503 once shutdown has begun, so load balancers stop sending traffic."""
    if draining():
        return jsonify(status="draining"), 503
    return jsonify(status="ready")


def _close_while_draining(response: Response) -> Response:
    # Ask keep-alive clients (nginx's upstream pool) to reconnect elsewhere.
    if draining():
        response.headers["Connection"] = "close"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_close_while_draining)
