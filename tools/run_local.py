"""`make run`: the backend (gunicorn) on :5000 and the UI (nginx) on :8080 until Ctrl-C.

Both run as the images run them (tools/serve.py). Without nginx, a stdlib fallback serves the
same files and /api/, with nginx's problem documents but none of its headers or tuning.
"""

import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import serve
from calculator import problems

INSTALL_HINT = """run_local: nginx is not installed; to serve the UI exactly as the image does:
    sudo apt-get install nginx    # Debian, Ubuntu
    brew install nginx            # macOS
run_local: serving the UI with the built-in fallback instead (no nginx headers or tuning)"""


# Headers the fallback writes itself; the backend's others pass through.
OWN = {"connection", "content-length", "content-type", "date", "server", "transfer-encoding"}


class Fallback(SimpleHTTPRequestHandler):
    """index.html, assets/ and /healthz from frontend/; /api/ passed to the backend."""

    backend: tuple[str, int]

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            self._proxy()
        elif path == "/healthz":
            self._send(200, "application/json", b'{"status":"ok"}\n')
        elif path in ("/", "/index.html") or path.startswith("/assets/"):
            super().do_GET() if self.command == "GET" else super().do_HEAD()
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        """Every other method: the backend's answer under /api/, 405 for the UI's files."""
        if self.path.startswith("/api/"):
            self._proxy()
        else:
            self.send_error(405)

    do_HEAD = do_GET  # noqa: N815 - http.server's naming
    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST  # noqa: N815

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        connection = http.client.HTTPConnection(*self.backend, timeout=10)
        try:
            connection.request(self.command, self.path, self.rfile.read(length), dict(self.headers))
            answer = connection.getresponse()
            self._send(
                answer.status,
                answer.getheader("Content-Type", ""),
                answer.read(),
                [(k, v) for k, v in answer.getheaders() if k.lower() not in OWN],
            )
        except OSError:
            self.send_error(502)
        finally:
            connection.close()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(404)  # no listings

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors as the same problem documents nginx answers."""
        request_id = uuid.uuid4().hex
        body = problems.document(problems.code_for_status(code), None, request_id, status=code)
        self._send(
            code, problems.MIME, problems.dumps(body).encode(), [("X-Request-ID", request_id)]
        )

    def _send(
        self, status: int, kind: str, body: bytes, extra: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.send_response(status)
        for name, value in [("Content-Type", kind), ("Content-Length", str(len(body))), *extra]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the backend and the UI until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--ui-port", type=int, default=8080, help="UI port (8080)")
    parser.add_argument("--api-port", type=int, default=5000, help="backend port (5000)")
    parser.add_argument("--no-nginx", action="store_true", help="use the fallback, not nginx")
    return parser.parse_args(argv)


def _shown(path: str) -> str:
    """path relative to the working directory when below it (as `make run` runs this)."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _elsewhere(args: argparse.Namespace, option: str, busy: int) -> str:
    """The whole command that runs this on the next free port (`make run` takes no options)."""
    free = next((p for p in range(busy + 1, busy + 100) if serve.port_is_free(args.host, p)), None)
    if free is None:
        return f"free it or use {option}"
    ports = {"--ui-port": args.ui_port, "--api-port": args.api_port, option: free}
    words = [_shown(sys.executable), _shown(__file__), *(f"{o} {p}" for o, p in ports.items())]
    words += ["--host", args.host] if args.host != "127.0.0.1" else []
    words += ["--no-nginx"] if args.no_nginx else []
    return "to use another, run:\n    " + " ".join(words)


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C or SIGTERM (exit 0) or until a server dies (exit 1)."""
    args = parse_args(argv)
    for option, port in (("--ui-port", args.ui_port), ("--api-port", args.api_port)):
        if not serve.port_is_free(args.host, port):
            print(f"run_local: port {port} is in use; {_elsewhere(args, option, port)}", flush=True)
            return 1
    # Both raise KeyboardInterrupt; explicitly, as a background job has SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    nginx = None if args.no_nginx else serve.find_nginx()
    if nginx is None and not args.no_nginx:
        print(INSTALL_HINT, flush=True)

    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    fallback: ThreadingHTTPServer | None = None
    workdir = Path(tempfile.mkdtemp(prefix="calculator-run-"))
    api, ui = f"http://{args.host}:{args.api_port}", f"http://{args.host}:{args.ui_port}"
    try:
        # No load balancer to drain for locally; own session: Ctrl-C reaches only this.
        env = {
            "CALCULATOR_HOST": args.host,
            "CALCULATOR_PORT": str(args.api_port),
            "CALCULATOR_DRAIN_SECONDS": "0",
        }
        children.append(("backend", serve.start_gunicorn(env, start_new_session=True)))
        print(f"run_local: backend pid {children[0][1].pid} on {api}", flush=True)
        if nginx is not None:
            site = {
                "CALCULATOR_BACKEND_HOST": args.host,
                "CALCULATOR_BACKEND_PORT": str(args.api_port),
                "CALCULATOR_LISTEN_ADDRESS": f"{args.host}:{args.ui_port}",
                "CALCULATOR_STATIC_ROOT": str(serve.FRONTEND_DIR),
            }
            command = serve.write_nginx_config(workdir, site, nginx)
            children.append(("nginx", subprocess.Popen(command, start_new_session=True)))  # noqa: S603
            print(f"run_local: nginx pid {children[1][1].pid} on {ui}", flush=True)
        else:
            handler = type("Handler", (Fallback,), {"backend": (args.host, args.api_port)})
            fallback = ThreadingHTTPServer(
                (args.host, args.ui_port), partial(handler, directory=str(serve.FRONTEND_DIR))
            )
            threading.Thread(target=fallback.serve_forever, daemon=True).start()
            print(f"run_local: fallback server (no nginx) on {ui}", flush=True)
        for (name, process), url in zip(children, (api, ui), strict=False):
            if not serve.wait_until_up(url + "/healthz", process, timeout=30):
                print(f"run_local: {name} did not start (see its log above)", flush=True)
                return 1
        print(f"\n  UI:  {ui}\n  API: {api}/api/v1/info\n  Ctrl-C stops both.\n", flush=True)
        while not (exited := [name for name, process in children if process.poll() is not None]):
            time.sleep(0.2)
        print(f"run_local: {exited[0]} exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
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
            serve.stop(process, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
