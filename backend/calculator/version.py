"""The release version, from the top-level VERSION file (its one home).

Installed (make, pip install .), the package's metadata carries it. The backend image copies
the package without installing it and sets CALCULATOR_VERSION from the same file instead
(build-images.sh passes it as the VERSION build argument).
"""

import os
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("k8s-calculator")
except PackageNotFoundError:
    __version__ = os.environ.get("CALCULATOR_VERSION", "0.0.0")
