"""Fixtures for the backend's unit and API tests."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calculator.app import create_app


@pytest.fixture
def app() -> Flask:
    """A fresh application in testing mode."""
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the application."""
    return app.test_client()
