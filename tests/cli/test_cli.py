"""The command-line contract scripts rely on, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

TEAM_CSV = """name,email,role,capacity,weight,territories,timezone,hours,manager_email
Mia Manager,mia@seller.example,closing,0,1,,America/New_York,mon-fri 09:00-17:00,
Ana Silva,ana@seller.example,inbound_qualification,100,1,,UTC,24/7,mia@seller.example
Bo Chen,bo@seller.example,inbound_qualification,100,1,,UTC,24/7,mia@seller.example
Eve Adams,eve@seller.example,inbound_qualification,100,1,enterprise,UTC,24/7,mia@seller.example
Sam Park,sam@seller.example,outbound_prospecting,100,2,,Europe/Berlin,24/7,mia@seller.example
"""


def test_init_installs_the_template_and_export_prints_it(run):
    result = json.loads(run("init", "--template", "four-role", "--json").stdout)
    assert result["playbook"]["name"] == "four-role"
    exported = run("playbook", "export").stdout
    assert "inbound_qualification" in exported
    again = json.loads(run("init", "--template", "four-role", "--json").stdout)
    assert again["playbook"]["unchanged"] is True


def test_keys_create_prints_only_the_key(run):
    run("init")
    key = run("keys", "create", "--scope", "intake").stdout
    assert key.startswith("sr_") and key.count("\n") == 1
    listed = json.loads(run("keys", "list", "--json").stdout)
    assert listed[0]["scope"] == "intake"
    assert key.strip() not in json.dumps(listed)
    bad = run("keys", "create", "--scope", "root", check=False)
    assert bad.returncode == 1 and "unknown scope" in bad.stderr


def test_team_import_and_list(run, tmp_path):
    run("init")
    (tmp_path / "reps.csv").write_text(TEAM_CSV)
    assert json.loads(run("team", "import", "reps.csv", "--json").stdout) == {
        "created": 5,
        "updated": 0,
    }
    reps = json.loads(run("team", "list", "--json").stdout)
    assert [r["email"] for r in reps][:2] == ["mia@seller.example", "ana@seller.example"]
    assert reps[1]["manager_id"] == reps[0]["id"]
    assert json.loads(run("team", "import", "reps.csv", "--json").stdout) == {
        "created": 0,
        "updated": 5,
    }


def test_a_bad_team_file_writes_nothing_and_names_the_lines(run, tmp_path):
    run("init")
    (tmp_path / "bad.csv").write_text(
        TEAM_CSV
        + "Zed,not-an-email,closing,5,1,,UTC,24/7,\n"
        + "Yan,yan@x.example,closing,5,1,,Mars/Base,24/7,\n"
    )
    result = run("team", "import", "bad.csv", check=False)
    assert result.returncode == 1
    assert "line 7" in result.stderr and "line 8" in result.stderr and "Mars/Base" in result.stderr
    assert json.loads(run("team", "list", "--json").stdout) == []


def test_playbook_validate_exit_codes(run, tmp_path):
    good = tmp_path / "good.yaml"
    run("init")
    good.write_text(run("playbook", "export").stdout)
    assert run("playbook", "validate", str(good)).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        good.read_text().replace(
            "role: closing, label: Discovery", "role: closer, label: Discovery"
        )
    )
    result = run("playbook", "validate", str(bad), check=False)
    assert result.returncode == 1
    line = next(
        n for n, text in enumerate(bad.read_text().splitlines(), 1) if "role: closer" in text
    )
    assert f"bad.yaml:{line}: error: stages[4].role: unknown role 'closer'" in result.stderr
    missing = run("playbook", "validate", "nope.yaml", check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_import_route_explain_and_touch(run, tmp_path):
    run("init")
    (tmp_path / "reps.csv").write_text(TEAM_CSV)
    run("team", "import", "reps.csv")
    (tmp_path / "leads.csv").write_text(
        "email,first_name,company,employees,source\n"
        "jo@bigco.example,Jo,BigCo,5000,web\n"
        "al@smallco.example,Al,SmallCo,12,web\n"
        "cy@coldco.example,Cy,ColdCo,50,outbound\n"
    )
    summary = json.loads(run("import", "leads", "leads.csv", "--json").stdout)
    assert summary["created"] == 3 and summary["rejected"] == 0
    explained = json.loads(run("route", "1", "--explain", "--json").stdout)
    assert explained[0]["rep"].startswith("Eve Adams")
    assert explained[0]["rule"] == "enterprise inbound"
    shown = json.loads(run("journeys", "show", "3", "--json").stdout)
    assert shown["stage"] == "prospecting" and shown["owner"]["email"] == "sam@seller.example"
    touched = json.loads(run("journeys", "touch", "1", "--json").stdout)
    assert touched["clocks_stopped"] == ["first_touch_inbound"]
    unknown = run("route", "999", check=False)
    assert unknown.returncode == 1 and "no journey with id 999" in unknown.stderr


def test_commands_fail_clearly_without_a_database(tmp_path):
    env = {**os.environ, "SALESRELAY_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"}
    done = subprocess.run(
        [sys.executable, "-m", "salesrelay", "team", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "error" in done.stderr


def test_serve_refuses_several_workers_on_sqlite(sqlite_url):
    env = {**os.environ, "SALESRELAY_DATABASE_URL": sqlite_url}
    done = subprocess.run(
        [sys.executable, "-m", "salesrelay", "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "PostgreSQL" in done.stderr


def test_a_bad_setting_is_named_without_a_traceback(sqlite_url):
    env = {
        **os.environ,
        "SALESRELAY_DATABASE_URL": sqlite_url,
        "SALESRELAY_WORKER_TICK_SECONDS": "3600",
    }
    done = subprocess.run(
        [sys.executable, "-m", "salesrelay", "team", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "SALESRELAY_WORKER_TICK_SECONDS" in done.stderr and "Traceback" not in done.stderr
