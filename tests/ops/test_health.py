"""/healthz says the process is alive; /readyz says whether it can serve, and what is missing."""

from __future__ import annotations

from sqlalchemy import text

from factories import install_template
from ops.support import app_client
from salesrelay import migrate
from salesrelay.db import transaction
from salesrelay.telemetry.readiness import head_revisions

UNREACHABLE_POSTGRES = "postgresql+psycopg://salesrelay@127.0.0.1:1/salesrelay"


def test_a_ready_database_is_reported_with_its_revision_and_playbook(database_url, factory):
    install_template(factory)
    with app_client(database_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"]["ok"] is True
    assert body["migrations"] == {
        "ok": True,
        "current": sorted(head_revisions()),
        "head": sorted(head_revisions()),
    }
    assert body["playbook"]["ok"] is True
    assert body["playbook"]["version"] == 1
    assert "missing" not in body


def test_without_a_playbook_the_process_is_alive_but_not_ready(database_url):
    with app_client(database_url) as client:
        alive = client.get("/healthz")
        ready = client.get("/readyz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    body = ready.json()
    assert body["status"] == "not ready"
    assert body["playbook"] == {"ok": False}
    assert len(body["missing"]) == 1
    assert body["missing"][0].startswith("playbook: none installed")


def test_a_database_behind_the_migrations_is_not_ready(database_url, factory):
    install_template(factory)
    with transaction(factory) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '1c795c62497a'"))
    with app_client(database_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["migrations"]["ok"] is False
    assert body["migrations"]["current"] == ["1c795c62497a"]
    assert "salesrelay init" in body["missing"][0]
    assert "playbook" not in body  # not looked for in a schema that may lack its table


def test_a_database_never_migrated_is_not_ready(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with app_client(url) as client:
        before = client.get("/readyz")
        migrate.upgrade(url)
        migrated = client.get("/readyz")
    assert before.status_code == 503
    assert before.json()["migrations"]["current"] == []
    assert migrated.status_code == 503  # migrated, but still no playbook
    assert migrated.json()["migrations"]["ok"] is True
    assert migrated.json()["missing"][0].startswith("playbook")


def test_an_unreachable_postgresql_is_not_ready_and_the_process_stays_alive():
    with app_client(UNREACHABLE_POSTGRES) as client:
        alive = client.get("/healthz")
        ready = client.get("/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    body = ready.json()
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["missing"] == ["database: unreachable"]
    assert "127.0.0.1" not in ready.text  # the driver's message goes to the log, not out


def test_an_unopenable_sqlite_file_is_not_ready(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'salesrelay.db'}"
    with app_client(url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["missing"] == ["database: unreachable"]
