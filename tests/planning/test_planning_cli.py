"""The planning commands, registered on a throwaway Typer app as the main CLI does."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from salesrelay import planning_cli
from salesrelay.playbook import load_playbook_file

QUEUE_KEYS = {"p_wait", "service_level", "asa_seconds", "occupancy"}


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    planning_cli.register(app)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        if code:
            assert isinstance(result.exception, SystemExit)  # a message, not a traceback
            assert "Traceback" not in result.output
        return result

    return invoke


def test_queue_json_has_the_documented_keys(cli):
    data = json.loads(
        cli(
            "queue",
            "--arrivals-per-hour",
            "200",
            "--handle-minutes",
            "3",
            "--reps",
            "14",
            "--target-seconds",
            "20",
            "--json",
        ).stdout
    )
    assert data.keys() >= QUEUE_KEYS
    assert "p_abandon" not in data
    assert data["p_wait"] == pytest.approx(0.1741319, abs=1e-7)
    assert data["reps_needed"]["reps"] == 14


def test_queue_with_patience_and_simulation_side_by_side(cli):
    data = json.loads(
        cli(
            "queue",
            "--arrivals-per-hour",
            "40",
            "--handle-minutes",
            "20",
            "--reps",
            "12",
            "--target-seconds",
            "20",
            "--patience-minutes",
            "30",
            "--simulate",
            "20000",
            "--seed",
            "3",
            "--json",
        ).stdout
    )
    assert QUEUE_KEYS | {"p_abandon"} <= data.keys()
    assert QUEUE_KEYS | {"p_abandon"} <= data["simulated"].keys()
    assert data["simulated"]["p_abandon"] == pytest.approx(data["p_abandon"], rel=0.15)
    table = cli(
        "queue",
        "--arrivals-per-hour",
        "40",
        "--handle-minutes",
        "20",
        "--reps",
        "12",
        "--target-seconds",
        "20",
        "--patience-minutes",
        "30",
        "--simulate",
        "2000",
    ).stdout
    assert "Erlang A" in table and "simulated" in table and "Reps needed" in table


def test_queue_refuses_an_impossible_team(cli):
    result = cli(
        "queue",
        "--arrivals-per-hour",
        "10",
        "--handle-minutes",
        "3",
        "--reps",
        "0",
        "--target-seconds",
        "20",
        code=1,
    )
    assert "reps must be at least 1" in result.stderr


def test_advise_json_and_written_playbooks(cli, examples, tmp_path):
    profile = str(examples / "profiles" / "northwind.yaml")
    data = json.loads(cli("advise", profile, "--json").stdout)
    assert data["verdict"] == "mixed"
    assert all(role["reasons"] for role in data["roles"])
    cli("advise", profile, "--write-playbooks", str(tmp_path))
    written = sorted(tmp_path.glob("*.yaml"))
    assert [p.name for p in written] == [
        p["name"] + ".yaml" for p in sorted(data["playbooks"], key=lambda p: p["name"])
    ]
    for path in written:
        assert load_playbook_file(path).ok
    text = cli("advise", profile).stdout
    assert "short_close" in text and "Ross & Lemkin" in text


def test_advise_names_the_bad_field(cli, tmp_path):
    profile = tmp_path / "bad.yaml"
    profile.write_text("company: x\nsegments:\n  - {name: smb, deal_size: 5, calls_to_close: 0}\n")
    result = cli("advise", str(profile), code=1)
    assert "segments[smb].calls_to_close" in result.stderr
    missing = cli("advise", str(tmp_path / "nope.yaml"), code=1)
    assert "No such file" in missing.stderr


def test_plan_json_round_numbers_and_hires(cli, examples):
    data = json.loads(
        cli(
            "plan",
            "--target-revenue",
            "6000000",
            "--start",
            "2027-01",
            "--deal-size",
            "25000",
            "--quota-per-closer",
            "600000",
            "--current",
            "closer=4",
            "--json",
        ).stdout
    )
    assert data["start"] == "2027-01"
    assert sum(row["revenue"] for row in data["periods"]) == pytest.approx(6_000_000)
    assert data["peak_headcount"]["closer"] == 10
    assert sum(h["count"] for h in data["hires"] if h["role"] == "closer") == 6
    profiled = json.loads(
        cli(
            "plan",
            "--target-revenue",
            "9000000",
            "--start",
            "2027-01",
            "--profile",
            str(examples / "profiles" / "northwind.yaml"),
            "--json",
        ).stdout
    )
    assert {s["name"] for s in profiled["segments"]} == {"smb", "midmarket"}
    assert "Hiring" in cli("plan", "--target-revenue", "1000000", "--start", "2027-01").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--win-rate", "1.5"], "opportunity_to_won"),
        (["--start", "2027-13"], "--start"),
        (["--current", "wizard=2"], "--current"),
    ],
)
def test_plan_errors(cli, args, message):
    result = cli("plan", "--target-revenue", "1000000", *args, code=1)
    assert message in result.stderr


def _short(scenario_path, tmp_path, days: int = 20):
    text = scenario_path.read_text().replace("horizon_days: 365", f"horizon_days: {days}")
    short = tmp_path / scenario_path.name
    short.write_text(text)
    return str(short)


def test_simulate_compare_writes_json_csv_and_a_self_contained_html(cli, examples, tmp_path):
    old = _short(examples / "scenarios" / "generalists.yaml", tmp_path)
    new = _short(examples / "scenarios" / "specialists.yaml", tmp_path)
    html, table = tmp_path / "report.html", tmp_path / "report.csv"
    data = json.loads(
        cli(
            "simulate",
            old,
            "--compare",
            new,
            "--runs",
            "2",
            "--seed",
            "7",
            "--workers",
            "1",
            "--csv",
            str(table),
            "--html",
            str(html),
            "--json",
        ).stdout
    )
    assert [s["name"] for s in data["scenarios"]] == ["generalists", "specialists"]
    assert data["difference"]["metrics"]["leads"]["mean"] == 0  # the same leads
    revenue = data["scenarios"][1]["metrics"]["revenue"]
    assert revenue["ci_low"] <= revenue["mean"] <= revenue["ci_high"]
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert {row["scenario"] for row in rows} >= {"generalists", "specialists"}
    page = html.read_text()
    assert "<script src" not in page and "Plotly.newPlot" in page and len(page) > 1_000_000
    assert "difference" in cli("simulate", old, "--compare", new, "--runs", "2").stdout


def test_simulate_sweep(cli, examples, tmp_path):
    scenario = _short(examples / "scenarios" / "specialists.yaml", tmp_path, days=10)
    data = json.loads(
        cli(
            "simulate",
            scenario,
            "--sweep",
            "account_executive=5..7",
            "--runs",
            "2",
            "--workers",
            "1",
            "--json",
        ).stdout
    )
    assert [s["reps"] for s in data["scenarios"]] == [5, 6, 7]
    assert data["sweep"]["role"] == "account_executive"


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (
            "name: x\nroles: {a: {reps: 1}}\nsegments: {s: {owners: {closing: b}}}\nsources: {}\n",
            [],
            "segments.s.owners.closing: unknown role 'b'",
        ),
        ("name: x\nroles: [\n", [], "not valid YAML at line"),
        ("name: x\nroles: {a: {reps: -1}}\nsegments: {}\nsources: {}\n", [], "roles.a.reps"),
        (
            "name: x\nroles: {a: {reps: 1}}\nsegments: {}\nsources: {}\n",
            ["--sweep", "b=1..3"],
            "no role 'b'",
        ),
    ],
)
def test_simulate_errors_name_the_field(cli, tmp_path, content, extra, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = cli("simulate", str(path), *extra, code=1)
    assert message in result.stderr
