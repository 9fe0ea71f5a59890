"""Backup and restore on SQLite and PostgreSQL: a history survives whole (same reports, same
rows), the restore checks the file and the database before and after, and a backup taken
while leads keep arriving is one consistent moment."""

from __future__ import annotations

import tarfile
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from data.history import NOW, all_rows, build, intake, refresh, reports
from salesrelay.backup import service as backup_service
from salesrelay.backup.manifest import BackupError
from salesrelay.db import make_engine, make_sessionmaker, transaction
from salesrelay.events.models import Event
from salesrelay.journeys.models import Journey
from salesrelay.routing.models import RoutingRecord
from salesrelay.team.models import Rep


@pytest.fixture
def restored(empty_database):
    engine = make_engine(empty_database)
    yield empty_database, make_sessionmaker(engine)
    engine.dispose()


def test_a_restored_history_gives_the_same_answers(database_url, factory, restored, tmp_path):
    build(factory)
    refresh(factory)
    before, rows_before = reports(factory), all_rows(factory)
    target = tmp_path / "salesrelay.backup"

    taken = backup_service.backup(url=database_url, target=target, now=NOW)
    assert taken.tables["journeys"] == 3 and taken.tables["events"] >= 15
    assert taken.rows == sum(len(rows) for rows in rows_before.values()) + 1  # + alembic

    url, restored_factory = restored
    report = backup_service.restore(url=url, source=target)
    assert report.ok, report.checks
    names = [check.name for check in report.checks]
    expected = ["row_counts", "schema_revision"]
    assert names == (["sqlite_integrity", *expected] if url.startswith("sqlite") else expected)
    assert report.rows == taken.rows and report.tables == taken.tables
    assert reports(restored_factory) == before
    assert all_rows(restored_factory) == rows_before

    # The restored database holds data now: a second restore must be asked for.
    with pytest.raises(BackupError, match="already holds data"):
        backup_service.restore(url=url, source=target)
    assert backup_service.restore(url=url, source=target, force=True).ok


def test_a_restore_refuses_a_damaged_or_foreign_file(
    database_url, factory, empty_database, tmp_path
):
    build(factory)
    target = tmp_path / "good.backup"
    backup_service.backup(url=database_url, target=target, now=NOW)

    damaged = tmp_path / "damaged.backup"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the copy
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="checksum"):
        backup_service.restore(url=empty_database, source=damaged)

    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(target.read_bytes()[:2000])
    with pytest.raises(BackupError):
        backup_service.restore(url=empty_database, source=truncated)

    foreign = tmp_path / "foreign.backup"
    with tarfile.open(foreign, "w") as archive:
        archive.add(target, arcname="something-else")
    with pytest.raises(BackupError, match="not a SalesRelay backup"):
        backup_service.restore(url=empty_database, source=foreign)

    if database_url.startswith("sqlite"):
        other_url = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never reached
    else:
        other_url = f"sqlite:///{tmp_path / 'other.db'}"
    with pytest.raises(BackupError, match="backup; it restores into a"):
        backup_service.restore(url=other_url, source=target)
    # Nothing was written by any refused restore.
    assert backup_service.restore(url=empty_database, source=target).ok


def test_a_backup_while_leads_arrive_is_one_consistent_moment(
    database_url, factory, restored, tmp_path
):
    build(factory)
    written = threading.Event()
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_writing() -> None:
        writer = make_engine(database_url)
        sessions = make_sessionmaker(writer)
        try:
            for number in range(10_000):
                if stop.is_set():
                    return
                intake(
                    sessions,
                    NOW + timedelta(seconds=number),
                    f"lead{number}@co{number}.example",
                    "Lee",
                    f"N{number}",
                    f"Company {number}",
                )
                if number == 20:
                    written.set()
        except BaseException as error:  # reported by the test below
            failures.append(error)
            written.set()
        finally:
            writer.dispose()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        assert written.wait(120)
        target = tmp_path / "busy.backup"
        taken = backup_service.backup(url=database_url, target=target, now=NOW)
    finally:
        stop.set()
        thread.join(120)
    assert not failures, failures
    assert taken.tables["journeys"] >= 3 + 21

    url, restored_factory = restored
    report = backup_service.restore(url=url, source=target)
    assert report.ok, report.checks
    with transaction(restored_factory) as session:
        journeys = session.scalar(select(func.count()).select_from(Journey))
        received = session.scalar(select(func.count()).where(Event.kind == "lead.received"))
        decisions = session.scalar(select(func.count()).select_from(RoutingRecord))
        open_owned = session.scalar(
            select(func.count()).where(Journey.status == "open", Journey.owner_rep_id.is_not(None))
        )
        counted = session.scalar(select(func.sum(Rep.open_journeys)))
    # Intake writes a journey, its lead event, its routing decision and the owner's open count
    # in one transaction: a copy from between two commits would disagree somewhere.
    assert journeys == taken.tables["journeys"]
    assert received == journeys  # Pat's lead joined Jo's journey: lead.repeated, not this
    assert decisions >= journeys
    assert counted == open_owned
