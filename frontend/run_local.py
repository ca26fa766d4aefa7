"""Serve the calculator on this machine: what `make run` executes.

Starts the backend with the production gunicorn command (from backend/, on 127.0.0.1:5000)
and the UI on 127.0.0.1:8080 through nginx, configured from the same template as the image
(frontend/nginx/default.conf.template) plus a stand-in for the image's main nginx.conf.
Without nginx it says how to install it and serves the UI with a small stdlib server that
also proxies /api/ to the backend. Ctrl-C stops everything; if either server dies, the
other is stopped and the exit status is 1.

The tests import the renderer and config writer below, so what they check is what runs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND_DIR = ROOT / "frontend"
BACKEND_DIR = ROOT / "backend"
TEMPLATE = FRONTEND_DIR / "nginx" / "default.conf.template"
VENV_BIN = Path(sys.executable).parent

# The production command, run from backend/ (backend/Dockerfile's CMD is the same).
GUNICORN_ARGV = ["gunicorn", "--config", "gunicorn.conf.py", "calculator:create_app()"]
NGINX_CANDIDATES = (
    "nginx",
    "/usr/sbin/nginx",
    "/usr/local/sbin/nginx",
    "/usr/local/bin/nginx",
    "/opt/homebrew/bin/nginx",
)
INSTALL_HINT = (
    "nginx is not installed. Install it to serve the UI exactly as the image does:\n"
    "    sudo apt-get install nginx    # Debian, Ubuntu\n"
    "    brew install nginx            # macOS\n"
    "Serving the UI with the built-in fallback server instead (same files, /api/ proxied)."
)

# --- The template, rendered like the nginx image's entrypoint does ----------------------

_DEFAULT_LINE = re.compile(r"^#\s+([A-Z][A-Z0-9_]*)=(\S+)(?:\s.*)?$")
_PLACEHOLDER = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def template_text() -> str:
    """The site template shipped in the image."""
    return TEMPLATE.read_text(encoding="utf-8")


def template_defaults(text: str | None = None) -> dict[str, str]:
    """The NAME=default table in the template's header comment."""
    defaults: dict[str, str] = {}
    for line in (template_text() if text is None else text).splitlines():
        if not line.startswith("#"):
            break
        match = _DEFAULT_LINE.match(line)
        if match:
            defaults[match.group(1)] = match.group(2)
    return defaults


