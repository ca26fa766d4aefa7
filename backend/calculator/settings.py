"""The app's settings from environment variables (defaults: docs/operations.md)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from .limits import MAX_BODY_BYTES


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config values read from the environment."""
    env = os.environ if environ is None else environ
    return {
        # Werkzeug answers 413 for larger bodies before the view reads them.
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "LOG_LEVEL": env.get("CALCULATOR_LOG_LEVEL", "info").upper(),
        "GIT_COMMIT": env.get("CALCULATOR_GIT_COMMIT", "unknown"),
        # In Kubernetes the hostname is the pod name: the UI shows it per answer.
        "HOSTNAME": socket.gethostname(),
    }
