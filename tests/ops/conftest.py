from __future__ import annotations

import pytest

from factories import four_role_team, install_template
from ops.support import app_client


@pytest.fixture
def team(factory):
    install_template(factory)
    return four_role_team(factory)


@pytest.fixture
def client(database_url, team):
    with app_client(database_url) as client:
        yield client
    client.app.state.engine.dispose()
