"""Scraping /metrics the way Prometheus does, and leads whose first-touch clock is long due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from salesrelay.app import create_app
from salesrelay.config import Settings


def app_client(database_url: str, **settings) -> TestClient:
    """The real application on this database, as `salesrelay serve` builds it."""
    return TestClient(
        create_app(Settings(database_url=database_url, environment="test", **settings))
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def long_ago() -> str:
    """A Monday 10:00 in New York about two weeks back: every escalation step is due now."""
    day = (datetime.now(UTC) - timedelta(days=14)).date()
    day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC).isoformat()


def lead(number: int, **fields) -> dict:
    return {
        "email": f"jo{number}@company{number}.example",
        "first_name": "Jo",
        "last_name": f"Doe {number}",
        "company": f"Company {number}",
        **fields,
    }
