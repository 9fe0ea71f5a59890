"""The pages through the ASGI app, on SQLite and PostgreSQL: what each shows and what each
form changes (and, when refused, that nothing changed)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from salesrelay.db import transaction
from salesrelay.handoffs.models import Handoff
from salesrelay.journeys.models import Journey
from salesrelay.playbook import load_template
from salesrelay.playbook.models import PlaybookVersion
from salesrelay.team.models import Rep
from salesrelay.web import diagram
from web.support import signed_in


def _form(client, path: str, **fields):
    return client.post(path, data={**fields, "csrf_token": client.csrf})


def test_the_queue_lists_a_reps_open_journeys_by_deadline_and_a_touch_stops_the_clock(app, world):
    client = signed_in(app, "ana@seller.example")
    page = client.get("/queue").text
    assert f'data-journey="{world.own_journey}"' in page
    assert "Other Co" not in page  # Sam's journey
    due = re.findall(r'data-due="([^"]+)"', page)
    assert due == sorted(due)
    done = _form(client, f"/journeys/{world.own_journey}/touches", channel="call", back="/queue")
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    assert "Logged a call" in client.get("/queue").text


def test_journey_filters_behind_the_dashboard_charts(app, world, factory):
    client = signed_in(app, "root@seller.example")
    _form(client, f"/journeys/{world.own_journey}/touches", channel="call")
    touched = client.get("/journeys?touched=within:0-60").text
    assert f'href="/journeys/{world.own_journey}"' in touched
    never = client.get("/journeys?touched=never").text
    assert f'href="/journeys/{world.own_journey}"' not in never
    assert client.get("/journeys?touched=within:x").status_code == 422
    proposed = client.get("/journeys?handoff=proposed").text
    assert f'href="/journeys/{world.other_journey}"' in proposed
    assert "No journeys match" in client.get("/journeys?handoff=rejected").text
    manager = world.reps["manager"]
    team = client.get(f"/journeys?team={manager}").text
    assert f'href="/journeys/{world.own_journey}"' in team
    assert f'href="/journeys/{world.other_journey}"' not in team
    assert client.get("/journeys?breached=first_touch_inbound").status_code == 200


def test_a_handoff_preview_sends_nothing_and_propose_offers_it(app, world, factory):
    client = signed_in(app, "ana@seller.example")
    with transaction(factory) as session:
        journey = session.get(Journey, world.own_journey)
        handoff = session.get(Handoff, world.own_handoff)
        handoff.status = "rejected"  # the earlier offer came back; Ana offers it again
        journey_stage = journey.stage
    assert journey_stage == "qualifying"
    path = f"/journeys/{world.own_journey}/handoff"
    form = client.get(path)
    assert 'name="f_budget"' in form.text and 'name="f_meeting_at"' in form.text
    preview = _form(client, path, action="preview", to_stage="discovery", f_budget="$9k")
    assert preview.status_code == 200 and 'class="intro"' in preview.text
    with transaction(factory) as session:
        offered = session.scalar(select(func.count()).select_from(Handoff))
    done = _form(
        client,
        path,
        action="propose",
        to_stage="discovery",
        f_budget="$9k",
        f_authority="CEO",
        f_need="speed",
        f_timeline="2030-01-01",
        f_meeting_at="2030-01-02T10:00",
        to_rep=str(world.reps["cal"]),
    )
    assert done.status_code == 303, done.text
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Handoff)) == offered + 1
    refused = _form(client, path, action="propose", to_stage="discovery")
    assert refused.status_code == 409 and "already has handoff" in refused.text


def test_the_inbox_accepts_rejects_with_a_reason_and_rates(app, world, factory):
    client = signed_in(app, "root@seller.example")
    assert f'data-handoff="{world.other_handoff}"' in client.get("/handoffs").text
    bad = _form(client, f"/handoffs/{world.other_handoff}/reject", reason="because")
    assert bad.status_code == 303
    with transaction(factory) as session:
        assert session.get(Handoff, world.other_handoff).status == "proposed"
    _form(client, f"/handoffs/{world.other_handoff}/reject", reason="duplicate", note="seen")
    _form(client, f"/handoffs/{world.other_handoff}/rate", rating="2", comment="thin notes")
    with transaction(factory) as session:
        handoff = session.get(Handoff, world.other_handoff)
        assert (handoff.status, handoff.rejection_reason, handoff.rating) == (
            "rejected",
            "duplicate",
            2,
        )
    accepted = _form(client, f"/handoffs/{world.own_handoff}/accept")
    assert accepted.headers["location"] == f"/journeys/{world.own_journey}"
    with transaction(factory) as session:
        assert session.get(Journey, world.own_journey).owner_rep_id == world.reps["cal"]


def test_an_invalid_playbook_names_its_line_and_changes_nothing(app, world, factory):
    client = signed_in(app, "root@seller.example")
    text = client.get("/api/v1/playbook").json()["yaml"]
    broken = text.replace("role: closing, label: Discovery", "role: closers, label: Discovery")
    line = (
        broken.splitlines().index(next(t for t in broken.splitlines() if "role: closers" in t)) + 1
    )
    answer = _form(client, "/playbook", yaml=broken)
    assert answer.status_code == 422
    assert f"line {line}" in answer.text and "closers" in answer.text
    assert f'id="line-{line}"' in answer.text and "Nothing was changed" in answer.text
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(PlaybookVersion)) == 1
    assert _form(client, "/playbook/template", template="three-role").status_code == 303
    assert _form(client, "/playbook/restore", version="1").status_code == 303
    with transaction(factory) as session:
        versions = session.scalars(select(PlaybookVersion).order_by(PlaybookVersion.version))
        assert [(v.name, v.active) for v in versions] == [
            ("four-role", False),
            ("three-role", False),
            ("four-role", True),
        ]


def test_team_pause_resume_change_and_time_off(app, world, factory):
    client = signed_in(app, "mia@seller.example")
    ana = world.reps["ana"]
    _form(client, f"/team/{ana}/pause")
    with transaction(factory) as session:
        assert session.get(Rep, ana).paused is True
    _form(client, f"/team/{ana}/resume")
    refused = _form(
        client,
        f"/team/{ana}",
        capacity="12",
        hours="whenever",
        timezone="UTC",
        roles="inbound_qualification",
    )
    assert refused.status_code == 303
    _form(
        client,
        f"/team/{ana}",
        capacity="12",
        hours="mon-fri 08:00-16:00",
        timezone="Europe/Berlin",
        roles="inbound_qualification",
    )
    _form(client, f"/team/{ana}/absences", starts="2030-01-01", ends="2030-01-05", note="ski")
    with transaction(factory) as session:
        rep = session.get(Rep, ana)
        assert (rep.paused, rep.capacity, rep.timezone) == (False, 12, "Europe/Berlin")
        assert [a.note for a in rep.absences] == ["ski"]
    assert "ski" in client.get("/team").text


def test_admins_add_users_and_keys_shown_once(app, world):
    client = signed_in(app, "root@seller.example")
    short = _form(
        client, "/settings/users", email="x@y.example", name="X", role="rep", password="short"
    )
    assert short.status_code == 422 and "No user created" in short.text
    made = _form(
        client,
        "/settings/users",
        email="Nia@Seller.example",
        name="Nia",
        role="rep",
        password="long enough pw",
        rep_email="bo@seller.example",
    )
    assert made.status_code == 303
    assert signed_in(app, "nia@seller.example", "long enough pw").get("/queue").status_code == 200
    key = _form(client, "/settings/keys", name="CRM", scope="read")
    plaintext = re.search(r"<code>(sr_[^<]+)</code>", key.text).group(1)
    assert plaintext not in client.get("/settings/users").text
    api = client.get("/api/v1/reps", headers={"Authorization": f"Bearer {plaintext}"})
    assert api.status_code == 200


def test_the_playbook_diagram_draws_every_role_stage_and_handoff():
    playbook = load_template("four-role")
    svg = diagram.render(playbook)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for role in playbook.roles.values():
        assert role.label in svg
    assert svg.count("<rect") == len(playbook.roles) + len(playbook.stages)
    handoffs = sum(1 for t in playbook.transitions if t.handoff)
    assert svg.count('marker-end="url(#handoff)"') == handoffs
    hostile = playbook.model_copy(update={"name": "<script>alert(1)</script>"})
    assert "<script>" not in diagram.render(hostile)


def test_the_dashboard_draws_every_chart_each_linking_to_its_journeys(app, world):
    import json

    manager = signed_in(app, "mia@seller.example")
    page = manager.get("/dashboard?days=7")
    assert page.status_code == 200
    ids = re.findall(r'data-chart="([a-z]+)"', page.text)
    assert ids == ["speed", "sla", "funnel", "handoffs", "rejections", "workload", "focus"]
    data = re.search(
        r'<script type="application/json" id="chart-data">(.*?)</script>', page.text, re.S
    ).group(1)
    figures = json.loads(data)
    for chart_id in ids:
        for trace in figures[chart_id]["data"]:
            assert all(link.startswith("/journeys") for link in trace.get("customdata", []))
    assert page.text.count('class="journeys-link"') == len(ids)
    assert "<script>" not in page.text  # no inline script: the page keeps its strict CSP
    assert "script-src 'self'" in page.headers["content-security-policy"]
    other_team = manager.get(f"/dashboard?team={world.reps['sam']}")
    assert other_team.status_code == 404
    admin = signed_in(app, "root@seller.example")
    assert admin.get(f"/dashboard?team={world.reps['manager']}").status_code == 200
