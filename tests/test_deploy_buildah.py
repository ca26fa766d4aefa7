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

STAND_IN_BASES = {
    "python": ("localhost/k8s-calculator-test-base:bookworm", "python3,python3-venv,passwd"),
    "nginx": ("localhost/k8s-calculator-test-nginx:bookworm", "nginx-light,gettext-base"),
}
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


def _stand_in_base(workdir: Path, flavour: str = "python") -> str:
    """A minimal Debian image with what the Dockerfile's base provides, built once and
    cached: python3 (venv, useradd) for the backend; nginx and envsubst for the frontend."""
    tag, packages = STAND_IN_BASES[flavour]
    if _has_image(tag):
        return tag
    mmdebstrap = require_executable("mmdebstrap")
    rootfs = workdir / f"rootfs-{flavour}.tar"
    subprocess.run(
        [mmdebstrap, "--quiet", "--variant=minbase", f"--include={packages}", "bookworm",
         str(rootfs)],
        check=True,
        timeout=900,
    )  # fmt: skip
    ctr = _buildah("from", "scratch")
    try:
        _buildah("add", ctr, str(rootfs), "/")
        _buildah(
            "config",
            "--env",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ctr,
        )
        _buildah("commit", "--quiet", ctr, tag)
    finally:
        _buildah("rm", ctr)
    return tag


