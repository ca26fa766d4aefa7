"""backend/gunicorn.conf.py: defaults, environment overrides, and what it shares with the app."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from calculator import serving

pytestmark = pytest.mark.integration

BACKEND = Path(__file__).resolve().parents[2]
CONFIG = BACKEND / "gunicorn.conf.py"

# Every variable gunicorn.conf.py reads (the app's are found by scanning its source).
CONFIG_VARIABLES = (
    "CALCULATOR_HOST",
    "CALCULATOR_PORT",
    "CALCULATOR_WORKERS",
    "CALCULATOR_WORKER_CONNECTIONS",
    "CALCULATOR_KEEPALIVE",
    "CALCULATOR_GRACEFUL_TIMEOUT",
    "CALCULATOR_DRAIN_SECONDS",
    "PROMETHEUS_MULTIPROC_DIR",
    "FORWARDED_ALLOW_IPS",
    "CALCULATOR_LOG_LEVEL",
)
# Read by gunicorn itself when set; the config does not set them.
GUNICORN_OWN = ("GUNICORN_CMD_ARGS",)


def load_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The config module's namespace, evaluated with exactly these variables set."""
    for name in (*CONFIG_VARIABLES, *GUNICORN_OWN):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no environment: all interfaces, port 5000, 2 gevent workers of 1000 connections,
    keep-alive 75 s (longer than nginx's 60 s), graceful 20 s, drain 5 s, no access log."""
    config = load_config(monkeypatch)
    assert config["bind"] == ["0.0.0.0:5000"]
    assert (config["workers"], config["worker_connections"]) == (2, 1000)
    worker_class = util.load_class(config["worker_class"])
    assert issubclass(worker_class, GeventWorker)
    assert config["keepalive"] == config["DEFAULT_KEEPALIVE"] == 75
    assert config["keepalive"] > 60
    assert (config["timeout"], config["graceful_timeout"]) == (30, 20)
    assert config["shutdown_drain_seconds"] == serving.DEFAULT_DRAIN_SECONDS == 5
    assert (config["limit_request_line"], config["limit_request_fields"]) == (4094, 50)
    assert config["limit_request_field_size"] == 8190
    assert config["accesslog"] is None
    assert config["loglevel"] == "info"
    assert config["control_socket_disable"] is True
    assert config["preload_app"] is False
    assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
    if Path(serving.SHM_DIR).is_dir():
        assert config["worker_tmp_dir"] == serving.SHM_DIR


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each variable changes its setting; an IPv6 host is bracketed in the bind address."""
    config = load_config(
        monkeypatch,
        CALCULATOR_HOST="::",
        CALCULATOR_PORT="8000",
        CALCULATOR_WORKERS="5",
        CALCULATOR_WORKER_CONNECTIONS="8",
        CALCULATOR_KEEPALIVE="90",
        CALCULATOR_GRACEFUL_TIMEOUT="7",
        CALCULATOR_DRAIN_SECONDS="0.5",
        CALCULATOR_LOG_LEVEL="WARNING",
        FORWARDED_ALLOW_IPS="10.0.0.0/8",
    )
    assert config["bind"] == ["[::]:8000"]
    assert (config["workers"], config["worker_connections"], config["keepalive"]) == (5, 8, 90)
    assert (config["graceful_timeout"], config["shutdown_drain_seconds"]) == (7, 0.5)
    assert config["loglevel"] == "warning"
    assert config["forwarded_allow_ips"] == "10.0.0.0/8"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CALCULATOR_PORT", "http"),
        ("CALCULATOR_PORT", "0"),
        ("CALCULATOR_WORKERS", "0"),
        ("CALCULATOR_WORKER_CONNECTIONS", "-1"),
        ("CALCULATOR_KEEPALIVE", "1.5"),
        ("CALCULATOR_GRACEFUL_TIMEOUT", "0"),
        ("CALCULATOR_DRAIN_SECONDS", "-1"),
        ("CALCULATOR_DRAIN_SECONDS", "nan"),
        ("CALCULATOR_DRAIN_SECONDS", "20"),  # not shorter than the graceful timeout
        ("CALCULATOR_LOG_LEVEL", "verbose"),
    ],
)
def test_invalid_values_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """An invalid value is an error that names the variable, never a silent default."""
    with pytest.raises(ValueError, match=name):
        load_config(monkeypatch, **{name: value})
