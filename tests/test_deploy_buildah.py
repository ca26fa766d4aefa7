"""A real build and run of the images without a Docker daemon: buildah, then a chroot.

The upstream base images cannot be pulled here, so each Dockerfile is built unchanged with
its base-image argument pointed at a stand-in made on the spot: a minimal Debian bookworm
root file system with Python (mmdebstrap), imported with `buildah from scratch`. pip inside
the build reads the pinned requirements from a local wheelhouse (`pip download` on the
host) instead of the network. The backend image is then run as its config says (USER,
WORKDIR, Env, Cmd) on a read-only root with tmpfs on /tmp and /dev/shm, as in Kubernetes.

Needs root (mounts), buildah and mmdebstrap (.ci/run installs them); the stand-in base is
cached in buildah's store between runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from deploy_support import DOCKERFILES, VERSION, container, find

from servers import (
    BACKEND_DIR,
    FRONTEND_DIR,
    GUNICORN_ARGV,
    IN_CI,
    VENV_BIN,
    Server,
    free_port,
    require_executable,
    wait_for_http,
)

pytestmark = pytest.mark.integration

STAND_IN_BASE = "localhost/k8s-calculator-test-base:bookworm"
REVISION = "0123456789abcdef0123456789abcdef01234567"

# Inside a private mount namespace: the image's root read-only, tmpfs where Kubernetes
# mounts emptyDirs, then the image's command as its USER, in its WORKDIR, with its Env.
RUN_SCRIPT = r"""
set -eu
root="$1"; user="$2"; workdir="$3"; shift 3
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o size=64m,mode=1777 tmpfs "$root/dev/shm"
mount -t tmpfs -o size=16m,mode=1777 tmpfs "$root/tmp"
mount --rbind /proc "$root/proc"
if chroot "$root" /usr/bin/touch /probe-write 2>/dev/null; then
    echo "root file system is writable" >&2
    exit 3
