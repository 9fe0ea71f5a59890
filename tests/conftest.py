"""Shared fixtures: a fresh migrated database per test, on SQLite and (when configured) PostgreSQL.

Set SALESRELAY_TEST_POSTGRES_URL to a server's database URL to run every database test on
PostgreSQL too; with REQUIRE_POSTGRES=1 a missing server fails instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from factories import run_cli
from salesrelay import migrate
from salesrelay.db import make_engine, make_sessionmaker

POSTGRES_URL = os.environ.get("SALESRELAY_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
FIXED_NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated template database; each test copies it (CREATE DATABASE … TEMPLATE)."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REQUIRE_POSTGRES=1 but SALESRELAY_TEST_POSTGRES_URL is not set")
        yield None
        return
    admin = create_engine(
        make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    name = f"salesrelay_tpl_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _postgres_copy(template: str) -> Iterator[str]:
    admin = create_engine(
        make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    name = f"salesrelay_t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, postgres_template) -> Iterator[str]:
    """A new, migrated, empty database for this test alone."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'salesrelay.db'}"
        migrate.upgrade(url)
        yield url
        return
    if postgres_template is None:
        pytest.skip("PostgreSQL not configured (set SALESRELAY_TEST_POSTGRES_URL)")
    yield from _postgres_copy(postgres_template)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """For tests about SQLite itself (files, processes): a migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'salesrelay.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def settings_env(database_url, monkeypatch):
    """The environment the CLI and app read their settings from, pointed at this test's database."""
    from salesrelay.config import get_settings

    monkeypatch.setenv("SALESRELAY_DATABASE_URL", database_url)
    monkeypatch.setenv("SALESRELAY_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def run(database_url, tmp_path):
    """`run(*args)`: the CLI on this test's database, which must exit 0 unless `check=False`."""

    def run(*args: str, check: bool = True, input: str | None = None):
        return run_cli(database_url, tmp_path, *args, check=check, input=input)

    return run
