"""A journey from first touch to customer through the API: moves, handoffs, post-sales."""

from __future__ import annotations

from datetime import datetime

from handoffs.support import QUALIFIED, messages

LEAD = {"email": "jo@acme.example", "first_name": "Jo", "last_name": "Doe", "company": "Acme Inc"}


def _lead(client) -> dict:
    response = client.post("/api/v1/leads", json=LEAD)
    assert response.status_code == 201, response.text
    return response.json()


def _move(client, journey_id, to, **body):
    return client.post(f"/api/v1/journeys/{journey_id}/transitions", json={"to": to, **body})


def test_a_disallowed_move_is_409_with_the_allowed_moves(client):
    lead = _lead(client)
    response = _move(client, lead["journey_id"], "won")
    assert response.status_code == 409
    body = response.json()
    assert "allowed moves from 'new': qualifying, disqualified" in body["detail"]
    assert body["errors"][0]["allowed"] == ["qualifying", "disqualified"]
    assert _move(client, lead["journey_id"], "nowhere").status_code == 409
    assert "no such stage" in _move(client, lead["journey_id"], "nowhere").json()["detail"]


def test_a_cross_role_move_must_be_a_handoff(client):
    journey_id = _lead(client)["journey_id"]
    assert _move(client, journey_id, "qualifying").status_code == 200
    response = _move(client, journey_id, "discovery")
    assert response.status_code == 409
    assert "propose a handoff with protocol 'qualified_to_closer'" in response.json()["detail"]
    assert response.json()["errors"][0]["handoff"] == "qualified_to_closer"


def test_endings_need_a_reason_and_close_the_journey(client, team):
    journey_id = _lead(client)["journey_id"]
    response = _move(client, journey_id, "disqualified")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    owner = client.get(f"/api/v1/journeys/{journey_id}").json()["owner"]["email"]
    load_before = next(r for r in client.get("/api/v1/reps").json()["data"] if r["email"] == owner)
    response = _move(client, journey_id, "disqualified", reason="student project")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed" and response.json()["outcome"] == "disqualified"
    load_after = next(r for r in client.get("/api/v1/reps").json()["data"] if r["email"] == owner)
    assert load_after["open_journeys"] == load_before["open_journeys"] - 1
    detail = client.get(f"/api/v1/journeys/{journey_id}").json()
    assert all(clock["status"] != "running" for clock in detail["clocks"])
    assert _move(client, journey_id, "qualifying").status_code == 409


def test_missing_handoff_fields_are_listed_all_at_once(client):
    journey_id = _lead(client)["journey_id"]
    _move(client, journey_id, "qualifying")
    response = client.post(
        f"/api/v1/journeys/{journey_id}/handoffs",
        json={"fields": {"budget": "40k", "timeline": "soon"}},
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"fields.authority", "fields.need", "fields.meeting_at", "fields.timeline"}
    assert "is not a date" in response.text


