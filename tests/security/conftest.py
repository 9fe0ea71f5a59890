from __future__ import annotations

import pytest

from salesrelay.app import create_app
from salesrelay.config import Settings
from web.support import build_world


@pytest.fixture
def world(factory):
    """The web tests' world: a four-role team, a user per role, journeys and handoffs of
    two teams (web/support.py)."""
    return build_world(factory)


@pytest.fixture
def app(database_url, world):
    app = create_app(Settings(database_url=database_url, environment="test"))
    yield app
    app.state.engine.dispose()
