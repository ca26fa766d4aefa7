"""k8s-calculator backend: an exact calculator REST API.

The package imports no web framework, so gunicorn's configuration can read its tables
(problems, limits, logging) before any worker loads the app (`calculator.app`).
"""

from .version import __version__

__all__ = ["__version__"]