def test_from_lead_to_customer(client, factory, team):
    journey_id = _lead(client)["journey_id"]
    assert _move(client, journey_id, "qualifying").status_code == 200
    qualifier = client.get(f"/api/v1/journeys/{journey_id}").json()["owner"]["email"]

    proposed = client.post(
        f"/api/v1/journeys/{journey_id}/handoffs", json={"fields": QUALIFIED, "note": "Hot lead"}
    )
    assert proposed.status_code == 201, proposed.text
    handoff = proposed.json()
    assert handoff["to_rep"]["email"] == "cal@seller.example"  # Mia is at capacity 0
    assert datetime.fromisoformat(handoff["accept_by"]) > datetime.fromisoformat(
        handoff["proposed_at"]
    )
    inbox = client.get(
        "/api/v1/handoffs", params={"to": "cal@seller.example", "status": "proposed"}
    )
    assert [h["id"] for h in inbox.json()["data"]] == [handoff["id"]]
    assert _move(client, journey_id, "disqualified", reason="x").status_code == 409  # waits

    wrong = client.post(f"/api/v1/handoffs/{handoff['id']}/accept", json={"rep_email": qualifier})
    assert wrong.status_code == 409
    accepted = client.post(
        f"/api/v1/handoffs/{handoff['id']}/accept", json={"rep_email": "cal@seller.example"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    again = client.post(f"/api/v1/handoffs/{handoff['id']}/accept", json={})
    assert again.status_code == 409 and "already accepted" in again.json()["detail"]
    detail = client.get(f"/api/v1/journeys/{journey_id}").json()
    assert detail["stage"] == "discovery" and detail["owner"]["email"] == "cal@seller.example"
    assert detail["fields"]["budget"] == "$40k a year"
    kinds = [event["kind"] for event in detail["timeline"]]
    assert "handoff.proposed" in kinds and "handoff.accepted" in kinds
    rated = client.post(
        f"/api/v1/handoffs/{handoff['id']}/rate", json={"rating": 5, "comment": "clear"}
    )
    assert rated.json()["rating"] == 5
    assert (
        client.post(f"/api/v1/handoffs/{handoff['id']}/rate", json={"rating": 4}).status_code == 409
    )

    (intro,) = messages(factory, "handoff.intro")
    assert intro.recipient == "jo@acme.example"
    assert set(intro.cc) == {qualifier, "cal@seller.example"}
    assert intro.attachments[0]["filename"] == "invite.ics"

    for stage in ("proposal", "negotiation"):
        assert _move(client, journey_id, stage).status_code == 200
    won = _move(client, journey_id, "won", fields={"contract_value": "48,000"})
    assert won.status_code == 200, won.text
    assert won.json()["status"] == "open" and won.json()["outcome"] == "won"
    detail = client.get(f"/api/v1/journeys/{journey_id}").json()
    assert detail["account"]["is_customer"] is True
    assert detail["fields"]["contract_value"] == 48000

    onboarding = client.post(
        f"/api/v1/journeys/{journey_id}/handoffs",
        json={
            "fields": {
                "kickoff_date": "2026-12-07",
                "success_criteria": "every lead answered within 5 minutes",
            }
        },
    )
    assert onboarding.status_code == 201, onboarding.text
    assert onboarding.json()["to_rep"]["email"] == "pat@seller.example"
    assert onboarding.json()["fields"]["contract_value"] == 48000  # known, not asked again
    client.post(f"/api/v1/handoffs/{onboarding.json()['id']}/accept", json={})
    to_account = client.post(
        f"/api/v1/journeys/{journey_id}/handoffs",
        json={"fields": {"health": "green", "renewal_date": "2027-12-01"}},
    )
    assert to_account.status_code == 201, to_account.text
    assert to_account.json()["to_rep"]["email"] == "amy@seller.example"
    client.post(f"/api/v1/handoffs/{to_account.json()['id']}/accept", json={})
    detail = client.get(f"/api/v1/journeys/{journey_id}").json()
    assert detail["stage"] == "customer" and detail["owner"]["email"] == "amy@seller.example"
    assert detail["fields"]["health"] == "green"
    health = client.patch(
        f"/api/v1/journeys/{journey_id}/fields", json={"fields": {"health": "red"}}
    )
    assert health.json()["health"] == "red"
    assert (
        client.patch(
            f"/api/v1/journeys/{journey_id}/fields", json={"fields": {"health": "purple"}}
        ).status_code
        == 422
    )

    account_id = detail["account"]["id"]
    request = client.post(
        f"/api/v1/accounts/{account_id}/requests",
        json={"subject": "Leads stopped arriving", "contact_email": "jo@acme.example"},
    )
    assert request.status_code == 201, request.text
    assert request.json()["owner"]["email"] == "amy@seller.example"
    assert request.json()["clocks_started"] == ["customer_request_response"]
    renewal = client.post(f"/api/v1/accounts/{account_id}/journeys", json={"kind": "renewal"})
    assert renewal.json()["owner"]["email"] == "amy@seller.example"
    assert renewal.json()["kind"] == "renewal"
    by_email = client.post(
        "/api/v1/requests/email", json={"from": "Jo@Acme.example", "subject": "Invoice question"}
    )
    assert by_email.status_code == 201 and by_email.json()["owner"]["email"] == "amy@seller.example"

    touched = client.post(
        f"/api/v1/journeys/{request.json()['journey_id']}/touches", json={"channel": "call"}
    )
    assert "customer_request_response" in touched.json()["clocks_stopped"]
    resolved = client.post(
        f"/api/v1/journeys/{request.json()['journey_id']}/resolve", json={"note": "fixed"}
    )
    assert resolved.json()["status"] == "closed" and resolved.json()["outcome"] == "resolved"

    webhooks = messages(factory)
    topics = {m.topic for m in webhooks if m.channel == "webhook"}
    assert {
        "handoff.proposed",
        "handoff.accepted",
        "journey.stage_changed",
        "journey.opened",
    } <= topics
    log = client.get("/api/v1/outbox", params={"status": "pending", "channel": "email"}).json()
    assert log["count"] > 0 and log["totals"]["pending"] >= log["count"]


def test_a_rejected_handoff_returns_with_its_reason(client, factory):
    journey_id = _lead(client)["journey_id"]
    _move(client, journey_id, "qualifying")
    handoff = client.post(
        f"/api/v1/journeys/{journey_id}/handoffs", json={"fields": QUALIFIED}
    ).json()
    bad = client.post(f"/api/v1/handoffs/{handoff['id']}/reject", json={"reason": "meh"})
    assert bad.status_code == 422 and "not_qualified" in bad.json()["detail"]
    rejected = client.post(
        f"/api/v1/handoffs/{handoff['id']}/reject",
        json={"reason": "bad_timing", "note": "budget frozen until Q3"},
    )
    assert rejected.status_code == 200
    detail = client.get(f"/api/v1/journeys/{journey_id}").json()
    assert detail["stage"] == "qualifying" and detail["owner"]["id"] == handoff["from_rep"]["id"]
    (told,) = [m for m in messages(factory, "handoff.rejected") if m.channel == "email"]
    assert told.recipient == handoff["from_rep"]["email"]
    assert "bad_timing" in told.body and "budget frozen until Q3" in told.body
    assert (
        client.post(f"/api/v1/handoffs/{handoff['id']}/rate", json={"rating": 2}).status_code == 200
    )
    again = client.post(
        f"/api/v1/journeys/{journey_id}/handoffs",
        json={"fields": QUALIFIED, "to_rep_email": "cal@seller.example"},
    )
    assert again.status_code == 201 and again.json()["reasons"] == ["named by the sender"]


def test_requests_from_non_customers_are_refused(client):
    lead = _lead(client)
    response = client.post(
        f"/api/v1/accounts/{lead['account_id']}/requests", json={"subject": "Hi"}
    )
    assert response.status_code == 409 and "not a customer" in response.json()["detail"]
    unknown = client.post("/api/v1/requests/email", json={"from": "who@nowhere.example"})
    assert unknown.status_code == 422


def test_nurture_releases_the_owner_and_sets_a_recycle_date(client):
    journey_id = _lead(client)["journey_id"]
    _move(client, journey_id, "qualifying")
    moved = _move(client, journey_id, "nurture", reason="no budget this year")
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "closed" and moved.json()["outcome"] == "nurture"
    detail = client.get(f"/api/v1/journeys/{journey_id}").json()
    recycle_at = datetime.fromisoformat(detail["fields"]["recycle_at"])
    assert 89 <= (recycle_at - datetime.fromisoformat(detail["updated_at"])).days <= 90
    (clock,) = [c for c in detail["clocks"] if c["status"] == "running"]
    assert clock["kind"] == "recycle" and clock["next_step_at"] == clock["due_at"]