fi
exec chroot --userspec="$user" "$root" /usr/bin/env -i -C "$workdir" "$@"
"""


def _buildah(*args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [require_executable("buildah"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"buildah {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result.stdout.strip()


def _require_root() -> None:
    if os.geteuid() != 0:
        message = "building and mounting images with buildah needs root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _stand_in_base(workdir: Path) -> str:
    """A minimal Debian image with python3 (and venv, useradd), built once and cached."""
    if _has_image():
        return STAND_IN_BASE
    mmdebstrap = require_executable("mmdebstrap")
    rootfs = workdir / "rootfs.tar"
    subprocess.run(
        [
            mmdebstrap,
            "--quiet",
            "--variant=minbase",
            "--include=python3,python3-venv,passwd",
            "bookworm",
            str(rootfs),
        ],
        check=True,
        timeout=900,
    )
    ctr = _buildah("from", "scratch")
    try:
        _buildah("add", ctr, str(rootfs), "/")
        _buildah(
            "config",
            "--env",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ctr,
        )
        _buildah("commit", "--quiet", ctr, STAND_IN_BASE)
    finally:
        _buildah("rm", ctr)
    return STAND_IN_BASE


def _has_image() -> bool:
    result = subprocess.run(
        [require_executable("buildah"), "inspect", "--type", "image", STAND_IN_BASE],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0


def _build(component: str, base_arg: str, base: str, tag: str, workdir: Path) -> dict[str, Any]:
    """buildah bud of component/Dockerfile, unchanged; returns the image's config."""
    wheels = workdir / "wheels"
    if not wheels.exists():
        subprocess.run(
            [
                str(VENV_BIN / "pip"),
                "download",
                "--quiet",
                "--dest",
                str(wheels),
                "--requirement",
                str(BACKEND_DIR / "requirements.txt"),
            ],
            check=True,
            timeout=300,
        )
        (workdir / "pip.conf").write_text("[global]\nno-index = true\nfind-links = /wheelhouse\n")
    _buildah(
        "bud",
        "--isolation", "chroot",
        "--format", "docker",
        "--quiet",
        "--volume", f"{wheels}:/wheelhouse:ro",
        "--volume", f"{workdir / 'pip.conf'}:/etc/pip.conf:ro",
        "--build-arg", f"{base_arg}={base}",
        "--build-arg", f"VERSION={VERSION}",
        "--build-arg", f"REVISION={REVISION}",
        "--build-arg", "SOURCE=test",
        "--file", str(DOCKERFILES[component]),
        "--tag", tag,
        str(DOCKERFILES[component].parent),
    )  # fmt: skip
    inspected = json.loads(_buildah("inspect", "--type", "image", tag))
    config: dict[str, Any] = inspected["Docker"]["config"]
    return config


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """Scratch space for the root file system tarball and the wheelhouse."""
    _require_root()
    with tempfile.TemporaryDirectory(prefix="calculator-buildah-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def backend_image(workdir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The backend image built by buildah from backend/Dockerfile, and its config."""
    base = _stand_in_base(workdir)
    tag = f"localhost/k8s-calculator-backend:test-{os.getpid()}"
    config = _build("backend", "PYTHON_IMAGE", base, tag, workdir)
    try:
        yield tag, config
    finally:
        _buildah("rmi", tag)


@pytest.fixture
def running_backend(backend_image: tuple[str, dict[str, Any]]) -> Iterator[Server]:
    """The backend image's command running read-only as its USER on a loopback port."""
    tag, config = backend_image
    ctr = _buildah("from", "--quiet", tag)
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="calculator-buildah-", suffix=".log")[1])
    try:
        root = _buildah("mount", ctr)
        env = [*config["Env"], "CALCULATOR_HOST=127.0.0.1", f"CALCULATOR_PORT={port}"]
        argv = [
            require_executable("unshare"), "--mount", "sh", "-c", RUN_SCRIPT, "run",
            root, config["User"], config["WorkingDir"], *env, *config["Cmd"],
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        server = Server(process, port, log_path)
        try:
            wait_for_http(server.url + "/healthz", timeout=30, process=process)
            yield server
        finally:
            server.stop(signal.SIGTERM, timeout=40)
    finally:
        subprocess.run([require_executable("buildah"), "umount", ctr], check=False, timeout=60)
        _buildah("rm", ctr)
        log_path.unlink(missing_ok=True)


def test_backend_image_config_is_what_the_dockerfile_promises(
    backend_image: tuple[str, dict[str, Any]],
) -> None:
    """buildah's image: numeric USER = runAsUser, CMD = the tested gunicorn command,
    port 5000, OCI labels from the build args, the HEALTHCHECK kept."""
    _, config = backend_image
    security = container(find("Deployment", "backend"))["securityContext"]
    assert config["User"] == f"{security['runAsUser']}:{security['runAsGroup']}"
    assert config["Cmd"] == GUNICORN_ARGV
    assert config["WorkingDir"] == "/app"
    assert list(config["ExposedPorts"]) == ["5000/tcp"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.revision"] == REVISION
    assert f"CALCULATOR_GIT_COMMIT={REVISION}" in config["Env"]
    assert config["Healthcheck"]["Test"][:2] == ["CMD", "python3"]


def test_backend_image_carries_no_package_installer(
    backend_image: tuple[str, dict[str, Any]],
) -> None:
    """pip, setuptools and wheel only build the image: none of them (nor ensurepip's
    copies) is in the runtime image, in the venv or in the base's own site-packages."""
    tag, _ = backend_image
    ctr = _buildah("from", "--quiet", tag)
    try:
        root = Path(_buildah("mount", ctr))
        installers = [
            path.relative_to(root).as_posix()
            for pattern in (
                "opt/venv/lib/python3*/site-packages/*",
                "usr/local/lib/python3*/site-packages/*",
                "usr/lib/python3*/site-packages/*",
                "usr/lib/python3/dist-packages/*",
                "usr/local/lib/python3*/ensurepip/_bundled/*",
                "opt/venv/bin/*",
                "usr/local/bin/*",
            )
            for path in root.glob(pattern)
            if path.name.split("-")[0].split(".")[0] in {"pip", "pip3", "setuptools", "wheel"}
        ]
        assert installers == []
        assert any(root.glob("opt/venv/lib/python3*/site-packages/gunicorn"))
    finally:
        subprocess.run([require_executable("buildah"), "umount", ctr], check=False, timeout=60)
        _buildah("rm", ctr)


def test_backend_image_serves_read_only_as_its_user_and_drains_on_sigterm(
    backend_image: tuple[str, dict[str, Any]], running_backend: Server
) -> None:
    """Run from the built image on a read-only root (the run script proves root cannot
    write): probes answer 200, the API computes, /api/v1/info reports the build; the
    image's HEALTHCHECK command passes; SIGTERM turns /readyz 503 while still serving,
    then gunicorn exits 0."""
    url = running_backend.url
    for path in ("/healthz", "/readyz", "/metrics"):
        assert requests.get(url + path, timeout=5).status_code == 200, path
    answer = requests.get(url + "/api/v1/add", params={"a": "0.1", "b": "0.2"}, timeout=5)
    assert answer.json()["result"] == "0.3"
    info = requests.get(url + "/api/v1/info", timeout=5).json()
    assert (info["version"], info["commit"]) == (VERSION, REVISION)

    tag, config = backend_image
    healthcheck = config["Healthcheck"]["Test"][1:]
    ctr = _buildah("from", "--quiet", tag)
    try:
        root = _buildah("mount", ctr)
        env = [*config["Env"], f"CALCULATOR_PORT={running_backend.port}"]
        result = subprocess.run(
            ["chroot", f"--userspec={config['User']}", root, "/usr/bin/env", "-i", *env,
             *healthcheck],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    finally:
        subprocess.run([require_executable("buildah"), "umount", ctr], check=False, timeout=60)
        _buildah("rm", ctr)

    running_backend.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert requests.get(url + "/readyz", timeout=5).status_code == 503
    assert requests.get(url + "/healthz", timeout=5).status_code == 200
    assert running_backend.process.wait(timeout=40) == 0, running_backend.log()[-3000:]


def test_frontend_image_holds_the_ui_and_the_template_only(workdir: Path) -> None:
    """buildah builds frontend/Dockerfile (stand-in base): the template and the UI land
    where nginx expects them, nothing else from frontend/ does, USER is numeric 101."""
    base = _stand_in_base(workdir)
    tag = f"localhost/k8s-calculator-frontend:test-{os.getpid()}"
    config = _build("frontend", "NGINX_IMAGE", base, tag, workdir)
    ctr = _buildah("from", "--quiet", tag)
    try:
        root = Path(_buildah("mount", ctr))
        assert config["User"] == "101:101"
        assert list(config["ExposedPorts"]) == ["8080/tcp"]
        template = root / "etc/nginx/templates/default.conf.template"
        assert template.read_bytes() == (FRONTEND_DIR / "nginx/default.conf.template").read_bytes()
        html = root / "usr/share/nginx/html"
        shipped = sorted(p.relative_to(html).as_posix() for p in html.rglob("*") if p.is_file())
        expected = sorted(
            p.relative_to(FRONTEND_DIR).as_posix()
            for p in [FRONTEND_DIR / "index.html", *(FRONTEND_DIR / "assets").rglob("*")]
            if p.is_file()
        )
        assert shipped == expected
        etc_nginx = sorted(p.relative_to(root).as_posix() for p in (root / "etc/nginx").rglob("*"))
        assert etc_nginx == ["etc/nginx/templates", "etc/nginx/templates/default.conf.template"]
    finally:
        subprocess.run([require_executable("buildah"), "umount", ctr], check=False, timeout=60)
        _buildah("rm", ctr)
        _buildah("rmi", tag)
