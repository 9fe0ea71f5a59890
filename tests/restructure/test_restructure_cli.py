"""`salesrelay restructure` as a user runs it: real processes on the test's database."""

from __future__ import annotations

import csv
import io
import json

import pytest

from restructure.support import FOUR_ROLE, book, count, four_role_team, generalists, handoffs
from salesrelay.handoffs.models import Handoff


@pytest.fixture
def team(factory, tmp_path):
    reps = generalists(factory)
    journeys = book(factory)
    (tmp_path / "four-role.yaml").write_text(FOUR_ROLE)
    return four_role_team(factory, reps), journeys


def test_a_playbook_with_errors_is_refused_with_its_lines(run, factory, tmp_path, team):
    broken = FOUR_ROLE.replace(
        "  - {id: proposal, role: closing, label: Proposal}",
        "  - {id: proposal, role: closer, label: Proposal}",
    ).replace("  - {from: proposal, to: negotiation}", "  - {from: proposal, to: contract}")
    (tmp_path / "broken.yaml").write_text(broken)
    lines = broken.splitlines()
    stage_line = lines.index("  - {id: proposal, role: closer, label: Proposal}") + 1
    move_line = lines.index("  - {from: proposal, to: contract}") + 1
    done = run("restructure", "--to", "broken.yaml", "--apply", "--install", check=False)
    assert done.returncode == 1 and done.stdout == ""
    errors = done.stderr.strip().splitlines()
    assert len(errors) >= 2 and all(line.startswith("error: broken.yaml: line ") for line in errors)
    assert any(f"line {stage_line}:" in line and "closer" in line for line in errors)
    assert any(f"line {move_line}:" in line and "contract" in line for line in errors)
    assert count(factory, Handoff) == 0
    missing = run("restructure", "--to", "nowhere.yaml", check=False)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: nowhere.yaml: no such file"


def test_the_dry_run_prints_and_exports_the_plan_and_writes_nothing(run, factory, team, tmp_path):
    done = run("restructure", "--to", "four-role.yaml", "--weeks", "3", "--json", "--csv", "p.csv")
    data = json.loads(done.stdout)
    assert data["summary"] == {
        "moves": 7, "planned": 7, "pending": 0, "moved": 0, "kept": 4, "held": 0, "accounts": 6,
    }  # fmt: skip
    assert [p["journeys"] for p in data["phases"]] == [2, 2, 3]
    assert data["current_week"] == 1 and data["weeks"] == 3
    rows = list(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text())))
    assert len(rows) == 7 and {row["week"] for row in rows} == {"1", "2", "3"}
    assert {row["status"] for row in rows} == {"planned"}
    assert count(factory, Handoff) == 0
    text = run("restructure", "--to", "four-role.yaml", "--weeks", "3").stdout
    assert "Restructure to four-role: 3 weeks from" in text
    assert "A dry run: nothing was written." in text


def test_apply_installs_only_when_asked_and_a_rerun_proposes_nothing_twice(run, factory, team):
    refused = run("restructure", "--to", "four-role.yaml", "--weeks", "3", "--apply", check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "add --install" in refused.stderr
    assert run("restructure", "--to", "four-role.yaml", "--install", check=False).returncode == 1

    args = ("restructure", "--to", "four-role.yaml", "--weeks", "3", "--apply", "--json")
    first = json.loads(run(*args, "--install").stdout)
    assert first["applied"]["installed_version"] == 2 and first["applied"]["week"] == 1
    assert len(first["applied"]["proposed"]) == 2 and first["summary"]["pending"] == 2
    again = json.loads(run(*args).stdout)
    assert again["applied"]["proposed"] == [] and again["applied"]["installed_version"] is None
    assert count(factory, Handoff) == 2

    (offer,) = [h for h in handoffs(factory) if h.to_rep_id == team[0]["quinn"]]
    bad = run("restructure", "reject", str(offer.id), "--reason", "busy", check=False)
    assert bad.returncode == 1 and "reason must be one of" in bad.stderr
    accepted = json.loads(
        run("restructure", "accept", "--all", "--as", "quinn@seller.example", "--json").stdout
    )
    assert accepted == {"accepted": [{"handoff_id": offer.id, "journey_id": offer.journey_id}]}
    (offer,) = handoffs(factory, Handoff.id == offer.id)
    assert offer.status == "accepted"
    after = json.loads(run("restructure", "--to", "four-role.yaml", "--json").stdout)
    assert after["summary"]["moved"] == 1 and after["weeks"] == 3  # the running restructure


TEAM_CSV = """name,email,role,capacity
Gina Generalist,gina@seller.example,closing,50
Gus Generalist,gus@seller.example,account_management,50
Gil Generalist,gil@seller.example,inbound_qualification,50
Cal Closer,cal@seller.example,closing,50
Pat Services,pat@seller.example,professional_services,50
Quinn Qualifier,quinn@seller.example,inbound_qualification,50
"""


def test_a_team_file_plans_ahead_and_starts_everything_in_one_go(run, factory, tmp_path):
    generalists(factory)
    book(factory)
    (tmp_path / "four-role.yaml").write_text(FOUR_ROLE)
    (tmp_path / "team.csv").write_text(TEAM_CSV)
    (tmp_path / "typo.csv").write_text(TEAM_CSV.replace(",closing,50\nGus", ",closer,50\nGus"))
    typo = run("restructure", "--to", "four-role.yaml", "--team", "typo.csv", check=False)
    assert typo.returncode == 1
    assert typo.stderr.startswith("error: line 2: unknown role 'closer'; four-role defines:")

    args = ("restructure", "--to", "four-role.yaml", "--weeks", "3", "--team", "team.csv")
    planned = json.loads(run(*args, "--json").stdout)  # today's team is still generalists
    assert planned["summary"]["moves"] == 7 and planned["summary"]["kept"] == 4
    joiners = {p["email"] for p in planned["people"] if p["id"] < 0}
    assert joiners == {"cal@seller.example", "pat@seller.example", "quinn@seller.example"}
    assert count(factory, Handoff) == 0

    started = json.loads(run(*args, "--apply", "--install", "--json").stdout)
    assert started["applied"]["installed_version"] == 2
    assert len(started["applied"]["proposed"]) == 2
    assert {p["email"]: p["roles"] for p in started["people"]}["gina@seller.example"] == ["closing"]
    roles = {p["email"]: p["roles"] for p in started["people"]}
    assert all(m["role"] in roles[m["to"]["email"]] for m in started["phases"][0]["moves"])
    assert {m["status"] for m in started["phases"][0]["moves"]} == {"pending"}