def envsubst(text: str, env: Mapping[str, str], name_filter: str = "") -> str:
    """Replace $NAME and ${NAME} for names set in env (matching name_filter), like
    `envsubst "$defined_envs"` in the nginx image; anything else is left untouched."""
    defined = {name for name in env if re.search(name_filter, name)}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return env[name] if name in defined else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def site_environment(
    overrides: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment the image would render with: its ENV defaults, then base, then
    overrides (the image's Dockerfile sets the same defaults)."""
    return {
        **template_defaults(),
        **(os.environ if base is None else base),
        **(overrides or {}),
    }


def render_site(env: Mapping[str, str]) -> str:
    """The rendered conf.d/default.conf; fails if a template variable stayed unset."""
    rendered = envsubst(template_text(), env, env.get("NGINX_ENVSUBST_FILTER", ""))
    missing = sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", rendered)))
    if missing:
        raise ValueError(f"template variables not set: {', '.join(missing)}")
    return rendered


# --- A stand-in for the image's nginx.conf ---------------------------------------------


def find_nginx() -> str | None:
    """Path of the nginx binary (Debian installs it in /usr/sbin, often not on PATH)."""
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _nginx_build(nginx: str) -> tuple[tuple[int, ...], str]:
    """nginx's version and its configure arguments."""
    output = subprocess.run(  # noqa: S603 - the nginx binary found on this machine
        [nginx, "-V"], capture_output=True, text=True, timeout=10, check=False
    ).stderr
    version = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output)
    numbers = tuple(int(part) for part in version.groups()) if version else (0, 0, 0)
    return numbers, output


def _mime_types_directive(configure: str) -> str:
    """Include the installation's mime.types (as the image does), or a minimal table."""
    conf_path = re.search(r"--conf-path=(\S+)", configure)
    if conf_path:
        mime_types = Path(conf_path.group(1)).parent / "mime.types"
        if mime_types.is_file():
            return f'include "{mime_types}";'
    return (
        "types { text/html html; text/css css; application/javascript js mjs; "
        "image/svg+xml svg; image/x-icon ico; application/json json; text/plain txt; }"
    )


def write_nginx_config(workdir: Path, env: Mapping[str, str], nginx: str) -> list[str]:
    """Write nginx.conf + conf.d/default.conf under workdir; return the nginx command.

    Same layout as the unprivileged image: the rendered site is included inside http{},
    pid and temp paths are writable paths outside the installation; the error log goes
    to stderr, the access log to stdout, and nginx stays in the foreground.
    """
    version, configure = _nginx_build(nginx)
    conf_d = workdir / "conf.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    (conf_d / "default.conf").write_text(render_site(env), encoding="utf-8")
    # As root, nginx would run its workers as "nobody", which cannot enter a private
    # temp dir: keep them as the current user, like the image's single non-root user.
    user = "user root;" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    temp = {name: workdir / name for name in ("client_temp", "proxy_temp", "fastcgi_temp")}
    temp |= {name: workdir / name for name in ("uwsgi_temp", "scgi_temp")}
    main = f"""# Stand-in for the nginx image's /etc/nginx/nginx.conf, written by run_local.py.
{user}
worker_processes 2;
pid "{workdir / "nginx.pid"}";
daemon off;
error_log stderr notice;
events {{
    worker_connections 1024;
}}
http {{
    client_body_temp_path "{temp["client_temp"]}";
    proxy_temp_path "{temp["proxy_temp"]}";
    fastcgi_temp_path "{temp["fastcgi_temp"]}";
    uwsgi_temp_path "{temp["uwsgi_temp"]}";
    scgi_temp_path "{temp["scgi_temp"]}";
    {_mime_types_directive(configure)}
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    include "{conf_d}/*.conf";
}}
"""
    conf = workdir / "nginx.conf"
    conf.write_text(main, encoding="utf-8")
    argv = [nginx, "-p", str(workdir), "-c", str(conf)]
    if version >= (1, 19, 5):  # -e: no attempt to open the packaged error log first
        argv += ["-e", "stderr"]
    return argv


# --- Fallback: a stdlib server that behaves like the nginx site, minus the tuning -------

# The problem+json type prefix of the backend (calculator.errors.TYPE_PREFIX) and the nginx
# site; a contract test compares them.
PROBLEM_TYPE_PREFIX = "urn:k8s-calculator:problem:"
# Codes for the errors http.server answers itself, as the backend and nginx name them.
FALLBACK_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    414: "uri_too_long",
    431: "headers_too_large",
    501: "not_implemented",
    505: "http_version_not_supported",
}

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "server",
    "date",
}


def security_headers(rendered_site: str) -> list[tuple[str, str]]:
    """The constant add_header lines of the rendered site (nginx's security headers)."""
    return re.findall(r'^\s*add_header\s+(\S+)\s+"([^"$]*)"\s+always;', rendered_site, re.M)


