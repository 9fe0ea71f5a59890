"""The API as an integration meets it: the real app on this test's database, a playbook in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import install_template
from salesrelay.app import create_app
from salesrelay.config import Settings


@pytest.fixture
def client(database_url, factory):
    install_template(factory)
    app = create_app(Settings(database_url=database_url, environment="test"))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()
