"""The backup, restore and contacts commands as real processes, as scripts use them."""

from __future__ import annotations

import json

from data.history import build
from factories import run_cli


def test_backup_restore_export_and_erase_from_the_command_line(
    database_url, factory, empty_database, tmp_path
):
    build(factory)
    taken = run_cli(database_url, tmp_path, "backup", "sr.backup", "--json")
    assert taken.returncode == 0, taken.stderr
    backup = json.loads(taken.stdout)
    restored = run_cli(empty_database, tmp_path, "restore", "sr.backup", "--json")
    assert restored.returncode == 0, restored.stderr
    report = json.loads(restored.stdout)
    assert (
        report["ok"] and report["rows"] == backup["rows"] and report["tables"] == backup["tables"]
    )
    refused = run_cli(empty_database, tmp_path, "restore", "sr.backup")
    assert refused.returncode == 1 and "pass --force" in refused.stderr

    exported = run_cli(empty_database, tmp_path, "contacts", "export", "ann@beta.example")
    assert json.loads(exported.stdout)["contact"]["first_name"] == "Ann"
    declined = run_cli(
        empty_database, tmp_path, "contacts", "erase", "ann@beta.example", input="n\n"
    )
    assert declined.returncode == 1 and "Nothing erased" in declined.stderr
    erased = run_cli(
        empty_database, tmp_path, "contacts", "erase", "ann@beta.example", "--yes", "--json"
    )
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["erased"] is True
    assert json.loads(erased.stdout)["changed"]["contacts"] == 1