def _has_image(tag: str) -> bool:
    result = subprocess.run(
        [require_executable("buildah"), "inspect", "--type", "image", tag],
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


# The official nginx image's entrypoint, reduced to what this image uses: source the
# /docker-entrypoint.d/*.envsh hooks, render /etc/nginx/templates/*.template with envsubst
# for the variables NGINX_ENVSUBST_FILTER selects (as its 20-envsubst-on-templates.sh
# does), then run nginx in the foreground.
ENTRYPOINT_SCRIPT = r"""
set -eu
for hook in /docker-entrypoint.d/*.envsh; do . "$hook"; done
names=$(awk -v re="$NGINX_ENVSUBST_FILTER" \
    'END { for (n in ENVIRON) if (n ~ re) printf "${%s} ", n }' </dev/null)
for template in /etc/nginx/templates/*.template; do
    out="/etc/nginx/conf.d/$(basename "$template" .template)"
    envsubst "$names" <"$template" >"$out"
done
exec nginx -e stderr -g 'daemon off;'
"""
# A pod's resolv.conf in namespace frontend-ns; nothing answers DNS for the backend here.
POD_RESOLV_CONF = """nameserver 127.0.0.1
search frontend-ns.svc.cluster.local svc.cluster.local cluster.local
options ndots:5
"""


@pytest.fixture(scope="module")
def frontend_image(workdir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The frontend image built by buildah from frontend/Dockerfile (on a Debian base
    with nginx standing in for nginx-unprivileged), and its config."""
    base = _stand_in_base(workdir, "nginx")
    tag = f"localhost/k8s-calculator-frontend:test-{os.getpid()}"
    config = _build("frontend", "NGINX_IMAGE", base, tag, workdir)
    try:
        yield tag, config
    finally:
        _buildah("rmi", tag)


@pytest.fixture
def running_frontend(
    frontend_image: tuple[str, dict[str, Any]], tmp_path: Path
) -> Iterator[Server]:
    """The frontend image alone (no backend anywhere), read-only, as its USER, with a
    pod's resolv.conf and tmpfs on /tmp and /etc/nginx/conf.d as in Kubernetes."""
    tag, config = frontend_image
    ctr = _buildah("from", "--quiet", tag)
    port = free_port()
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text(POD_RESOLV_CONF)
    log_path = tmp_path / "frontend.log"
    script = RUN_SCRIPT.replace(
        'mount --rbind /proc "$root/proc"\n',
        'mount --rbind /proc "$root/proc"\n'
        'mount -t tmpfs -o size=1m,mode=1777 tmpfs "$root/etc/nginx/conf.d"\n'
        f'touch "$root/etc/resolv.conf" 2>/dev/null || true\n'
        f'mount --bind "{resolv_conf}" "$root/etc/resolv.conf"\n',
    )
    try:
        root = _buildah("mount", ctr)
        env = [*config["Env"], f"CALCULATOR_LISTEN_ADDRESS=127.0.0.1:{port}"]
        argv = [
            require_executable("unshare"), "--mount", "sh", "-c", script, "run",
            root, config["User"], "/", *env, "/bin/sh", "-c", ENTRYPOINT_SCRIPT,
        ]  # fmt: skip
        # nginx reopens /dev/stdout (its access log) as its user, as it does a pipe in
        # a container runtime: the log file must be writable for that user.
        log_path.touch(mode=0o666)
        log_path.chmod(0o666)
        with log_path.open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        server = Server(process, port, log_path)
        try:
            try:
                wait_for_http(server.url + "/healthz", timeout=30, process=process)
            except RuntimeError as error:
                raise AssertionError(server.log()[-3000:]) from error
            yield server
        finally:
            server.stop(signal.SIGQUIT, timeout=20)
    finally:
        subprocess.run([require_executable("buildah"), "umount", ctr], check=False, timeout=60)
        _buildah("rm", ctr)


def test_frontend_image_ships_the_ui_and_its_nginx_configuration(
    frontend_image: tuple[str, dict[str, Any]],
) -> None:
    """The templates, main config and entrypoint hook land where nginx and its entrypoint
    look; the UI's files and nothing else from frontend/ are served; USER is numeric 101."""
    tag, config = frontend_image
    ctr = _buildah("from", "--quiet", tag)
    try:
        root = Path(_buildah("mount", ctr))
        assert config["User"] == "101:101"
        assert list(config["ExposedPorts"]) == ["8080/tcp"]
        shipped = {
            "etc/nginx/nginx.conf": "nginx/image/nginx.conf",
            "etc/nginx/templates/default.conf.template": "nginx/default.conf.template",
            "etc/nginx/templates/generated.inc.template": "nginx/generated.inc.template",
            "etc/nginx/templates/resolver.conf.template": "nginx/image/resolver.conf.template",
            "docker-entrypoint.d/15-calculator-backend.envsh": (
                "nginx/image/15-calculator-backend.envsh"
            ),
        }
        for inside, source in shipped.items():
            assert (root / inside).read_bytes() == (FRONTEND_DIR / source).read_bytes(), inside
        assert os.access(root / "docker-entrypoint.d/15-calculator-backend.envsh", os.X_OK)
        templates = sorted(p.name for p in (root / "etc/nginx/templates").iterdir())
        assert templates == sorted(Path(k).name for k in shipped if "templates/" in k)
        assert not (root / "etc/nginx/conf.d/default.conf").exists()
        html = root / "usr/share/nginx/html"
        served = sorted(p.relative_to(html).as_posix() for p in html.rglob("*") if p.is_file())
        expected = sorted(
            p.relative_to(FRONTEND_DIR).as_posix()
            for p in [FRONTEND_DIR / "index.html", *(FRONTEND_DIR / "assets").rglob("*")]
            if p.is_file()
        )
        assert served == expected
    finally:
        subprocess.run([require_executable("buildah"), "umount", ctr], check=False, timeout=60)
        _buildah("rm", ctr)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is pid (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_frontend_image_starts_alone_and_answers_502_problem_json_for_the_api(
    running_frontend: Server,
) -> None:
    """With no backend anywhere: nginx starts (it resolves the backend per request, not
    at start), /healthz is 200, /api/v1/info is 502 problem+json backend_unavailable.
    The entrypoint hook took the resolver and the backend's full name from the pod's
    resolv.conf, and nginx runs one worker whatever the machine's CPU count."""
    url = running_frontend.url
    assert requests.get(url + "/healthz", timeout=5).status_code == 200
    assert requests.get(url + "/", timeout=5).status_code == 200
    answer = requests.get(url + "/api/v1/info", timeout=15)
    assert answer.status_code == 502, running_frontend.log()[-2000:]
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "backend_unavailable"

    conf_d = Path(f"/proc/{running_frontend.process.pid}/root/etc/nginx/conf.d")
    assert "resolver 127.0.0.1 valid=10s;" in (conf_d / "resolver.conf").read_text()
    site = (conf_d / "default.conf").read_text()
    assert "http://backend-svc.frontend-ns.svc.cluster.local:5000" in site
    assert len(_children(running_frontend.process.pid)) == 1
