"""The base images the two Dockerfiles build on: arguments pinned to exact releases.

Everything else about the images is checked on the built images themselves
(tests/test_deploy_buildah.py); hadolint and checkov lint the Dockerfiles in `make lint`.
"""

from __future__ import annotations

import re

import pytest
from deploy_support import DOCKERFILES, arg_defaults, dockerfile, instructions

COMPONENTS = sorted(DOCKERFILES)
# The base image argument of each Dockerfile and the exact-version pattern its default
# must match: python:X.Y.Z-slim-<debian>, nginxinc/nginx-unprivileged:X.Y.Z-alpineA.B,
# each optionally pinned further by @sha256 digest (scripts/pin-base-images.sh).
DIGEST = r"(@sha256:[0-9a-f]{64})?"
BASE_IMAGES = {
    "backend": ("PYTHON_IMAGE", r"python:3\.\d+\.\d+-slim-[a-z]+" + DIGEST),
    "frontend": (
        "NGINX_IMAGE",
        r"nginxinc/nginx-unprivileged:\d+\.\d+\.\d+-alpine\d+\.\d+" + DIGEST,
    ),
}


@pytest.mark.parametrize("component", COMPONENTS)
def test_base_image_is_an_argument_pinned_to_an_exact_release(component: str) -> None:
    """Every FROM names the base-image ARG (or an earlier stage); its default is an
    exact upstream version, never a floating tag."""
    path = DOCKERFILES[component]
    name, pattern = BASE_IMAGES[component]
    assert re.fullmatch(pattern, arg_defaults(path)[name])
    stages: set[str] = set()
    for item in instructions(path, "FROM"):
        words = item.args.split()
        assert words[0] in ({f"${{{name}}}"} | stages), item.args
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])
    first_from = dockerfile(path).index(instructions(path, "FROM")[0])
    assert any(
        item.keyword == "ARG" and item.args.startswith(f"{name}=")
        for item in dockerfile(path)[:first_from]
    ), "the base-image ARG must be declared before the first FROM"
