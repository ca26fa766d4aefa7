"""The Flask application factory: the web layer around the calculator engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, json, request

from . import api, errors, health, metrics, requestlog, settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: configuration from the environment, then `config` overrides."""

    app = Flask(__name__)
    app.config.update(settings.from_environment())
    if config:
        app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    errors.init_app(app)
    requestlog.init_app(app)
    metrics.init_app(app)
    health.init_app(app)
    app.register_blueprint(api.bp)
    app.after_request(_options_as_json)
    return app


def _options_as_json(response: Response) -> Response:
    """Flask answers OPTIONS itself with an empty HTML body; every response here is JSON."""
    if request.method == "OPTIONS" and response.status_code == 200 and not response.data:
        methods = sorted(m.strip() for m in response.headers.get("Allow", "").split(",") if m)
        response.set_data(json.dumps({"allow": methods}))
        response.mimetype = "application/json"
    return response
