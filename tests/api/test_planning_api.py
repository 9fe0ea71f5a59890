"""POST /api/v1/advice, /api/v1/plan and /api/v1/restructure/plan as an integration uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from factories import api_key
from restructure.support import FOUR_ROLE, book, count, four_role_team, generalists
from salesrelay.advisor.advise import advise
from salesrelay.advisor.playbooks import generate_playbooks
from salesrelay.advisor.present import advice_to_dict
from salesrelay.advisor.profile import load_profile_text
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.handoffs.models import Handoff
from salesrelay.outbox.models import OutboxMessage

NORTHWIND = Path(__file__).resolve().parents[2] / "examples" / "profiles" / "northwind.yaml"


@pytest.fixture
def client(database_url, factory):
    app = create_app(Settings(database_url=database_url, environment="test"))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {api_key(factory, 'read')}"
        yield client
    app.state.engine.dispose()


def northwind() -> dict:
    return yaml.safe_load(NORTHWIND.read_text())


def test_advice_is_the_advisors_answer_with_reasons_and_playbooks(client):
    response = client.post("/api/v1/advice", json=northwind())
    assert response.status_code == 200, response.text
    body = response.json()
    advice = advise(load_profile_text(NORTHWIND.read_text()))
    assert body == advice_to_dict(advice, generate_playbooks(advice))
    assert body["verdict"] and "keep generalists for smb" in body["summary"]
    assert all(role["reasons"] for role in body["roles"])
    assert [p["valid"] for p in body["playbooks"]] == [True, True]


def test_a_bad_profile_names_the_field(client):
    profile = northwind()
    profile["segments"][0]["calls_to_close"] = 0
    profile["segments"][1]["colour"] = "blue"
    response = client.post("/api/v1/advice", json=profile)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"segments.0.calls_to_close", "segments.1.colour"} <= fields


def test_the_plan_from_a_profile_and_from_numbers(client):
    body = {"target_revenue": 9_000_000, "start": "2027-01", "profile": northwind()}
    response = client.post("/api/v1/plan", json=body | {"current": {"closer": 10, "qualifier": 3}})
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["start"] == "2027-01"
    assert {segment["name"] for segment in plan["segments"]} == {"smb", "midmarket"}
    assert sum(row["revenue"] for row in plan["periods"]) == pytest.approx(9_000_000)
    simple = client.post(
        "/api/v1/plan",
        json={
            "target_revenue": 6_000_000, "start": "2027-01", "deal_size": 25_000,
            "quota_per_closer": 600_000, "current": {"closer": 4},
        },
    ).json()  # fmt: skip
    assert simple["peak_headcount"]["closer"] == 10  # as `salesrelay plan` gives
    assert sum(h["count"] for h in simple["hires"] if h["role"] == "closer") == 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"win_rate": 1.5}, "win_rate"),
        ({"start": "2027-13"}, "start"),
        ({"current": {"wizard": 2}}, "current"),
        ({"target_revenue": -1}, "target_revenue"),
    ],
)
def test_plan_errors_name_the_field(client, body, field):
    response = client.post("/api/v1/plan", json={"target_revenue": 1_000_000} | body)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}


def test_a_restructure_dry_run_plans_and_writes_nothing(client, factory):
    reps = generalists(factory)
    book(factory)
    four_role_team(factory, reps)
    before = count(factory, OutboxMessage)
    response = client.post("/api/v1/restructure/plan", json={"playbook": FOUR_ROLE, "weeks": 3})
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["summary"]["moves"] == 7 and plan["summary"]["kept"] == 4
    assert [phase["journeys"] for phase in plan["phases"]] == [2, 2, 3]
    assert plan["phases"][0]["moves"][0]["to"]["email"].endswith("@seller.example")
    assert count(factory, Handoff) == 0 and count(factory, OutboxMessage) == before

    broken = FOUR_ROLE.replace("role: closing, label: Proposal", "role: closer, label: Proposal")
    refused = client.post("/api/v1/restructure/plan", json={"playbook": broken})
    assert refused.status_code == 422
    (error,) = [e for e in refused.json()["errors"] if e["severity"] == "error"]
    assert (
        error["line"]
        == FOUR_ROLE.splitlines().index("  - {id: proposal, role: closing, label: Proposal}") + 1
        and "closer" in error["message"]
    )
    too_long = client.post("/api/v1/restructure/plan", json={"playbook": FOUR_ROLE, "weeks": 0})
    assert too_long.status_code == 422
    team = "name,email,role\nGina Generalist,gina@seller.example,closing\nBo,bo@x,closing\n"
    bad_team = client.post("/api/v1/restructure/plan", json={"playbook": FOUR_ROLE, "team": team})
    assert bad_team.status_code == 422
    assert [(e["field"], e["line"]) for e in bad_team.json()["errors"]] == [("team", 3)]


def test_planning_needs_a_key_that_may_read(client, factory):
    assert (
        client.post("/api/v1/advice", json=northwind(), headers={"Authorization": ""}).status_code
        == 401
    )
    intake = {"Authorization": f"Bearer {api_key(factory, 'intake')}"}
    assert client.post("/api/v1/advice", json=northwind(), headers=intake).status_code == 403
    paths = {path for path in client.get("/openapi.json").json()["paths"]}
    assert {"/api/v1/advice", "/api/v1/plan", "/api/v1/restructure/plan"} <= paths
