"""The CLI is the operator's tool: it has no users or roles, and whoever can use the database
SALESRELAY_DATABASE_URL names can do everything with it (docs/operations.md). So what every
command that touches data requires is exactly that database; without a usable one it stops
with one line, `error: cannot use the database: …`, never a traceback and never a partial
write. The planning tools (advise, plan, queue, simulate) and the playbook file tools need
no database at all.

Every command of the Typer app has a row here: a new command without one fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from salesrelay import cli
from salesrelay.config import get_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLAYBOOK = Path(cli.__file__).parent / "playbook" / "templates" / "four-role.yaml"

DATABASE, LOCAL, SERVER = "database", "local", "server"

# command -> (what it needs, arguments for a run); {tmp} is a scratch folder
COMMANDS = {
    "accounts open": (DATABASE, ["1", "--kind", "renewal"]),
    "accounts request": (DATABASE, ["1", "--subject", "help"]),
    "advise": (LOCAL, [str(EXAMPLES / "profiles" / "northwind.yaml")]),
    "backup": (DATABASE, ["{tmp}/out.backup"]),
    "contacts erase": (DATABASE, ["jo@a.example", "--yes"]),
    "contacts export": (DATABASE, ["jo@a.example"]),
    "demo": (DATABASE, ["--leads", "5"]),
    "handoffs accept": (DATABASE, ["1"]),
    "handoffs list": (DATABASE, []),
    "handoffs propose": (DATABASE, ["1"]),
    "handoffs rate": (DATABASE, ["1", "5"]),
    "handoffs reject": (DATABASE, ["1", "--reason", "no"]),
    "import leads": (DATABASE, ["{tmp}/leads.csv"]),
    "init": (DATABASE, []),
    "journeys fields": (DATABASE, ["1"]),
    "journeys move": (DATABASE, ["1", "closing"]),
    "journeys resolve": (DATABASE, ["1"]),
    "journeys show": (DATABASE, ["1"]),
    "journeys touch": (DATABASE, ["1"]),
    "keys create": (DATABASE, ["--scope", "read"]),
    "keys list": (DATABASE, []),
    "keys revoke": (DATABASE, ["1"]),
    "outbox list": (DATABASE, []),
    "outbox retry": (DATABASE, ["1"]),
    "plan": (LOCAL, ["--target-revenue", "1000000"]),
    "playbook export": (DATABASE, []),
    "playbook install": (DATABASE, [str(PLAYBOOK)]),
    "playbook templates": (LOCAL, []),
    "playbook validate": (LOCAL, [str(PLAYBOOK)]),
    "queue": (
        LOCAL,
        [
            "--arrivals-per-hour",
            "10",
            "--handle-minutes",
            "5",
            "--reps",
            "2",
            "--target-seconds",
            "60",
        ],
    ),
    "report focus": (DATABASE, []),
    "report funnel": (DATABASE, []),
    "report handoffs": (DATABASE, []),
    "report refresh": (DATABASE, []),
    "report sla": (DATABASE, []),
    "report speed-to-lead": (DATABASE, []),
    "report status": (DATABASE, []),
    "report workload": (DATABASE, []),
    # The backup file is checked before the database is touched.
    "restore": (DATABASE, ["{tmp}/garbage.db"]),
    "restructure accept": (DATABASE, ["--as", "ana@seller.example", "--all"]),
    "restructure reject": (DATABASE, ["1", "--reason", "no"]),
    "route": (DATABASE, ["1"]),
    "serve": (SERVER, []),
    "simulate": (
        LOCAL,
        [str(EXAMPLES / "scenarios" / "specialists.yaml"), "--runs", "1", "--workers", "1"],
    ),
    "team add": (DATABASE, ["--name", "N", "--email", "n@x.example", "--role", "closing"]),
    "team import": (DATABASE, ["{tmp}/team.csv"]),
    "team list": (DATABASE, []),
    "team pause": (DATABASE, ["ana@seller.example"]),
    "team remove": (DATABASE, ["ana@seller.example"]),
    "team resume": (DATABASE, ["ana@seller.example"]),
    "users create": (DATABASE, ["--email", "u@x.example", "--password", "long enough pass 1"]),
    "users list": (DATABASE, []),
    "worker": (DATABASE, ["--once"]),
}
REFUSED_FIRST = {"restore": "not a readable SalesRelay backup"}
"""Commands that check their input file before they open the database."""


def typer_commands() -> set[str]:
    import typer

    def walk(command, prefix):
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                yield from walk(child, [*prefix, name])
        else:
            yield " ".join(prefix)

    return set(walk(typer.main.get_command(cli.app), []))


def test_every_command_has_a_row():
    commands = typer_commands()
    assert len(commands) > 40
    assert commands - COMMANDS.keys() == set(), "commands without a row in COMMANDS"
    assert COMMANDS.keys() - commands == set(), "rows for commands that no longer exist"


@pytest.fixture
def unusable_database(tmp_path, monkeypatch):
    """SALESRELAY_DATABASE_URL names a file that is not a database."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this file is not a database at all\n" * 50)
    (tmp_path / "leads.csv").write_text("email,company\njo@a.example,A\n")
    (tmp_path / "team.csv").write_text("name,email,role\nNew Rep,new@x.example,closing\n")
    monkeypatch.setenv("SALESRELAY_DATABASE_URL", f"sqlite:///{garbage}")
    monkeypatch.setenv("SALESRELAY_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield tmp_path, garbage.read_bytes()
    get_settings.cache_clear()


def run(monkeypatch, capsys, argv: list[str]) -> tuple[int, str, str]:
    """`salesrelay <argv>` in this process, through the same main() as the console script."""
    monkeypatch.setattr(sys, "argv", ["salesrelay", *argv])
    get_settings.cache_clear()
    try:
        cli.main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_data_commands_need_a_usable_database_and_say_so_in_one_line(
    unusable_database, monkeypatch, capsys
):
    folder, garbage = unusable_database
    problems = []
    for name, (needs, args) in sorted(COMMANDS.items()):
        if needs != DATABASE:
            continue
        argv = [*name.split(), *(a.replace("{tmp}", str(folder)) for a in args)]
        code, _, err = run(monkeypatch, capsys, argv)
        expected = REFUSED_FIRST.get(name, "error: cannot use the database:")
        lines = err.strip().splitlines()
        if code != 1 or len(lines) != 1 or expected not in lines[0]:
            problems.append(f"{name}: exit {code}, stderr {err.strip()[:300]!r}")
    assert not problems, "\n".join(problems)
    assert (folder / "garbage.db").read_bytes() == garbage  # nothing was written into it


def test_planning_and_playbook_file_tools_need_no_database(unusable_database, monkeypatch, capsys):
    problems = []
    for name, (needs, args) in sorted(COMMANDS.items()):
        if needs != LOCAL:
            continue
        code, out, err = run(monkeypatch, capsys, [*name.split(), *args])
        if code != 0 or not out.strip() or "database" in err:
            problems.append(f"{name}: exit {code}, stderr {err.strip()[:300]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "argv",
    [["journeys", "show", "not-a-number"], ["keys", "nope"], ["keys", "create", "--bogus"]],
)
def test_usage_errors_are_a_short_message_not_a_traceback(
    unusable_database, monkeypatch, capsys, argv
):
    code, _, err = run(monkeypatch, capsys, argv)
    assert code == 2
    assert "Error:" in err and "Traceback" not in err and len(err.splitlines()) <= 5