def make_fallback_handler(
    api_host: str, api_port: int, headers: list[tuple[str, str]]
) -> type[SimpleHTTPRequestHandler]:
    """A request handler serving frontend/ like the nginx site and proxying /api/."""

    class FallbackHandler(SimpleHTTPRequestHandler):
        extensions_map = {  # noqa: RUF012 - class attribute read by the base class
            ".html": "text/html; charset=utf-8",
            ".js": "application/javascript; charset=utf-8",
            ".css": "text/css; charset=utf-8",
            ".svg": "image/svg+xml",
            "": "application/octet-stream",
        }

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(FRONTEND_DIR), **kwargs)  # type: ignore[arg-type]

        def end_headers(self) -> None:
            for name, value in headers:
                self.send_header(name, value)
            path = getattr(self, "path", "").split("?", 1)[0]  # unset for unparsable requests
            if getattr(self, "_error", False):
                pass  # errors are not cached (nginx's expires skips them too)
            elif path in ("/", "/index.html"):
                self.send_header("Cache-Control", "no-cache")
            elif path.startswith("/assets/"):
                self.send_header("Cache-Control", "max-age=3600")
            super().end_headers()

        def _problem(self, status: int, title: str, code: str, detail: str) -> None:
            body = json.dumps(
                {"type": PROBLEM_TYPE_PREFIX + code, "title": title, "status": status}
                | {"detail": detail, "code": code, "request_id": None}
            ).encode()
            self._error = True
            self.send_response(status)
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if getattr(self, "command", "") != "HEAD":
                self.wfile.write(body)

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """The base class's own errors (missing files, bad requests) as problem+json."""
            status = HTTPStatus(code)
            problem_code = FALLBACK_ERROR_CODES.get(code, "bad_request")
            detail = "There is nothing at this address." if code == 404 else status.description
            self.close_connection = True
            self._problem(code, status.phrase, problem_code, detail)

        def list_directory(self, path: str | os.PathLike[str]) -> None:
            """No listings: a directory is not found, as with nginx."""
            self.send_error(404)

        def _allowed_static(self) -> bool:
            path = self.path.split("?", 1)[0]
            return path in ("/", "/index.html") or (
                path.startswith("/assets/") and "/." not in path
            )

        def do_HEAD(self) -> None:
            if self._allowed_static():
                super().do_HEAD()
            else:
                self._problem(404, "Not Found", "not_found", "There is nothing at this address.")

        def do_GET(self) -> None:
            if self.path == "/healthz":
                body = b'{"status":"ok"}\n'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path.startswith("/api/"):
                self._proxy()
            elif self._allowed_static():
                super().do_GET()
            else:
                self._problem(404, "Not Found", "not_found", "There is nothing at this address.")

        def do_POST(self) -> None:
            if self.path.startswith("/api/"):
                self._proxy()
            else:
                self._problem(405, "Method Not Allowed", "method_not_allowed", "Use GET.")

        def _proxy(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 16 * 1024:
                self._problem(413, "Content Too Large", "payload_too_large", "Body too large.")
                return
            body = self.rfile.read(length) if length else None
            forward = {
                name: value
                for name, value in self.headers.items()
                if name.lower() not in HOP_BY_HOP | {"host", "accept-encoding"}
            }
            forward["X-Forwarded-For"] = self.client_address[0]
            connection = http.client.HTTPConnection(api_host, api_port, timeout=10)
            try:
                connection.request(self.command, self.path, body=body, headers=forward)
                response = connection.getresponse()
                payload = response.read()
            except OSError:
                detail = "The calculator backend is unavailable."
                self._problem(502, "Bad Gateway", "backend_unavailable", detail)
                return
            finally:
                connection.close()
            self.send_response(response.status, response.reason)
            skip = HOP_BY_HOP | {"content-length"} | {name.lower() for name, _ in headers}
            for name, value in response.getheaders():
                if name.lower() not in skip:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"fallback: {self.address_string()} {format % args}\n")

    return FallbackHandler


