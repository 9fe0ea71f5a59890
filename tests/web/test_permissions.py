"""The permission matrix: every route of the JSON API and of the pages, for every role.

One row per route: what an anonymous visitor, a rep (Ana), a manager (Mia, Ana's manager)
and an admin get. `OK` means the request got past authentication and permissions (the
route may still refuse the input: 409/422 prove the check passed); a number is the exact
refusal. `own` is Ana's journey; `other` is Sam's, outside Mia's team. Another rep's
journey is answered with 404, exactly like one that does not exist.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from web.support import ROLES, signed_in

OK = "ok"
DENIED = {401, 403, 404}
ANY_ROLE = (401, OK, OK, OK)
ADMIN_ONLY = (401, 403, 403, OK)
MANAGERS = (401, 403, OK, OK)
OWN_TEAM = (401, OK, OK, OK)
OTHER_TEAM = (401, 404, 404, OK)
PAGE_ANY = (303, OK, OK, OK)
PAGE_MANAGERS = (303, 403, OK, OK)
PAGE_ADMIN = (303, 403, 403, OK)
PAGE_OTHER_TEAM = (303, 404, 404, OK)

# (method, path template, JSON or form body, expected for anon / rep / manager / admin)
API = [
    ("POST", "/api/v1/leads", {"email": "x@y.example"}, (401, 401, 401, 401)),
    ("GET", "/api/v1/journeys", None, ANY_ROLE),
    ("GET", "/api/v1/journeys/{own}", None, OWN_TEAM),
    ("GET", "/api/v1/journeys/{other}", None, OTHER_TEAM),
    ("POST", "/api/v1/journeys/{own}/touches", {"channel": "call"}, OWN_TEAM),
    ("POST", "/api/v1/journeys/{other}/touches", {"channel": "call"}, OTHER_TEAM),
    ("POST", "/api/v1/journeys/{own}/transitions", {"to": "nowhere"}, OWN_TEAM),
    ("POST", "/api/v1/journeys/{other}/transitions", {"to": "nowhere"}, OTHER_TEAM),
    ("PATCH", "/api/v1/journeys/{own}/fields", {"fields": {"health": "blue"}}, OWN_TEAM),
    ("PATCH", "/api/v1/journeys/{other}/fields", {"fields": {"health": "blue"}}, OTHER_TEAM),
    ("POST", "/api/v1/journeys/{own}/resolve", {}, OWN_TEAM),
    ("POST", "/api/v1/journeys/{other}/resolve", {}, OTHER_TEAM),
    ("POST", "/api/v1/journeys/{own}/handoffs", {"fields": {}}, OWN_TEAM),
    ("POST", "/api/v1/journeys/{other}/handoffs", {"fields": {}}, OTHER_TEAM),
    ("POST", "/api/v1/accounts/{other_account}/journeys", {"kind": "renewal"}, OTHER_TEAM),
    ("POST", "/api/v1/accounts/{other_account}/requests", {"subject": "help"}, OTHER_TEAM),
    (
        "POST",
        "/api/v1/requests/email",
        {"from": "nobody@x.example", "subject": "hi"},
        (401, 403, OK, OK),
    ),
    ("GET", "/api/v1/routing/decisions", None, ANY_ROLE),
    ("GET", "/api/v1/reps", None, ANY_ROLE),
    (
        "POST",
        "/api/v1/reps",
        {"name": "N", "email": "n@seller.example", "roles": ["closing"]},
        ADMIN_ONLY,
    ),
    ("GET", "/api/v1/reps/{ana}", None, ANY_ROLE),
    ("PATCH", "/api/v1/reps/{ana}", {"capacity": 41}, MANAGERS),
    ("PATCH", "/api/v1/reps/{sam}", {"capacity": 41}, ADMIN_ONLY),
    ("DELETE", "/api/v1/reps/{spare}", None, ADMIN_ONLY),
    (
        "POST",
        "/api/v1/reps/{ana}/absences",
        {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"},
        ANY_ROLE,
    ),
    (
        "POST",
        "/api/v1/reps/{sam}/absences",
        {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"},
        ADMIN_ONLY,
    ),
    ("GET", "/api/v1/playbook", None, ANY_ROLE),
    ("PUT", "/api/v1/playbook", "name: [broken", ADMIN_ONLY),
    ("GET", "/api/v1/playbook/versions", None, ANY_ROLE),
    ("GET", "/api/v1/handoffs", None, ANY_ROLE),
    ("GET", "/api/v1/handoffs/{own_handoff}", None, OWN_TEAM),
    ("GET", "/api/v1/handoffs/{other_handoff}", None, OTHER_TEAM),
    ("POST", "/api/v1/handoffs/{other_handoff}/reject", {"reason": "nope"}, OTHER_TEAM),
    ("POST", "/api/v1/handoffs/{other_handoff}/rate", {"rating": 9}, OTHER_TEAM),
    ("POST", "/api/v1/handoffs/{other_handoff}/accept", {}, OTHER_TEAM),
    ("POST", "/api/v1/advice", {}, ANY_ROLE),
    ("POST", "/api/v1/plan", {}, ANY_ROLE),
    ("POST", "/api/v1/restructure/plan", {}, MANAGERS),
    ("GET", "/api/v1/metrics/{report}", None, MANAGERS),
    ("GET", "/api/v1/outbox", None, ADMIN_ONLY),
    ("GET", "/api/v1/outbox/{message}", None, ADMIN_ONLY),
    ("POST", "/api/v1/outbox/{message}/retry", None, ADMIN_ONLY),
]

PAGES = [
    ("GET", "/", None, (303, 303, 303, 303)),
    ("GET", "/sign-in", None, (200, 303, 303, 303)),
    ("POST", "/sign-in", {"email": "x@y.example", "password": "wrong"}, (401, 303, 303, 303)),
    ("POST", "/sign-out", {}, (303, 303, 303, 303)),
    ("GET", "/queue", None, PAGE_ANY),
    ("GET", "/journeys", None, PAGE_ANY),
    ("GET", "/journeys/{own}", None, PAGE_ANY),
    ("GET", "/journeys/{other}", None, PAGE_OTHER_TEAM),
    ("POST", "/journeys/{own}/touches", {"channel": "call"}, PAGE_ANY),
    ("POST", "/journeys/{other}/touches", {"channel": "call"}, PAGE_OTHER_TEAM),
    ("POST", "/journeys/{own}/move", {"to_stage": "nowhere"}, PAGE_ANY),
    ("POST", "/journeys/{other}/move", {"to_stage": "nowhere"}, PAGE_OTHER_TEAM),
    ("GET", "/journeys/{own}/handoff", None, PAGE_ANY),
    ("GET", "/journeys/{other}/handoff", None, PAGE_OTHER_TEAM),
    ("POST", "/journeys/{own}/handoff", {"action": "preview"}, PAGE_ANY),
    ("POST", "/journeys/{other}/handoff", {"action": "preview"}, PAGE_OTHER_TEAM),
    ("GET", "/handoffs", None, PAGE_ANY),
    ("POST", "/handoffs/{other_handoff}/reject", {"reason": "nope"}, PAGE_OTHER_TEAM),
    ("POST", "/handoffs/{other_handoff}/rate", {"rating": "3"}, PAGE_OTHER_TEAM),
    ("POST", "/handoffs/{other_handoff}/accept", {}, PAGE_OTHER_TEAM),
    ("GET", "/dashboard", None, PAGE_MANAGERS),
    ("GET", "/routing", None, PAGE_MANAGERS),
    ("GET", "/team", None, PAGE_ANY),
    ("POST", "/team/{ana}/pause", {}, (303, 403, OK, OK)),
    ("POST", "/team/{ana}/resume", {}, (303, 403, OK, OK)),
    ("POST", "/team/{sam}/pause", {}, PAGE_ADMIN),
    ("POST", "/team/{sam}/resume", {}, PAGE_ADMIN),
    (
        "POST",
        "/team/{ana}",
        {"capacity": "40", "hours": "24/7", "timezone": "UTC", "roles": "inbound_qualification"},
        (303, 403, OK, OK),
    ),
    ("POST", "/team/{ana}/absences", {"starts": "2030-01-01", "ends": "2030-01-02"}, PAGE_ANY),
    ("POST", "/team/{sam}/absences", {"starts": "2030-01-01", "ends": "2030-01-02"}, PAGE_ADMIN),
    ("GET", "/playbook", None, PAGE_ANY),
    ("POST", "/playbook", {"yaml": "name: [broken"}, PAGE_ADMIN),
    ("POST", "/playbook/template", {"template": "nope"}, PAGE_ADMIN),
    ("POST", "/playbook/restore", {"version": "1"}, PAGE_ADMIN),
    ("GET", "/settings/users", None, PAGE_ADMIN),
    (
        "POST",
        "/settings/users",
        {"email": "new@x.example", "name": "New", "role": "rep", "password": "short"},
        PAGE_ADMIN,
    ),
    ("POST", "/settings/users/{rep_user}", {"role": "rep"}, PAGE_ADMIN),
    ("POST", "/settings/keys", {"name": "CRM", "scope": "read"}, PAGE_ADMIN),
    ("POST", "/settings/keys/{missing}/revoke", {}, PAGE_ADMIN),
]

UNGUARDED = {
    "",
    "/healthz",
    "/readyz",
    "/metrics",  # for Prometheus: a bearer token when SALESRELAY_METRICS_TOKEN is set
    "/static",
    "/static/plotly.min.js",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}


def _path(template: str, world) -> str:
    return template.format(
        own=world.own_journey,
        other=world.other_journey,
        other_account=world.other_account,
        own_handoff=world.own_handoff,
        other_handoff=world.other_handoff,
        message=world.message_id,
        spare=world.spare_rep,
        ana=world.reps["ana"],
        sam=world.reps["sam"],
        rep_user=world.user_ids["rep"],
        report="speed-to-lead",
        missing=999_999,
    )


def routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, those of included routers too.

    FastAPI keeps an included router as one entry of `app.routes` (it no longer copies its
    routes there), so walking `app.routes` alone sees only the few routes added to the app
    itself; `iter_route_contexts` is how FastAPI's own OpenAPI generator walks them all.
    """
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        for method in sorted(context.methods or {"GET"}):
            if method != "HEAD":
                found.append((method, path))
    return found


