"""The same verbs on the command line: --json for scripts, one-line errors with exit 1."""

from __future__ import annotations

import json
import sys

from handoffs.support import QUALIFIED, new_lead
from salesrelay.cli import main
from salesrelay.db import utcnow


def run(capsys, monkeypatch, *args) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["salesrelay", *args])
    code = 0
    try:
        main()
    except SystemExit as done:
        code = done.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_handoff_from_the_command_line(settings_env, factory, team, capsys, monkeypatch):
    journey_id = str(new_lead(factory, utcnow()))
    code, _, err = run(capsys, monkeypatch, "journeys", "move", journey_id, "won")
    assert code == 1
    assert (
        err.strip().count("\n") == 0 and "allowed moves from 'new': qualifying, disqualified" in err
    )
    code, out, _ = run(capsys, monkeypatch, "journeys", "move", journey_id, "qualifying", "--json")
    assert code == 0 and json.loads(out)["to_stage"] == "qualifying"

    code, _, err = run(
        capsys, monkeypatch, "handoffs", "propose", journey_id, "--field", "budget=1"
    )
    assert code == 1 and "missing: Decision maker (text)" in err and "missing: Need" in err
    fields = [arg for name, value in QUALIFIED.items() for arg in ("-f", f"{name}={value}")]
    code, out, _ = run(capsys, monkeypatch, "handoffs", "propose", journey_id, *fields, "--json")
    assert code == 0, out
    handoff = json.loads(out)
    code, out, _ = run(
        capsys,
        monkeypatch,
        "handoffs",
        "list",
        "--to",
        "cal@seller.example",
        "--status",
        "proposed",
        "--json",
    )
    assert [h["id"] for h in json.loads(out)["data"]] == [handoff["id"]]
    code, _, err = run(
        capsys, monkeypatch, "handoffs", "accept", str(handoff["id"]), "--as", "amy@seller.example"
    )
    assert code == 1 and "only its receiver can accept it" in err
    code, out, _ = run(
        capsys,
        monkeypatch,
        "handoffs",
        "accept",
        str(handoff["id"]),
        "--as",
        "cal@seller.example",
        "--json",
    )
    assert json.loads(out)["status"] == "accepted"
    code, out, _ = run(
        capsys, monkeypatch, "handoffs", "rate", str(handoff["id"]), "4", "--comment", "good notes"
    )
    assert code == 0 and "rated 4/5" in out
    code, out, _ = run(capsys, monkeypatch, "outbox", "list", "--status", "pending", "--json")
    topics = {row["topic"] for row in json.loads(out)["data"]}
    assert {"handoff.intro", "handoff.proposed", "handoff.accepted"} <= topics
    code, out, _ = run(capsys, monkeypatch, "worker", "--once", "--json")
    assert code == 0 and json.loads(out)["outbox"]["retrying"] >= 1  # no SMTP server here


def test_unknown_ids_are_one_line_errors(settings_env, factory, team, capsys, monkeypatch):
    for args in (
        ("handoffs", "accept", "999"),
        ("journeys", "move", "999", "qualifying"),
        ("outbox", "retry", "5"),
        ("accounts", "request", "7", "--subject", "x"),
    ):
        code, _, err = run(capsys, monkeypatch, *args)
        assert code == 1 and err.startswith("error: no ") and err.count("\n") == 1
