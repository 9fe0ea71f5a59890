"""Hostile values at every entry point: the API, CSV imports, playbook YAML and web forms.

SQL and template syntax is stored and shown as written, never run; emoji and right-to-left
names come back intact; oversized, undecodable and NUL-laden input is refused with a 4xx
(or a row error) that says what is wrong; CSV exports never hand a spreadsheet a formula;
YAML bombs and Python tags are refused. Nothing answers 500 or shows a traceback.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select

from factories import api_key, four_role_team, install_template
from handoffs.support import FIXED_NOW, QUALIFIED, messages, new_lead
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.db import transaction
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.intake.importers import import_leads
from salesrelay.intake.models import Account, Contact
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.playbook import parse_playbook, template_text
from salesrelay.restructure import flows as restructure_flows
from salesrelay.restructure.present import to_csv as restructure_csv
from web.support import build_world, signed_in

SQL = "'; DROP TABLE journeys;--"
TEMPLATE = "{{7*191919}}"  # 1343433 if anything renders it
RENDERED = ("1343433", "loopedloopedlooped")
LOOP = "{% for x in range(3) %}looped{% endfor %}"
ARABIC = "مريم العلي"
HEBREW = "דוד כהן"
EMOJI = "Zoë 🚀👩🏽‍💻"
FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1:A2)"]
BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)
PYTHON_TAG = "name: !!python/object/apply:os.system ['echo pwned > pwned.txt']\n"


@pytest.fixture
def app(database_url, factory):
    install_template(factory)
    four_role_team(factory)
    app = create_app(Settings(database_url=database_url, environment="test"))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app, factory):
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {api_key(factory)}"
    with client:
        yield client


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


# -- API ---------------------------------------------------------------------------------


def test_injection_text_and_world_scripts_round_trip_through_the_api(client, factory):
    lead = {
        "email": "mariam@rtl.example",
        "first_name": ARABIC,
        "last_name": SQL,
        "company": f"{HEBREW} {EMOJI}",
        "title": TEMPLATE,
        "industry": LOOP,
    }
    created = client.post("/api/v1/leads", json=lead)
    assert created.status_code == 201, created.text
    journey = client.get(f"/api/v1/journeys/{created.json()['journey_id']}")
    assert journey.status_code == 200
    shown = strings_in(journey.json())
    assert any(f"{HEBREW} {EMOJI}" == s for s in shown), shown
    with factory() as session:
        contact = session.scalar(select(Contact).where(Contact.email == "mariam@rtl.example"))
        assert (contact.first_name, contact.last_name) == (ARABIC, SQL)
        assert session.scalar(select(func.count()).select_from(Journey)) == 1  # table intact

    rep = client.post(
        "/api/v1/reps",
        json={"name": f"{HEBREW} {EMOJI}", "email": "dovid@seller.example", "roles": ["closing"]},
    )
    assert rep.status_code == 201, rep.text
    again = client.get(f"/api/v1/reps/{rep.json()['id']}").json()
    assert again["name"] == f"{HEBREW} {EMOJI}"
    listed = client.get("/api/v1/reps", params={"role": SQL})
    assert listed.status_code == 200 and listed.json()["count"] == 0


def test_oversized_undecodable_and_nul_input_is_a_clear_4xx(client, app):
    limit = app.state.settings.max_request_bytes
    huge = client.post("/api/v1/leads", json={"email": "a@b.example", "company": "x" * limit})
    assert huge.status_code == 413
    assert str(limit) in huge.json()["detail"]

    long = client.post("/api/v1/leads", json={"email": "a@b.example", "company": "x" * 100_000})
    assert long.status_code == 422
    assert [e["field"] for e in long.json()["errors"]] == ["company"]

    raw = client.post(
        "/api/v1/leads",
        content=b'{"email": "a@b.example", "company": "\xff\xfe\xc3("}',
        headers={"Content-Type": "application/json"},
    )
    assert raw.status_code == 422, raw.text
    assert raw.json()["errors"][0]["field"] == "body"

    broken = client.post(
        "/api/v1/reps", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["errors"] == [{"field": "body", "message": "the body is not valid JSON"}]

    nul = client.post("/api/v1/leads", json={"email": "a@b.example", "first_name": "Jo\x00e"})
    assert nul.status_code == 422, nul.text
    assert nul.json()["errors"][0]["field"] == "first_name"
    nul_query = client.get("/api/v1/journeys", params={"stage": "new\x00"})
    assert nul_query.status_code == 422
    assert nul_query.json()["errors"][0]["field"] == "stage"

    huge = client.post(
        "/api/v1/leads", json={"email": "a@b.example", "extra": {"score": [1, 10**30]}}
    )
    assert huge.status_code == 422, huge.text
    assert huge.json()["errors"][0]["field"] == "extra.score.1"
    fine = client.post("/api/v1/leads", json={"email": "c@d.example", "phone_digits": "1" * 25})
    assert fine.status_code == 201, fine.text  # long digit runs inside strings are text

    too_far = client.get(f"/api/v1/journeys/{2**31}")
    assert too_far.status_code == 422
    assert too_far.json()["errors"][0]["field"] == "journey_id"

    yaml_bomb = client.put(
        "/api/v1/playbook",
        content=BILLION_LAUGHS.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert yaml_bomb.status_code == 422
    assert "aliases" in json.dumps(yaml_bomb.json())
    tagged = client.put(
        "/api/v1/playbook",
        content=PYTHON_TAG.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert tagged.status_code == 422
    assert "python/object" in json.dumps(tagged.json())


def test_metrics_csv_cells_never_start_a_formula(client):
    for number, source in enumerate(FORMULAS):
        done = client.post(
            "/api/v1/leads",
            json={"email": f"f@formula{number}.example", "company": source, "source": source},
        )
        assert done.status_code == 201, done.text
    answer = client.get(
        "/api/v1/metrics/speed-to-lead", params={"group_by": "source", "format": "csv"}
    )
    assert answer.status_code == 200, answer.text
    cells = [cell for row in csv.reader(io.StringIO(answer.text)) for cell in row]
    for source in FORMULAS:
        assert "'" + source.lower() in cells, cells  # sources are kept lower-case
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert not [cell for cell in cells if cell.startswith("-") and not _number(cell)]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- what the product writes: the customer intro, the restructure CSV -------------------------


def test_the_customer_intro_shows_template_syntax_as_written(factory):
    install_template(factory)
    four_role_team(factory)
    journey_id = new_lead(
        factory, FIXED_NOW, first_name=f"{TEMPLATE} {LOOP}", company=f"{SQL} {ARABIC}"
    )
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.transition(
            session=session, journey=journey, to_stage="qualifying", now=FIXED_NOW, actor="test"
        )
        handoff_id = handoff_flows.propose(
            session=session,
            journey=journey,
            now=FIXED_NOW,
            actor="test",
            fields={**QUALIFIED, "need": f"{TEMPLATE} {LOOP}"},
        ).id
    with transaction(factory) as session:
        handoff = handoff_service.require(session=session, handoff_id=handoff_id)
        handoff_flows.accept(
            session=session, handoff=handoff, actor="test", now=FIXED_NOW + timedelta(minutes=5)
        )
    (intro,) = messages(factory, "handoff.intro")
    assert f"{TEMPLATE} {LOOP}" in intro.body
    assert not [text for text in RENDERED if text in intro.body]


def test_the_restructure_csv_escapes_formula_cells(factory):
    install_template(factory)
    four_role_team(factory)
    for number, name in enumerate(FORMULAS):
        new_lead(factory, FIXED_NOW, email=f"f{number}@formula{number}.example", company=name)
    with factory() as session:
        assert {a.name for a in session.scalars(select(Account))} == set(FORMULAS)
        plan = restructure_flows.plan(
            session=session, playbook=parse_playbook(template_text("generalist")), now=FIXED_NOW
        )
    cells = [cell for row in csv.reader(io.StringIO(restructure_csv(plan))) for cell in row]
    assert {"'" + name for name in FORMULAS} <= set(cells), cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]


# -- CSV import --------------------------------------------------------------------------


def test_lead_import_keeps_hostile_text_and_rejects_bad_rows_by_line(factory, tmp_path):
    install_template(factory)
    four_role_team(factory)
    source = tmp_path / "leads.csv"
    source.write_bytes(
        b"email,first_name,company\n"  # 1
        + f"sql@sql.example,{SQL},{TEMPLATE}\n".encode()  # 2
        + f"rtl@rtl.example,{ARABIC},{HEBREW} {EMOJI}\n".encode()  # 3
        + b"bytes@x.example,J\xff\xfeo,Bad Bytes\n"  # 4
        + b"big@x.example,Big,"
        + b"x" * 1_000_000
        + b"\n"  # 5
        + b"nul@x.example,Nu\x00l,Nul Co\n"  # 6
    )
    rejects = tmp_path / "rejects.csv"
    summary = import_leads(
        factory=factory, path=source, rejects_path=rejects, now=lambda: FIXED_NOW
    )
    reasons = {r["line"]: r["reason"] for r in summary.first_rejects}
    assert summary.created == 2 and set(reasons) == {4, 5, 6}, reasons
    assert "not valid UTF-8" in reasons[4] and "first_name" in reasons[4]
    assert "longer than 10000 characters" in reasons[5]
    assert "NUL character" in reasons[6] and "first_name" in reasons[6]

    with factory() as session:
        names = {c.email: c.first_name for c in session.scalars(select(Contact))}
        companies = {a.name for a in session.scalars(select(Account))}
    assert names == {"sql@sql.example": SQL, "rtl@rtl.example": ARABIC}
    assert companies == {TEMPLATE, f"{HEBREW} {EMOJI}"}


def test_cli_refuses_hostile_files_without_a_traceback(run, factory, tmp_path):
    install_template(factory)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS, encoding="utf-8")
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text(PYTHON_TAG, encoding="utf-8")
    team = tmp_path / "team.csv"
    team.write_bytes(
        b"name,email,roles\n"
        + f"{HEBREW} {EMOJI},dovid@seller.example,closing\n".encode()
        + b"Bad \xff Bytes,bad@seller.example,closing\n"
    )
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b"email,first_name\nok@x.example,Ok\nbad@x.example,B\xffd\n")
    for args, expected in [
        (("playbook", "validate", str(bomb)), "aliases"),
        (("playbook", "install", str(tagged)), "python/object"),
        (("team", "import", str(team)), "line 3"),
        (("import", "leads", str(leads)), "line 3"),
    ]:
        done = run(*args, check=False)
        output = done.stdout + done.stderr
        assert "Traceback" not in output, output
        assert expected in output, (args, output)
        if args[0] != "import":
            assert done.returncode != 0, output
    assert not (tmp_path / "pwned.txt").exists()


# -- web forms ---------------------------------------------------------------------------


def test_signed_in_forms_show_hostile_text_as_written(database_url, factory):
    world = build_world(factory)
    app = create_app(Settings(database_url=database_url, environment="test"))
    try:
        client = signed_in(app, "ana@seller.example")
        note = f"{SQL} {TEMPLATE} {LOOP} {ARABIC} {HEBREW} {EMOJI} <script>alert(1)</script>"
        path = f"/journeys/{world.own_journey}"
        done = client.post(
            f"{path}/touches", data={"channel": "call", "note": note, "csrf_token": client.csrf}
        )
        assert done.status_code == 303, done.text
        page = client.get(path)
        assert page.status_code == 200
        assert str(escape(note)) in page.text
        assert "<script>alert(1)</script>" not in page.text
        assert not [text for text in RENDERED if text in page.text]

        nul = client.post(
            f"{path}/touches", data={"channel": "call", "note": "a\x00b", "csrf_token": client.csrf}
        )
        assert nul.status_code == 422, nul.text
        assert "NUL character" in nul.text and "Traceback" not in nul.text
        filtered = client.get("/journeys", params={"stage": "new\x00"})
        assert filtered.status_code == 422
    finally:
        app.state.engine.dispose()
