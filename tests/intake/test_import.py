"""CSV lead import: bad rows with line numbers, rejects file, re-runs and interruptions."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from factories import add_rep, install_template
from salesrelay.db import make_sessionmaker, read_only
from salesrelay.demo import fake_leads
from salesrelay.events.models import Event
from salesrelay.intake.importers import import_leads
from salesrelay.intake.models import Contact
from salesrelay.journeys.models import Journey
from salesrelay.sla.models import SlaClock
from salesrelay.team.models import Rep

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LEADS = 20_000  # in the killed import: too many to finish before the kill lands


def run_import(factory, path, **kwargs):
    return import_leads(factory=factory, path=path, now=lambda: NOW, **kwargs)


def count(factory, model, *where) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_bad_rows_are_reported_by_line_and_written_to_the_rejects_file(factory, tmp_path):
    install_template(factory)
    add_rep(factory)
    source = tmp_path / "leads.csv"
    source.write_text(
        "email,first_name,company,phone\n"  # line 1
        "ok1@alpha.example,Ok,Alpha,\n"  # 2
        ",Nobody,Nowhere,\n"  # 3 missing email and phone
        "not-an-email,Bad,Beta,\n"  # 4 malformed email
        "ok2@gamma.example,Two,Gamma\n"  # 5 wrong column count
        '"ok3@delta.example,Three,"Del"ta",\n'  # 6 broken quoting
        ",Phone Only,Epsilon,+1 212 555 0100\n"  # 7 fine: phone only
        "ok4@zeta.example,Four,Zeta,\n",  # 8
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    summary = run_import(factory, source, rejects_path=rejects)
    assert (summary.rows, summary.created, summary.rejected) == (7, 3, 4)
    reasons = {r["line"]: r["reason"] for r in summary.first_rejects}
    assert "missing email and phone" in reasons[3]
    assert "malformed email" in reasons[4]
    assert "expected 4 columns, found 3" in reasons[5]
    assert "quoting" in reasons[6]
    with open(rejects, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["line", "reason", "email", "first_name", "company", "phone"]
    assert [row[0] for row in rows[1:]] == ["3", "4", "5", "6"]
    assert count(factory, Journey) == 3


def test_a_rerun_of_the_same_file_creates_nothing(factory, tmp_path):
    install_template(factory)
    add_rep(factory, capacity=1000)
    add_rep(factory, capacity=1000)
    source = tmp_path / "leads.csv"
    _write(source, fake_leads(300, seed=3, companies=10_000))
    first = run_import(factory, source, batch_size=64)
    again = run_import(factory, source, batch_size=64)
    assert first.created + first.joined == 300
    assert again.already_imported == 300 and again.created == again.joined == 0
    assert count(factory, Journey) == first.created
    assert count(factory, Event, Event.kind == "lead.received") == first.created
    with factory() as session:
        open_counts = sum(session.scalars(select(Rep.open_journeys)))
    assert open_counts == first.routed == count(factory, Journey, Journey.owner_rep_id.is_not(None))


def test_duplicates_inside_one_file_join_one_journey(factory, tmp_path):
    install_template(factory)
    add_rep(factory)
    source = tmp_path / "leads.csv"
    source.write_text(
        "email,company\n"
        "jo@acme.example,Acme\n"
        "JO@acme.example,Acme\n"
        "max@acme.example,Acme Inc\n"
        "someone@gmail.com,ACME inc.\n"
    )
    summary = run_import(factory, source)
    assert (summary.created, summary.joined) == (1, 3)
    assert count(factory, Contact) == 3
    assert count(factory, Journey) == 1


def test_presets_and_maps_name_the_columns(factory, tmp_path):
    install_template(factory)
    add_rep(factory)
    hubspot = tmp_path / "hubspot.csv"
    hubspot.write_text(
        "Email,First Name,Company Name,Number of Employees,Favourite Colour\n"
        "ann@big.example,Ann,Big,2500,green\n"
    )
    assert run_import(factory, hubspot, preset="hubspot").created == 1
    with factory() as session:
        contact = session.scalar(select(Contact))
    assert contact.first_name == "Ann" and contact.attributes == {"Favourite Colour": "green"}
    custom = tmp_path / "custom.csv"
    custom.write_text("Mail,Who\nbo@small.example,Bo\n")
    summary = run_import(factory, custom, overrides={"Mail": "email", "Who": "first_name"})
    assert summary.created == 1


def test_every_imported_lead_has_its_clock(factory, tmp_path):
    install_template(factory)
    add_rep(factory)
    source = tmp_path / "leads.csv"
    _write(source, fake_leads(50, seed=9, companies=10_000))
    summary = run_import(factory, source)
    inbound = count(factory, Journey, Journey.stage == "new")
    assert count(factory, SlaClock, SlaClock.policy == "first_touch_inbound") == inbound
    assert count(
        factory, Journey, Journey.first_touch_due_at.is_(None)
    ) == summary.created - inbound - count(
        factory, Journey, Journey.stage == "prospecting"
    ) + count(
        factory, Journey, Journey.stage == "prospecting", Journey.first_touch_due_at.is_(None)
    )


def test_a_killed_import_loses_nothing_and_resumes(database_url, engine, factory, tmp_path):
    install_template(factory)
    for _ in range(4):
        add_rep(factory, capacity=100_000)
    source = tmp_path / "leads.csv"
    _write(source, fake_leads(LEADS, seed=21, companies=1_000_000))
    env = {**os.environ, "SALESRELAY_DATABASE_URL": database_url}
    command = [
        sys.executable,
        "-m",
        "salesrelay",
        "import",
        "leads",
        str(source),
        "--batch-size",
        "50",
        "--json",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Watch without the write lock, which the import takes back at once after every commit.
    watch = make_sessionmaker(read_only(engine))
    deadline = time.monotonic() + 60
    while count(watch, Journey) < 200 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = count(factory, Contact)
    assert 0 < partial < LEADS, process.stderr.read().decode()[-2000:]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
    assert count(factory, Contact) == len(
        {lead["email"].lower() for lead in fake_leads(LEADS, seed=21, companies=1_000_000)}
    )
    assert count(factory, Event, Event.kind == "lead.received") == count(factory, Journey)
    assert count(factory, SlaClock) == count(
        factory, Journey, Journey.first_touch_due_at.is_not(None)
    )


def _write(path, leads) -> None:
    leads = list(leads)
    columns = list(leads[0])
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(leads)
