"""What a report is asked (period, filters, group-by) and what it answers (sections of rows),
and the CSV form of an answer. Parsing is pure: the time zone and `now` are passed in."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, Field, field_validator

from salesrelay.errors import InvalidInputError

REPORTS = ("speed-to-lead", "sla", "funnel", "handoffs", "workload", "focus")
DIMENSIONS = ("role", "rep", "team", "source", "segment", "stage")
BASES = ("cohort", "activity")
DEFAULT_DAYS = 30
FOCUS_THRESHOLD = 0.20
"""Break a function out once it takes more than ~20% of someone's time (Ross & Tyler,
Predictable Revenue, 2011; Ross & Lemkin, From Impossible to Inevitable, 2016)."""


@dataclass(frozen=True)
class ReportQuery:
    start: datetime
    end: datetime
    filters: dict[str, list[str]] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)
    basis: str = "cohort"
    threshold: float = FOCUS_THRESHOLD

    @property
    def start_epoch(self) -> float:
        return self.start.timestamp()

    @property
    def end_epoch(self) -> float:
        return self.end.timestamp()


class Section(BaseModel):
    name: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]

    @field_validator("rows")
    @classmethod
    def _plain(cls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Plain Python values: NumPy scalars unwrapped, NaN as None (JSON has no NaN)."""
        return [{key: _plain_value(value) for key, value in row.items()} for row in rows]


def _plain_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Period(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")


class Report(BaseModel):
    report: str
    period: Period
    basis: str | None = None
    filters: dict[str, list[str]]
    group_by: list[str]
    generated_at: datetime
    sections: list[Section]
    notes: list[str] = Field(default_factory=list)

    def section(self, name: str | None = None) -> Section:
        if name is None:
            return self.sections[0]
        for section in self.sections:
            if section.name == name:
                return section
        raise InvalidInputError(
            f"report '{self.report}' has no section '{name}'; its sections are: "
            + ", ".join(s.name for s in self.sections),
            field="section",
        )


# -- parsing ---------------------------------------------------------------------------


def parse_moment(text: str, *, timezone: str, name: str) -> datetime:
    """An ISO date (midnight in the playbook's time zone) or date-time (UTC if no offset)."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            f"{name} {text!r} is not a date or date-time; write e.g. 2026-11-01 or "
            "2026-11-01T09:00:00-05:00",
            field=name,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def split_values(values: list[str] | str | None) -> list[str]:
    """Values given repeated or comma-separated, trimmed, without empties or repeats."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else values
    found = [part.strip() for item in items for part in item.split(",")]
    return list(dict.fromkeys(v for v in found if v))


def build_query(
    *,
    start: str | None,
    end: str | None,
    timezone: str,
    now: datetime,
    filters: dict[str, list[str] | str | None] | None = None,
    group_by: list[str] | str | None = None,
    allowed_groups: tuple[str, ...] = DIMENSIONS,
    basis: str | None = None,
    threshold: float | None = None,
) -> ReportQuery:
    """Check and normalise a report's parameters; every problem names the parameter."""
    until = parse_moment(end, timezone=timezone, name="to") if end else now
    since = (
        parse_moment(start, timezone=timezone, name="from")
        if start
        else until - timedelta(days=DEFAULT_DAYS)
    )
    if since >= until:
        raise InvalidInputError(
            f"the period is empty: from ({since.isoformat()}) must be before to "
            f"({until.isoformat()})",
            field="from",
        )
    groups = split_values(group_by)
    unknown = [g for g in groups if g not in allowed_groups]
    if unknown:
        raise InvalidInputError(
            f"cannot group by {', '.join(unknown)}; choose from: {', '.join(allowed_groups)}",
            field="group_by",
        )
    chosen = {}
    for name, values in (filters or {}).items():
        if name not in DIMENSIONS:
            raise InvalidInputError(
                f"unknown filter '{name}'; filters are: {', '.join(DIMENSIONS)}", field=name
            )
        if split_values(values):
            chosen[name] = split_values(values)
    basis = basis or "cohort"
    if basis not in BASES:
        raise InvalidInputError(f"basis must be one of: {', '.join(BASES)}", field="basis")
    if threshold is not None and not 0 < threshold < 1:
        raise InvalidInputError("threshold is a share between 0 and 1, e.g. 0.2", field="threshold")
    return ReportQuery(
        since, until, chosen, groups, basis, FOCUS_THRESHOLD if threshold is None else threshold
    )


# -- CSV -------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(section: Section) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in section.columns])
    for row in section.rows:
        writer.writerow([safe_cell(row.get(c)) for c in section.columns])
    return buffer.getvalue()
