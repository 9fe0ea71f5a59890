"""Tenancy inside one install: every API route for every API-key scope (the role side is the
matrix in tests/web/test_permissions.py), and what each signed-in role sees of other teams.

API keys are integrations: their scope decides what they may do, over all data. Signed-in
users see by team: an admin everything, a manager their reps and their reps' reports, a rep
their own. Asked for another team's journey or handoff, the API answers 404 (as if it did
not exist) or 403, and lists leave it out.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import api_key
from web.support import assign, lead, signed_in
from web.test_permissions import API, DENIED, OK, _path, _shape, routes

SCOPES = ("intake", "read", "write", "admin")
INTAKE = (OK, 403, OK, OK)
READ = (403, OK, OK, OK)
WRITE = (403, 403, OK, OK)
ADMIN = (403, 403, 403, OK)

# (method, path shape) -> expected for a key with scope intake / read / write / admin
BY_SCOPE = {
    ("POST", "/api/v1/leads"): INTAKE,
    ("GET", "/api/v1/journeys"): READ,
    ("GET", "/api/v1/journeys/{}"): READ,
    ("POST", "/api/v1/journeys/{}/touches"): WRITE,
    ("POST", "/api/v1/journeys/{}/transitions"): WRITE,
    ("PATCH", "/api/v1/journeys/{}/fields"): WRITE,
    ("POST", "/api/v1/journeys/{}/resolve"): WRITE,
    ("POST", "/api/v1/journeys/{}/handoffs"): WRITE,
    ("POST", "/api/v1/accounts/{}/journeys"): WRITE,
    ("POST", "/api/v1/accounts/{}/requests"): WRITE,
    ("POST", "/api/v1/requests/email"): WRITE,
    ("GET", "/api/v1/routing/decisions"): READ,
    ("GET", "/api/v1/reps"): READ,
    ("POST", "/api/v1/reps"): ADMIN,
    ("GET", "/api/v1/reps/{}"): READ,
    # Changing the team is for admins; a manager (a user) changes their own reps.
    ("PATCH", "/api/v1/reps/{}"): ADMIN,
    ("DELETE", "/api/v1/reps/{}"): ADMIN,
    ("POST", "/api/v1/reps/{}/absences"): ADMIN,
    ("GET", "/api/v1/playbook"): READ,
    ("PUT", "/api/v1/playbook"): ADMIN,
    ("GET", "/api/v1/playbook/versions"): READ,
    ("GET", "/api/v1/handoffs"): READ,
    ("GET", "/api/v1/handoffs/{}"): READ,
    ("POST", "/api/v1/handoffs/{}/accept"): WRITE,
    ("POST", "/api/v1/handoffs/{}/reject"): WRITE,
    ("POST", "/api/v1/handoffs/{}/rate"): WRITE,
    ("GET", "/api/v1/outbox"): READ,
    ("GET", "/api/v1/outbox/{}"): READ,
    ("POST", "/api/v1/outbox/{}/retry"): ADMIN,
    ("POST", "/api/v1/advice"): READ,
    ("POST", "/api/v1/plan"): READ,
    ("POST", "/api/v1/restructure/plan"): READ,
    ("GET", "/api/v1/metrics/{}"): READ,
}


def api_routes(app) -> list[tuple[str, str]]:
    return [(method, path) for method, path in routes(app) if path.startswith("/api/")]


def test_every_api_route_has_a_row_for_every_scope_and_every_role(app):
    by_role = {(method, _shape(path)) for method, path, _, _ in API}
    served = api_routes(app)
    assert len(served) >= 30
    for method, path in served:
        assert (method, _shape(path)) in BY_SCOPE, f"{method} {path}: no row for API key scopes"
        assert (method, _shape(path)) in by_role, f"{method} {path}: no row for user roles"


@pytest.mark.parametrize("scope", SCOPES)
def test_key_scope_matrix(app, world, factory, scope):
    client = TestClient(app, follow_redirects=False)
    headers = {"Authorization": f"Bearer {api_key(factory, scope)}"}
    problems = []
    for method, template, body, _ in API:
        expected = BY_SCOPE[(method, _shape(template))][SCOPES.index(scope)]
        path = _path(template, world)
        if isinstance(body, str):
            kwargs = {"content": body, "headers": {**headers, "Content-Type": "application/yaml"}}
        else:
            kwargs = {"json": body, "headers": headers}
        got = client.request(method, path, **kwargs).status_code
        if expected == OK:
            if got in DENIED or got >= 500:
                problems.append(f"{method} {template}: expected access, got {got}")
        elif got != expected:
            problems.append(f"{method} {template}: expected {expected}, got {got}")
    assert not problems, f"{scope} key:\n" + "\n".join(problems)


@pytest.fixture
def teammate_journey(factory, world) -> int:
    """Owned by Bo, on Mia's team beside Ana."""
    journey = lead(factory, "lee@boco.example", "Bo Co")
    assign(factory, journey, world.reps["bo"])
    return journey


