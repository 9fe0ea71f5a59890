"""The team over the API: a partial update changes only what it names."""

from __future__ import annotations

from factories import add_rep, api_key


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