def test_every_route_is_in_the_matrix(app):
    listed = {(m, p) for m, p, _, _ in API + PAGES}
    served = routes(app)
    assert len(served) > 60, "the walk over the app's routes missed the included routers"
    for method, path in served:
        if path in UNGUARDED:
            continue
        templated = {(m, p) for m, p in listed if _shape(p) == _shape(path)}
        assert any(m == method for m, _ in templated), f"{method} {path} is not in the matrix"


def _served(app) -> set[tuple[str, str]]:
    return {(method, _shape(path)) for method, path in routes(app)}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_permission_matrix(app, world, role_index):
    role = ROLES[role_index]
    emails = {
        "anon": None,
        "rep": "ana@seller.example",
        "manager": "mia@seller.example",
        "admin": "root@seller.example",
    }
    client = signed_in(app, emails[role])
    served = _served(app)
    problems = []
    for method, template, body, expected_by_role in API + PAGES:
        if (method, _shape(template)) not in served:
            continue  # a route another part of the product adds; checked once it is served
        if template in ("/sign-out",) or (template == "/sign-in" and method == "POST"):
            continue  # signing in and out changes who is asking; checked in test_sign_in
        expected = expected_by_role[role_index]
        path = _path(template, world)
        if path.startswith("/api/"):
            headers = {"X-CSRF-Token": client.csrf}
            if isinstance(body, str):
                response = client.request(
                    method,
                    path,
                    content=body,
                    headers={**headers, "Content-Type": "application/yaml"},
                )
            else:
                response = client.request(method, path, json=body, headers=headers)
        else:
            form = {**(body or {}), "csrf_token": client.csrf} if method == "POST" else None
            response = client.request(method, path, data=form)
        got = response.status_code
        sent_to_sign_in = "/sign-in" in response.headers.get("location", "")
        if expected == OK:
            if got in DENIED or got >= 500 or sent_to_sign_in:
                problems.append(f"{method} {template}: expected access, got {got}")
        elif got != expected:
            problems.append(f"{method} {template}: expected {expected}, got {got}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_a_managers_reports_cover_their_own_team(app, world):
    if ("GET", "/api/v1/metrics/{}") not in _served(app):
        return
    manager = signed_in(app, "mia@seller.example")
    mine = manager.get("/api/v1/metrics/workload?group_by=rep")
    assert mine.status_code == 200
    names = {row["rep"].split(" <")[0] for row in mine.json()["sections"][0]["rows"]}
    assert "Ana Silva" in names and "Sam Outbound" not in names
    outside = manager.get(f"/api/v1/metrics/workload?rep={world.reps['sam']}")
    assert outside.status_code == 403
    assert signed_in(app, "ana@seller.example").get("/api/v1/metrics/funnel").status_code == 403
