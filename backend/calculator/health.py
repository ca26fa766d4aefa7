"""Liveness and readiness probes, and what changes once shutdown has begun."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from .drain import draining

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


def init_app(app: Flask) -> None:
    # Closing kept-alive connections while draining is gunicorn's job (pre_request in
    # calculator/serving.py): a WSGI app may not set hop-by-hop headers such as Connection.
    app.register_blueprint(bp)