# --- Supervision -------------------------------------------------------------------


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port (or it cannot be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def _shown_path(path: Path) -> str:
    """path relative to the working directory when it is below it (as `make run` runs)."""
    absolute = Path(os.path.abspath(path))  # not resolved: keep the venv's python link
    cwd = Path.cwd()
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(absolute)


def command_with_port(args: argparse.Namespace, option: str, busy: int) -> str | None:
    """The whole command that runs this again with option moved off a busy port onto the
    next free one (`make run` takes no options, so naming the option is not enough)."""
    candidates = range(busy + 1, min(busy + 100, 65535) + 1)
    free = next((port for port in candidates if not port_in_use(args.host, port)), None)
    if free is None:
        return None
    given = {
        "--host": (args.host, "127.0.0.1"),
        "--ui-port": (free if option == "--ui-port" else args.ui_port, 8080),
        "--api-port": (free if option == "--api-port" else args.api_port, 5000),
    }
    argv = [_shown_path(Path(sys.executable)), _shown_path(Path(__file__))]
    for name, (value, default) in given.items():
        if value != default or name == option:
            argv += [name, str(value)]
    if args.no_nginx:
        argv.append("--no-nginx")
    return shlex.join(argv)


def wait_until_up(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    """Poll url until it answers below 500; False if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status < 500:
                    return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def stop_process(process: subprocess.Popen[bytes], sig: int, timeout: float = 15.0) -> None:
    """Send sig, wait up to timeout, then kill; then kill whatever is left of its process
    group (workers of a master that was killed outright would otherwise linger)."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its own group: started in a new session


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGINT (Ctrl-C) and SIGTERM stop the servers."""
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Serve the backend (gunicorn) and the UI (nginx) on this machine. "
        "Ctrl-C stops both.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--ui-port", type=int, default=8080, help="UI port (8080)")
    parser.add_argument("--api-port", type=int, default=5000, help="backend port (5000)")
    parser.add_argument(
        "--no-nginx",
        action="store_true",
        help="use the built-in fallback server even when nginx is installed",
    )
    return parser.parse_args(argv)


def start_backend(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """gunicorn with the production command and config, from backend/."""
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "CALCULATOR_HOST": args.host,
        "CALCULATOR_PORT": str(args.api_port),
        "CALCULATOR_DRAIN_SECONDS": "0",  # no load balancer to drain locally
    }
    return subprocess.Popen(  # noqa: S603 - our own command line
        [str(VENV_BIN / GUNICORN_ARGV[0]), *GUNICORN_ARGV[1:]],
        cwd=BACKEND_DIR,
        env=env,
        start_new_session=True,  # Ctrl-C reaches this script, which stops it in order
    )


def start_fallback(args: argparse.Namespace, site_env: Mapping[str, str]) -> ThreadingHTTPServer:
    """The stdlib fallback server, serving in a background thread."""
    headers = security_headers(render_site(site_env))
    handler = make_fallback_handler(args.host, args.api_port, headers)
    server = ThreadingHTTPServer((args.host, args.ui_port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def supervise(children: list[tuple[str, subprocess.Popen[bytes]]]) -> int:
    """Wait until a child exits (returns 1) or Ctrl-C / SIGTERM (returns 0)."""
    try:
        while True:
            for name, process in children:
                if process.poll() is not None:
                    print(f"run_local: {name} exited ({process.returncode}); stopping", flush=True)
                    return 1
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\nrun_local: stopping", flush=True)
        return 0


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C (exit 0) or until a server dies (exit 1)."""
    args = parse_args(argv)
    for name, port in (("--ui-port", args.ui_port), ("--api-port", args.api_port)):
        if port_in_use(args.host, port):
            command = command_with_port(args, name, port)
            hint = f"to use another, run:\n    {command}" if command else f"free it or use {name}"
            print(f"run_local: port {port} is in use; {hint}", flush=True)
            return 1
    # Explicitly: a shell starting this in the background would have SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)

    nginx = None if args.no_nginx else find_nginx()
    if nginx is None and not args.no_nginx:
        print(INSTALL_HINT, flush=True)

    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    fallback: ThreadingHTTPServer | None = None
    workdir = Path(tempfile.mkdtemp(prefix="calculator-run-"))
    try:
        backend = start_backend(args)
        children.append(("backend", backend))
        api_url = f"http://{args.host}:{args.api_port}"
        print(f"run_local: backend pid {backend.pid} on {api_url}", flush=True)
        if not wait_until_up(api_url + "/healthz", backend, timeout=30):
            print("run_local: the backend did not start (see its log above)", flush=True)
            return 1

        site_env = site_environment(
            {
                "CALCULATOR_BACKEND_HOST": args.host,
                "CALCULATOR_BACKEND_PORT": str(args.api_port),
                "CALCULATOR_LISTEN_ADDRESS": f"{args.host}:{args.ui_port}",
                "CALCULATOR_STATIC_ROOT": str(FRONTEND_DIR),
            }
        )
        ui_url = f"http://{args.host}:{args.ui_port}"
        if nginx is not None:
            argv_nginx = write_nginx_config(workdir, site_env, nginx)
            ui = subprocess.Popen(argv_nginx, start_new_session=True)  # noqa: S603
            children.append(("nginx", ui))
            print(f"run_local: nginx pid {ui.pid} on {ui_url}", flush=True)
            if not wait_until_up(ui_url + "/healthz", ui, timeout=15):
                print("run_local: nginx did not start (see its log above)", flush=True)
                return 1
        else:
            fallback = start_fallback(args, site_env)
            print(f"run_local: fallback server pid {os.getpid()} on {ui_url}", flush=True)

        print(f"\n  UI:  {ui_url}\n  API: {api_url}/api/v1/info\n  Ctrl-C stops both.\n")
        sys.stdout.flush()
        return supervise(children)
    except KeyboardInterrupt:  # during start-up
        print("\nrun_local: stopping", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if fallback is not None:
            fallback.shutdown()
            fallback.server_close()
        for name, process in reversed(children):
            # nginx: SIGQUIT finishes open requests; gunicorn: SIGTERM is its graceful stop.
            stop_process(process, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
