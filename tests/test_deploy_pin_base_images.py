"""scripts/pin-base-images.sh, run against a recording docker stub on copies of the
Dockerfiles: it writes each base image's digest after its tag and changes nothing else.

The real digests need registry access, which this machine does not have; the stub answers
`docker buildx imagetools inspect` as docker does (a `Digest:` line).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_support import DOCKERFILES, arg_defaults

from servers import ROOT

SCRIPT = ROOT / "scripts" / "pin-base-images.sh"
STUB = """#!/bin/sh
echo "$*" >>"$STUB_LOG"
printf 'Name:      example/x\\nMediaType: application/vnd.oci.image.index.v1+json\\n'
printf 'Digest:    %s\\n' "$STUB_DIGEST"
"""
BASE_ARGS = {"backend": "PYTHON_IMAGE", "frontend": "NGINX_IMAGE"}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the script and both Dockerfiles, laid out as in the repository."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, root / "scripts")
    for component, path in DOCKERFILES.items():
        (root / component).mkdir()
        shutil.copy(path, root / component / "Dockerfile")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(STUB, encoding="utf-8")
    (bin_dir / "docker").chmod(0o755)
    return root


def pin(root: Path, *args: str, digest: str = "") -> subprocess.CompletedProcess[str]:
    """Run the copied script with the stub docker first on PATH."""
    bin_dir = root.parent / "bin"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "STUB_LOG": str(root.parent / "calls.log"),
        "STUB_DIGEST": digest,
    }
    return subprocess.run(
        ["bash", str(root / "scripts" / "pin-base-images.sh"), *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _other_lines(text: str, arg: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith(f"ARG {arg}=")]


def test_pinning_adds_the_digest_after_the_tag_and_nothing_else(checkout: Path) -> None:
    """Each base-image ARG becomes TAG@DIGEST of the tag it named (looked up with buildx
    imagetools); every other line stays; a second run replaces the digest (refresh)."""
    before = {c: (checkout / c / "Dockerfile").read_text() for c in DOCKERFILES}
    tags = {c: arg_defaults(DOCKERFILES[c])[BASE_ARGS[c]].split("@")[0] for c in DOCKERFILES}
    for digest in ("sha256:" + "a" * 64, "sha256:" + "b" * 64):
        result = pin(checkout, digest=digest)
        assert result.returncode == 0, result.stderr
        for component, arg in BASE_ARGS.items():
            path = checkout / component / "Dockerfile"
            assert arg_defaults(path)[arg] == f"{tags[component]}@{digest}"
            old = [
                line for line in before[component].splitlines() if not line.startswith("ARG " + arg)
            ]
            new = [
                line for line in path.read_text().splitlines() if not line.startswith("ARG " + arg)
            ]
            assert new == old
    looked_up = (checkout.parent / "calls.log").read_text().splitlines()
    assert sorted(set(looked_up)) == sorted(f"buildx imagetools inspect {t}" for t in tags.values())
    assert pin(checkout, "--check").returncode == 0


def test_check_fails_while_a_base_image_has_no_digest(checkout: Path) -> None:
    """--check changes nothing and fails naming the unpinned argument."""
    path = checkout / "backend" / "Dockerfile"
    text = re.sub(r"^(ARG PYTHON_IMAGE=[^@\n]+)@\S+$", r"\1", path.read_text(), flags=re.M)
    path.write_text(text)
    result = pin(checkout, "--check")
    assert result.returncode == 1
    assert "PYTHON_IMAGE" in result.stderr
    assert (checkout / "backend" / "Dockerfile").read_text() == text


def test_a_missing_digest_stops_before_writing(checkout: Path) -> None:
    """A lookup that yields no digest (no registry access, unknown tag) is an error and
    leaves the Dockerfile as it was."""
    text = (checkout / "backend" / "Dockerfile").read_text()
    result = pin(checkout, digest="")
    assert result.returncode == 1
    assert "no digest" in result.stderr
    assert (checkout / "backend" / "Dockerfile").read_text() == text
