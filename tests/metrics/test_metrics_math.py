"""The pure math: percentiles against NumPy, business time against the calendar module,
histograms, column tables, parameters and CSV cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrelay.calendar import BusinessCalendar, parse_hours
from salesrelay.errors import InvalidInputError
from salesrelay.metrics import reports
from salesrelay.metrics.schemas import Section, build_query, safe_cell, to_csv
from salesrelay.metrics.table import TEXT, Kind, Table, concat

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
quantiles = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=300), st.lists(quantiles, min_size=1, max_size=5))
def test_percentiles_are_numpys(values, qs):
    data = np.asarray(values)
    assert reports.percentiles(data, qs) == [float(np.percentile(data, q)) for q in qs]


@given(st.lists(st.tuples(st.integers(0, 4), finite), min_size=1, max_size=200))
def test_grouped_percentiles_are_numpys_per_group(pairs):
    groups = np.asarray([g for g, _ in pairs])
    values = np.asarray([v for _, v in pairs])
    split = reports.Groups([groups], len(pairs))
    found = split.percentiles(values, np.ones(len(pairs), dtype=bool), (50, 90, 99))
    for index, (key,) in enumerate(split.keys):
        mine = values[groups == key]
        assert found[index] == [float(np.percentile(mine, q)) for q in (50, 90, 99)]


def test_percentiles_of_nothing_are_none():
    assert reports.percentiles(np.zeros(0)) == [None, None, None]
    assert reports.share(3, 0) is None and reports.mean(np.zeros(0)) is None


def test_histogram_buckets_are_half_open_and_the_last_is_open_ended():
    assert reports.histogram(np.asarray([0, 4.99, 5, 59.9, 60, 1e6]), (0, 5, 60)) == [2, 2, 2]
    assert reports.bucket_label(60, 240) == "1h-4h" and reports.bucket_label(1440, None) == "24h+"
    index = np.asarray([0, 0, 1])
    grouped = reports.grouped_histogram(index, np.asarray([1.0, 7, 7]), (0, 5), 2)
    assert grouped.tolist() == [[1, 1], [0, 1]]


CALENDARS = [
    BusinessCalendar(
        timezone="America/New_York", hours=parse_hours("mon-fri 09:00-17:00"), holiday_country="US"
    ),
    BusinessCalendar(
        timezone="Europe/Berlin",
        holiday_country="DE-BY",
        hours=parse_hours("mon-fri 08:00-12:00 13:00-17:30; sat 10:00-14:00"),
    ),
    BusinessCalendar(timezone="Asia/Tokyo", hours=parse_hours("mon-sat 22:00-06:00")),
    BusinessCalendar(
        timezone="America/Sao_Paulo",
        hours=parse_hours("24/7"),
        closed_dates=[datetime(2026, 12, 25).date()],
    ),
    BusinessCalendar(),
]
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(range(len(CALENDARS))), moments, st.floats(0, 20 * 24 * 60))
def test_business_time_agrees_with_the_calendar(which, start, minutes):
    calendar = CALENDARS[which]
    end = start + timedelta(minutes=minutes)
    expected = calendar.business_minutes_between(start, end) * 60
    found = reports.business_seconds(
        calendar, np.asarray([start.timestamp()]), np.asarray([end.timestamp()])
    )
    assert found[0] == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("which", range(len(CALENDARS)))
def test_business_time_on_daylight_saving_days_and_holidays(which):
    calendar = CALENDARS[which]
    for day in (
        "2026-03-08",
        "2026-03-29",
        "2026-11-01",
        "2026-10-25",
        "2026-11-26",
        "2026-12-25",
        "2027-01-01",
    ):
        base = datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(hours=12)
        starts = np.asarray([(base + timedelta(minutes=37 * i)).timestamp() for i in range(80)])
        ends = starts + 3600 * 7.5
        found = reports.business_seconds(calendar, starts, ends)
        for start, end, got in zip(starts, ends, found, strict=True):
            expected = calendar.business_minutes_between(
                datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
            )
            assert got == pytest.approx(expected * 60, abs=1e-3)


def test_business_time_keeps_missing_instants_missing():
    calendar = CALENDARS[0]
    found = reports.business_seconds(
        calendar, np.asarray([1.8e9, 1.8e9]), np.asarray([np.nan, 1.8e9 - 60])
    )
    assert np.isnan(found[0]) and found[1] == 0.0
    assert len(reports.business_seconds(calendar, np.zeros(0), np.zeros(0))) == 0


def test_tables_concatenate_with_their_vocabularies_merged():
    kind = Kind("k", (("n", "i8"), ("word", TEXT)))
    first = Table.from_lists(kind, {"n": [1, 2, 3], "word": ["b", None, "a"]})
    second = Table.from_lists(kind, {"n": [4], "word": ["c"]})
    both = concat(kind, [first, Table.empty(kind), second])
    assert both["n"].tolist() == [1, 2, 3, 4]
    assert [both.text("word", c) for c in both["word"]] == ["b", None, "a", "c"]
    assert both.isin("word", ["a", "c", "zzz"]).tolist() == [False, False, True, True]


NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_query_parameters_are_checked_and_named():
    query = build_query(
        start="2026-11-01",
        end=None,
        timezone="America/New_York",
        now=NOW,
        filters={"source": "web,referral", "rep": None},
        group_by=["role"],
    )
    assert query.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # midnight in New York
    assert query.end == NOW and query.filters == {"source": ["web", "referral"]}
    default = build_query(start=None, end=None, timezone="UTC", now=NOW)
    assert NOW - default.start == timedelta(days=30)
    for kwargs, field in (
        ({"start": "2026-12-01", "end": "2026-11-01"}, "from"),
        ({"start": "yesterday"}, "from"),
        ({"group_by": "color"}, "group_by"),
        ({"filters": {"colour": "red"}}, "colour"),
        ({"basis": "weekly"}, "basis"),
        ({"threshold": 1.5}, "threshold"),
    ):
        arguments = {"start": None, "end": None, **kwargs}
        with pytest.raises(InvalidInputError) as raised:
            build_query(timezone="UTC", now=NOW, **arguments)
        assert raised.value.field == field


def test_csv_cells_cannot_run_as_formulas():
    assert [safe_cell(v) for v in ("=1+2", "+cmd", "-2+3", "@SUM(A1)", "ok", -2.5, None)] == [
        "'=1+2",
        "'+cmd",
        "'-2+3",
        "'@SUM(A1)",
        "ok",
        -2.5,
        "",
    ]
    section = Section(
        name="s",
        title="S",
        columns=["source", "leads"],
        rows=[{"source": '=HYPERLINK("x")', "leads": np.int64(3)}],
    )
    assert to_csv(section) == 'source,leads\n"\'=HYPERLINK(""x"")",3\n'
    assert section.rows[0]["leads"] == 3 and type(section.rows[0]["leads"]) is int
