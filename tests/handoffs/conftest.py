from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import api_key
from handoffs.support import post_sales_team
from salesrelay.app import create_app
from salesrelay.config import Settings


@pytest.fixture
def team(factory):
    return post_sales_team(factory)


@pytest.fixture
def client(database_url, factory, team):
    app = create_app(
        Settings(
            database_url=database_url,
            environment="test",
            webhook_url="http://127.0.0.1:9/hook",
            webhook_secret="s3cret",
        )
    )
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {api_key(factory, 'admin')}"
        yield client
    app.state.engine.dispose()
