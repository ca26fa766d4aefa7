"""Start the real servers on this machine: shared by `make run` and the tests.

gunicorn runs the production command from backend/; nginx runs the image's site templates
(frontend/nginx/*.template), rendered as the image's entrypoint renders them, with the
defaults the image sets (frontend/Dockerfile's ENV), under a stand-in for the image's main
nginx.conf. So what developers run and what the tests check is what the images run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BACKEND_DIR = ROOT / "backend"
FRONTEND_DIR = ROOT / "frontend"
VENV_BIN = Path(sys.executable).parent
# The production command, run from backend/ (backend/Dockerfile's CMD; a test compares).
GUNICORN_ARGV = ["gunicorn", "--config", "gunicorn.conf.py"]
# The nginx image substitutes only these variables (NGINX_ENVSUBST_FILTER in its Dockerfile).
TEMPLATE_PREFIX = "CALCULATOR_"
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/opt/homebrew/bin/nginx")


def start_gunicorn(env: Mapping[str, str], **popen: Any) -> subprocess.Popen[bytes]:
    """The production gunicorn command from backend/, with env added to this environment."""
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    full_env = {**os.environ, "PATH": path, **env}
    return subprocess.Popen(GUNICORN_ARGV, cwd=BACKEND_DIR, env=full_env, **popen)  # noqa: S603


def nginx_defaults() -> dict[str, str]:
    """The template variables' defaults: the ENV instructions of the frontend image."""
    text = (FRONTEND_DIR / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    pairs = (
        word.split("=", 1)
        for line in re.findall(r"^ENV\s+(.+)$", text, re.M)
        for word in shlex.split(line, comments=True)
    )
    return {name: value for name, value in pairs if name.startswith(TEMPLATE_PREFIX)}


def render(template: str, env: Mapping[str, str]) -> str:
    """Substitute $NAME and ${NAME} for the app's variables set in env, like the image's
    `envsubst` with NGINX_ENVSUBST_FILTER; nginx's own $variables stay as they are."""
    names = {name: value for name, value in env.items() if name.startswith(TEMPLATE_PREFIX)}
    return string.Template(template).safe_substitute(names)


def find_nginx() -> str | None:
    """Path of nginx (Debian installs it in /usr/sbin, often not on PATH)."""
    return next(filter(None, map(shutil.which, NGINX_CANDIDATES)), None)


def write_nginx_config(workdir: Path, env: Mapping[str, str], nginx: str) -> list[str]:
    """Render the site into workdir/conf.d under a stand-in nginx.conf; return the command.

    As in the unprivileged image: the site is included inside http{}, pid and temp files
    are in a writable directory, the error log goes to stderr and the access log to stdout.
    """
    conf_d = workdir / "conf.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    variables = {**nginx_defaults(), **env}
    for template in (FRONTEND_DIR / "nginx").glob("*.template"):
        rendered = render(template.read_text(encoding="utf-8"), variables)
        (conf_d / template.stem).write_text(rendered, encoding="utf-8")
    configure = subprocess.run(  # noqa: S603 - the nginx binary found on this machine
        [nginx, "-V"], capture_output=True, text=True, timeout=10, check=False
    ).stderr
    found = re.search(r"--conf-path=(\S+)", configure)
    mime_types = Path(found.group(1)).parent / "mime.types" if found else None
    if mime_types is None or not mime_types.is_file():
        raise RuntimeError(f"{nginx} has no mime.types beside its configuration")
    # As root, nginx would run workers as "nobody"; the image runs as one non-root user.
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f'    {kind}_temp_path "{workdir / kind}";'
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"""# Stand-in for the nginx image's nginx.conf, written by tools/serve.py.
{user}
worker_processes 2;
pid "{workdir / "nginx.pid"}";
daemon off;
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
{temp}
    include "{mime_types}";
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    include conf.d/*.conf;
}}
""",
        encoding="utf-8",
    )
    return [nginx, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", "stderr"]


def port_is_free(host: str, port: int) -> bool:
    """True when a server could listen on host:port now (connections in TIME_WAIT from an
    earlier run do not count: servers set SO_REUSEADDR, and so does this check)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_up(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    """Poll url until it answers below 500; False if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (process is None or process.poll() is None):
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def stop(process: subprocess.Popen[bytes], sig: int, timeout: float = 15.0) -> int:
    """Send sig, wait (kill after timeout), then kill what is left of its process group."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # workers of a master that was killed
    return process.returncode
