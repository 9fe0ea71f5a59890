"""POST /api/v1/leads as an integration would use it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from factories import api_key, four_role_team
from salesrelay.calendar import BusinessCalendar
from salesrelay.playbook import parse_playbook, template_text


@pytest.fixture
def team(factory):
    return four_role_team(factory)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def lead(**fields):
    return {
        "email": "jo@acme.example",
        "first_name": "Jo",
        "last_name": "Doe",
        "company": "Acme Inc",
        **fields,
    }


def test_a_lead_is_routed_at_once_with_reasons_and_a_deadline(client, factory, team):
    key = api_key(factory, "intake")
    received = (
        "2026-11-20T21:58:00+00:00"  # Friday 16:58 in New York: the clock runs over the weekend
    )
    response = client.post("/api/v1/leads", json=lead(received_at=received), headers=auth(key))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["stage"] == "new"
    assert body["owner"]["email"] in {
        "ana@seller.example",
        "bo@seller.example",
        "eve@seller.example",
    }
    assert any("all other inbound" in reason for reason in body["reasons"])
    calendar = BusinessCalendar.from_playbook(parse_playbook(template_text("four-role")).calendar)
    expected = calendar.add_business_minutes(datetime.fromisoformat(received), 5)
    assert datetime.fromisoformat(body["first_touch_due_at"]) == expected
    assert expected == datetime(2026, 11, 23, 14, 3, tzinfo=UTC)  # Monday 09:03 in New York
    assert datetime.fromisoformat(body["first_touch_due_at"]).utcoffset() is not None


def test_enterprise_leads_go_to_the_enterprise_pool(client, factory, team):
    key = api_key(factory, "intake")
    body = client.post("/api/v1/leads", json=lead(employees=5000), headers=auth(key)).json()
    assert body["owner"]["email"] == "eve@seller.example"
    assert any("enterprise inbound" in reason for reason in body["reasons"])


def test_round_robin_alternates_between_qualifiers(client, factory, team):
    key = api_key(factory, "intake")
    owners = [
        client.post(
            "/api/v1/leads",
            json=lead(email=f"p{i}@co{i}.example", company=f"Company {i}"),
            headers=auth(key),
        ).json()["owner"]["email"]
        for i in range(6)
    ]
    counts = {email: owners.count(email) for email in set(owners)}
    assert max(counts.values()) - min(counts.values()) <= 1
    assert len(counts) == 3


def test_authentication_is_required_and_scoped(client, factory, team):
    assert client.post("/api/v1/leads", json=lead()).status_code == 401
    assert client.post("/api/v1/leads", json=lead(), headers=auth("sr_wrong")).status_code == 401
    read_only = api_key(factory, "read")
    response = client.post("/api/v1/leads", json=lead(), headers=auth(read_only))
    assert response.status_code == 403
    assert "intake" in response.json()["detail"]


def test_idempotency_key_replays_the_first_answer(client, factory, team):
    key = api_key(factory, "intake")
    headers = auth(key) | {"Idempotency-Key": "form-123"}
    first = client.post("/api/v1/leads", json=lead(), headers=headers)
    again = client.post("/api/v1/leads", json=lead(), headers=headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    other = client.post("/api/v1/leads", json=lead(email="someone@else.example"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_the_same_person_twice_joins_the_open_journey(client, factory, team):
    key = api_key(factory, "intake")
    first = client.post("/api/v1/leads", json=lead(), headers=auth(key)).json()
    again = client.post(
        "/api/v1/leads", json=lead(email="JO+webinar@Acme.example"), headers=auth(key)
    )
    assert again.status_code == 200
    assert again.json()["journey_id"] == first["journey_id"]
    assert again.json()["duplicate"] is True
    read = api_key(factory, "read")
    detail = client.get(f"/api/v1/journeys/{first['journey_id']}", headers=auth(read)).json()
    kinds = [event["kind"] for event in detail["timeline"]]
    assert kinds == ["lead.received", "journey.routed", "lead.repeated"]


def test_a_colleague_from_the_same_company_domain_joins_the_account(client, factory, team):
    key = api_key(factory, "intake")
    first = client.post("/api/v1/leads", json=lead(), headers=auth(key)).json()
    colleague = client.post(
        "/api/v1/leads", json=lead(email="max@acme.example", first_name="Max"), headers=auth(key)
    ).json()
    assert colleague["account_id"] == first["account_id"]
    assert colleague["journey_id"] == first["journey_id"]
    assert "acme.example" in colleague["reasons"][0]


def test_free_mail_domains_never_match_accounts(client, factory, team):
    key = api_key(factory, "intake")
    one = client.post(
        "/api/v1/leads", json=lead(email="a@gmail.com", company="Alpha"), headers=auth(key)
    ).json()
    two = client.post(
        "/api/v1/leads", json=lead(email="b@gmail.com", company="Beta"), headers=auth(key)
    ).json()
    assert one["account_id"] != two["account_id"]


def test_a_fuzzy_company_name_matches_the_account(client, factory, team):
    key = api_key(factory, "intake")
    one = client.post(
        "/api/v1/leads",
        json=lead(email="a@gmail.com", company="Globex Corporation"),
        headers=auth(key),
    ).json()
    two = client.post(
        "/api/v1/leads", json=lead(email="b@yahoo.com", company="GLOBEX corp."), headers=auth(key)
    ).json()
    assert two["account_id"] == one["account_id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"first_name": "No contact"}, "body"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.example", "employees": -3}, "employees"),
        ({"email": "a@b.example", "employees": "many"}, "employees"),
        ({"email": "a@b.example", "received_at": "2026-11-27T10:00:00"}, "received_at"),
        ({"email": "x" * 400 + "@b.example"}, "email"),
    ],
)
def test_bad_leads_get_a_422_naming_the_field(client, factory, team, payload, field):
    key = api_key(factory, "intake")
    response = client.post("/api/v1/leads", json=payload, headers=auth(key))
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}


def test_broken_json_and_huge_bodies_are_refused_cleanly(client, factory, team):
    key = api_key(factory, "intake")
    broken = client.post(
        "/api/v1/leads",
        content=b"{not json",
        headers=auth(key) | {"Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    huge = client.post("/api/v1/leads", json=lead(notes="x" * 2_000_000), headers=auth(key))
    assert huge.status_code == 413


def test_extra_fields_are_kept_as_attributes(client, factory, team):
    key = api_key(factory, "intake")
    body = client.post(
        "/api/v1/leads", json=lead(plan="pro", utm_campaign="q4"), headers=auth(key)
    ).json()
    reader = api_key(factory, "read")
    detail = client.get(f"/api/v1/journeys/{body['journey_id']}", headers=auth(reader)).json()
    assert detail["contact"]["attributes"] == {"plan": "pro", "utm_campaign": "q4"}


def test_without_anyone_available_the_lead_waits_in_the_queue(client, factory):
    key = api_key(factory, "intake")
    response = client.post("/api/v1/leads", json=lead(), headers=auth(key))
    assert response.status_code == 201
    assert response.json()["owner"] is None
    assert any("queue" in reason for reason in response.json()["reasons"])


def test_a_touch_stops_the_first_touch_clock(client, factory, team):
    key = api_key(factory, "admin")
    body = client.post("/api/v1/leads", json=lead(), headers=auth(key)).json()
    touched = client.post(
        f"/api/v1/journeys/{body['journey_id']}/touches",
        json={"channel": "call"},
        headers=auth(key),
    )
    assert touched.status_code == 201, touched.text
    assert touched.json()["first_touch"] is True
    assert touched.json()["clocks_stopped"] == ["first_touch_inbound"]
    detail = client.get(f"/api/v1/journeys/{body['journey_id']}", headers=auth(key)).json()
    assert detail["first_touched_at"] is not None
    assert detail["clocks"][0]["status"] in {"met", "missed"}
    assert detail["timeline"][-1]["kind"] in {"sla.met", "sla.missed"}
    second = client.post(
        f"/api/v1/journeys/{body['journey_id']}/touches", json={}, headers=auth(key)
    ).json()
    assert second["first_touch"] is False


def test_unknown_journeys_are_404(client, factory, team):
    key = api_key(factory, "read")
    assert client.get("/api/v1/journeys/999999", headers=auth(key)).status_code == 404
    assert client.get("/api/v1/journeys/abc", headers=auth(key)).status_code == 422


def test_received_at_in_the_future_is_taken_as_now(client, factory, team):
    key = api_key(factory, "intake")
    body = client.post(
        "/api/v1/leads", json=lead(received_at="2099-01-01T00:00:00Z"), headers=auth(key)
    ).json()
    assert datetime.fromisoformat(body["first_touch_due_at"]) < datetime(2099, 1, 1, tzinfo=UTC)