EMAILS = {
    "rep": "ana@seller.example",
    "manager": "mia@seller.example",
    "admin": "root@seller.example",
}


def test_each_role_reads_only_its_own_teams_journeys(app, world, teammate_journey):
    own, other, teammate = world.own_journey, world.other_journey, teammate_journey
    visible = {"rep": {own}, "manager": {own, teammate}, "admin": {own, teammate, other}}
    for role, email in EMAILS.items():
        client = signed_in(app, email)
        listed = {j["id"] for j in client.get("/api/v1/journeys?limit=500").json()["data"]}
        assert listed & {own, other, teammate} == visible[role], role
        for journey in (own, other, teammate):
            answer = client.get(f"/api/v1/journeys/{journey}")
            if journey in visible[role]:
                assert answer.status_code == 200, (role, journey)
            else:
                assert answer.status_code == 404, (role, journey)
                assert "Co" not in answer.text  # no company name of the hidden journey
            touched = client.post(
                f"/api/v1/journeys/{journey}/touches",
                json={"channel": "call"},
                headers={"X-CSRF-Token": client.csrf},
            )
            assert (touched.status_code in DENIED) == (journey not in visible[role]), role
        page = client.get("/journeys").text
        assert ("Other Co" in page) == (role == "admin"), role
        assert ("Bo Co" in page) == (role != "rep"), role


def test_each_role_reads_only_its_own_teams_handoffs_and_routing(app, world):
    mine, others = world.own_handoff, world.other_handoff
    for role, email in EMAILS.items():
        client = signed_in(app, email)
        listed = {h["id"] for h in client.get("/api/v1/handoffs?limit=500").json()["data"]}
        assert mine in listed, role
        assert (others in listed) == (role == "admin"), role
        assert (client.get(f"/api/v1/handoffs/{others}").status_code == 200) == (role == "admin")
        decisions = client.get("/api/v1/routing/decisions?limit=500").json()
        if role == "admin":  # there are decisions outside Mia's team to leak
            assert any(d["rep_id"] not in _team_of("manager", world) for d in decisions)
        else:
            team = _team_of(role, world)
            assert all(d["rep_id"] in team for d in decisions), role


def _team_of(role: str, world) -> set[int]:
    if role == "rep":
        return {world.reps["ana"]}
    return {world.reps[name] for name in ("manager", "ana", "bo", "eve", "pat")}


def test_a_manager_cannot_ask_for_another_teams_reports_or_reps_journeys(app, world):
    manager = signed_in(app, "mia@seller.example")
    sam = world.reps["sam"]
    assert manager.get(f"/api/v1/metrics/funnel?rep={sam}").status_code == 403
    refused = manager.get("/api/v1/journeys?owner=sam@seller.example")
    assert refused.status_code == 422 and "Other Co" not in refused.text
    rep = signed_in(app, "ana@seller.example")
    assert rep.get("/api/v1/journeys?owner=bo@seller.example").status_code == 422
