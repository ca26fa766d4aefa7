"""The shutdown drain marker, shared between gunicorn's master and its workers.

A worker that receives SIGTERM creates the marker (calculator.serving.Worker); every
worker then answers /readyz with 503 while it finishes in-flight requests.
A file is used because it is the simplest state all forked workers can see.
"""

import os

DRAIN_FILE_ENV = "CALCULATOR_DRAIN_FILE"


def drain_file() -> str | None:
    """Path of the drain marker, or None when not running under gunicorn."""
    return os.environ.get(DRAIN_FILE_ENV) or None


def draining() -> bool:
    """True once shutdown has begun."""
    path = drain_file()
    return path is not None and os.path.exists(path)
