"""The team over the API: a partial update changes only what it names."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import add_rep, api_key, install_template
from salesrelay.app import create_app
from salesrelay.config import Settings


@pytest.fixture
def client(database_url, factory):
    install_template(factory)
    app = create_app(Settings(database_url=database_url, environment="test"))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_a_patch_with_nulls_leaves_those_fields_as_they_were(client, factory):
    rep_id = add_rep(factory, roles=["closing"], weight=3)
    headers = {"Authorization": f"Bearer {api_key(factory, 'admin')}"}
    answer = client.patch(
        f"/api/v1/reps/{rep_id}",
        json={"roles": None, "weight": None, "timezone": None, "paused": True},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["roles"] == ["closing"] and body["weight"] == 3 and body["paused"] is True
