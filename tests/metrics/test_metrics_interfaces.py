"""The reports through GET /api/v1/metrics/… and `salesrelay report …`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from factories import api_key
from metrics.history import PERIOD, build
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.db import transaction
from salesrelay.journeys.models import Journey

WINDOW = {"from": PERIOD[0], "to": PERIOD[1]}


@pytest.fixture
def history(factory):
    ids = build(factory)
    with transaction(factory) as session:  # a source a spreadsheet would run as a formula
        session.execute(update(Journey).where(Journey.id == ids["J3"]).values(source="=cmd()"))
    return ids


@pytest.fixture
def client(database_url, history):
    app = create_app(Settings(database_url=database_url, environment="test"))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def auth(factory, scope="read"):
    return {"Authorization": f"Bearer {api_key(factory, scope)}"}


def test_reports_as_json(client, factory):
    headers = auth(factory)
    answer = client.get(
        "/api/v1/metrics/speed-to-lead", headers=headers, params={**WINDOW, "group_by": "source"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["report"] == "speed-to-lead" and body["group_by"] == ["source"]
    assert body["period"] == {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    assert [s["name"] for s in body["sections"]] == ["summary", "histogram", "hbr"]
    assert {r["source"]: r["leads"] for r in body["sections"][0]["rows"]} == {
        "=cmd()": 1,
        "outbound": 1,
        "web": 6,
    }
    funnel = client.get(
        "/api/v1/metrics/funnel",
        headers=headers,
        params={**WINDOW, "basis": "activity", "stage": "new,qualifying"},
    )
    assert funnel.status_code == 200 and funnel.json()["basis"] == "activity"
    stages = {r["stage"] for r in funnel.json()["sections"][0]["rows"]}
    assert stages == {"new", "qualifying"}
    both = client.get(
        "/api/v1/metrics/handoffs",
        headers=headers,
        params=[
            ("from", PERIOD[0]),
            ("to", PERIOD[1]),
            ("rep", "cal@x.example"),
            ("rep", "mia@x.example"),
            ("group_by", "receiver"),
        ],
    )
    assert [(r["receiver"], r["proposed"]) for r in both.json()["sections"][0]["rows"]] == [
        ("Mia <mia@x.example>", 1),
        ("Cal <cal@x.example>", 3),
    ]
    for name in ("sla", "workload", "focus"):
        assert client.get(f"/api/v1/metrics/{name}", headers=headers).status_code == 200


def test_csv_export_is_safe_in_a_spreadsheet(client, factory):
    answer = client.get(
        "/api/v1/metrics/speed-to-lead",
        headers=auth(factory),
        params={**WINDOW, "group_by": "source", "format": "csv"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "speed-to-lead-summary.csv" in answer.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["source"] for r in table] == ["'=cmd()", "outbound", "web"]
    assert table[2]["leads"] == "6"
    histogram = client.get(
        "/api/v1/metrics/speed-to-lead",
        headers=auth(factory),
        params={**WINDOW, "format": "csv", "section": "histogram"},
    )
    assert histogram.text.startswith("bucket,wall,wall_share")


def test_errors_name_what_to_fix(client, factory):
    assert client.get("/api/v1/metrics/funnel").status_code == 401
    assert client.get("/api/v1/metrics/funnel", headers=auth(factory, "intake")).status_code == 403
    headers = auth(factory)
    for params, field in (
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from"),
        ({"group_by": "colour"}, "group_by"),
        ({"role": "closer"}, "role"),
        ({"format": "csv", "section": "nope"}, "section"),
    ):
        answer = client.get("/api/v1/metrics/speed-to-lead", headers=headers, params=params)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field
    assert client.get("/api/v1/metrics/velocity", headers=headers).status_code == 422


@pytest.fixture
def cli(settings_env, history, tmp_path):
    env = {**os.environ, "SALESRELAY_DATABASE_URL": settings_env}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "salesrelay", "report", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_the_report_command(cli):
    window = ["--from", PERIOD[0], "--to", PERIOD[1]]
    table = cli("focus", *window)
    assert table.returncode == 0, table.stderr
    assert "Work outside the primary role" in table.stdout and "33.3%" in table.stdout
    data = json.loads(cli("handoffs", *window, "--group-by", "pair", "--format", "json").stdout)
    assert [r["proposed"] for r in data["sections"][0]["rows"]] == [3, 1]
    exported = cli("speed-to-lead", *window, "--group-by", "source", "--format", "csv").stdout
    assert exported.splitlines()[1].startswith("'=cmd(),1,")
    wrong = cli("funnel", "--basis", "weekly")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == "error: basis must be one of: cohort, activity"
    refreshed = cli("refresh")  # the reports above already folded every event in
    assert refreshed.returncode == 0 and "brought up to date: 0 journeys" in refreshed.stdout
    assert '"events_behind": 0' in cli("status", "--json").stdout
    assert "built from scratch: 9 journeys" in cli("refresh", "--rebuild").stdout
