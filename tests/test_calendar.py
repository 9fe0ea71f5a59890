from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from salesrelay.calendar import (
    ALWAYS_OPEN,
    BusinessCalendar,
    WeeklyHours,
    parse_hours,
    wall_minutes_between,
)
from salesrelay.playbook import schema

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
TEMPLATE = Path(__file__).parents[1] / "src/salesrelay/playbook/templates/four-role.yaml"


def calendar(hours="mon-fri 09:00-17:00", timezone="America/New_York", holidays=None, **kw):
    return BusinessCalendar(
        timezone=timezone, hours=parse_hours(hours), holiday_country=holidays, **kw
    )


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


# -- parse_hours ------------------------------------------------------------------------
def test_parse_hours_weekdays():
    hours = parse_hours("mon-fri 09:00-17:00")
    assert hours.days[0] == ((540, 1020),)
    assert hours.days[4] == ((540, 1020),)
    assert hours.days[5] == () and hours.days[6] == ()
    assert str(hours) == "mon-fri 09:00-17:00"


def test_parse_hours_several_clauses_and_ranges():
    hours = parse_hours("mon-thu 08:00-18:00; fri 08:00-14:00")
    assert hours.days[3] == ((480, 1080),)
    assert hours.days[4] == ((480, 840),)
    split = parse_hours("mon,wed 10:00-12:00 13:00-17:00")
    assert split.days[0] == ((600, 720), (780, 1020))
    assert split.days[2] == split.days[0]
    assert split.days[1] == ()


def test_parse_hours_mapping_and_round_trip():
    hours = parse_hours({"mon": ["09:00-12:00", "13:00-17:00"], "tue-fri": ["9-17"], "sat": []})
    assert hours.days[0] == ((540, 720), (780, 1020))
    assert hours.days[4] == ((540, 1020),)
    assert hours.days[5] == ()
    assert parse_hours(str(hours)) == hours


def test_parse_hours_always_overnight_and_adjacent():
    assert parse_hours("24/7") is ALWAYS_OPEN
    assert ALWAYS_OPEN.is_always_open and not ALWAYS_OPEN.is_empty
    overnight = parse_hours("fri 22:00-02:00")
    assert overnight.days[4] == ((1320, 1440),)
    assert overnight.days[5] == ((0, 120),)
    assert parse_hours("mon 09:00-12:00 12:00-17:00").days[0] == ((540, 1020),)
    assert parse_hours("Monday to Friday 9:00 – 17:00") == parse_hours("mon-fri 09:00-17:00")
    assert parse_hours("sat closed; sun closed").is_empty
    assert parse_hours(str(parse_hours("closed"))).is_empty


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mon-fri", "has no times"),
        ("9-17", "names no days"),
        ("someday 9-17", "'someday' is not a day"),
        ("mon 9-25", "times run 00:00-24:00"),
        ("mon 09:00-09:00", "is empty"),
        ("mon 9-17; mon 12-13", "overlapping hours 09:00-17:00 and 12:00-13:00"),
        ("mon nine-five", "is not a time range"),
        ("", "no opening hours"),
        ({"mon": 9}, "must be a list of ranges"),
    ],
)
def test_parse_hours_errors_say_what_to_write(spec, message):
    with pytest.raises(ValueError, match=message) as error:
        parse_hours(spec)
    assert ":00" in str(error.value)  # every message shows the form to write


def test_weekly_hours_is_open_reads_wall_time():
    hours = parse_hours("mon-fri 09:00-17:00")
    assert hours.is_open(datetime(2026, 3, 2, 9, 0))
    assert hours.is_open(datetime(2026, 3, 2, 16, 59, 59))
    assert not hours.is_open(datetime(2026, 3, 2, 17, 0))
    assert not hours.is_open(datetime(2026, 3, 7, 12, 0))
    assert hours.minutes_until_open(datetime(2026, 3, 6, 17, 0)) == 2 * 1440 + 16 * 60
    assert WeeklyHours(days=((),) * 7).minutes_until_open(datetime(2026, 3, 2)) is None


# -- arithmetic -------------------------------------------------------------------------
def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        calendar().add_business_minutes(datetime(2026, 3, 2, 10), 5)
    with pytest.raises(ValueError, match="no time zone"):
        calendar().is_open(datetime(2026, 3, 2, 10))


def test_across_a_weekend():
    friday = local(NEW_YORK, 2026, 3, 6, 16, 30)
    due = calendar().add_business_minutes(friday, 60)
    assert due == local(NEW_YORK, 2026, 3, 9, 9, 30)
    assert due.tzinfo is UTC
    assert calendar().business_minutes_between(friday, due) == 60


def test_us_thanksgiving_is_closed():
    wednesday = local(NEW_YORK, 2026, 11, 25, 16, 30)
    us = calendar(holidays="US")
    assert not us.is_open(local(NEW_YORK, 2026, 11, 26, 12))
    assert us.add_business_minutes(wednesday, 60) == local(NEW_YORK, 2026, 11, 27, 9, 30)
    assert calendar().add_business_minutes(wednesday, 60) == local(NEW_YORK, 2026, 11, 26, 9, 30)


def test_bavarian_holiday_is_closed_but_not_elsewhere_in_germany():
    # Corpus Christi (2026-06-04) is a public holiday in Bavaria, not in all of Germany.
    wednesday = local(BERLIN, 2026, 6, 3, 16, 30)
    bavaria = calendar(timezone="Europe/Berlin", holidays="DE-BY")
    germany = calendar(timezone="Europe/Berlin", holidays="DE")
    assert bavaria.add_business_minutes(wednesday, 60) == local(BERLIN, 2026, 6, 5, 9, 30)
    assert germany.add_business_minutes(wednesday, 60) == local(BERLIN, 2026, 6, 4, 9, 30)


def test_after_hours_start_waits_for_the_next_opening():
    evening = local(NEW_YORK, 2026, 3, 3, 20, 0)
    assert calendar().next_open(evening) == local(NEW_YORK, 2026, 3, 4, 9, 0)
    assert calendar().add_business_minutes(evening, 5) == local(NEW_YORK, 2026, 3, 4, 9, 5)
    early = local(NEW_YORK, 2026, 3, 4, 6, 0)
    assert calendar().add_business_minutes(early, 0) == local(NEW_YORK, 2026, 3, 4, 9, 0)


def test_a_deadline_at_closing_time_is_the_closing_instant():
    afternoon = local(NEW_YORK, 2026, 3, 3, 16, 0)
    closing = local(NEW_YORK, 2026, 3, 3, 17, 0)
    assert calendar().add_business_minutes(afternoon, 60) == closing
    assert not calendar().is_open(closing)
    # Starting at the closing instant, the clock waits for the next morning.
    assert calendar().add_business_minutes(closing, 0) == local(NEW_YORK, 2026, 3, 4, 9, 0)


@pytest.mark.parametrize(
    ("timezone", "utc_deadline"),
    [
        ("UTC", datetime(2026, 3, 4, 9, 30, tzinfo=UTC)),
        ("Asia/Tokyo", datetime(2026, 3, 4, 0, 30, tzinfo=UTC)),
        ("Asia/Kolkata", datetime(2026, 3, 4, 4, 0, tzinfo=UTC)),
        ("Australia/Sydney", datetime(2026, 3, 3, 23, 30, tzinfo=UTC)),  # open: 10:00 AEDT
    ],
)
def test_hours_are_local_to_the_calendar_zone(timezone, utc_deadline):
    # 2026-03-03 23:00 UTC is Wednesday morning in Asia and Australia, night in UTC.
    start = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
    assert calendar(timezone=timezone).add_business_minutes(start, 30) == utc_deadline


@pytest.mark.parametrize(
    ("timezone", "change_day"),
    [
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
    ],
)
def test_wall_clock_hours_keep_their_length_on_dst_change_days(timezone, change_day):
    zone = ZoneInfo(timezone)
    daily = calendar("daily 09:00-17:00", timezone=timezone)
    midnight = datetime.combine(change_day, datetime.min.time(), tzinfo=zone)
    next_midnight = datetime.combine(change_day + timedelta(days=1), datetime.min.time(), zone)
    assert daily.business_minutes_between(midnight, next_midnight) == 480
    saturday_afternoon = midnight - timedelta(hours=8)  # 16:00 the day before
    due = daily.add_business_minutes(saturday_afternoon, 120)
    assert due.astimezone(zone).replace(tzinfo=None) == datetime.combine(
        change_day, datetime.min.time()
    ).replace(hour=10)


def test_boundaries_in_a_dst_gap_or_repeated_hour_follow_fold_zero():
    # 2026-03-08, New York skips 02:00-03:00: 02:30 means 03:30 EDT.
    gap = calendar("daily 02:30-05:00")
    assert gap.next_open(local(NEW_YORK, 2026, 3, 8, 0, 0)) == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )
    # The day of 01:00-04:00 then lasts two real hours, the fall-back day's four.
    night = calendar("daily 01:00-04:00")
    spring = local(NEW_YORK, 2026, 3, 8, 0, 0), local(NEW_YORK, 2026, 3, 9, 0, 0)
    autumn = local(NEW_YORK, 2026, 11, 1, 0, 0), local(NEW_YORK, 2026, 11, 2, 0, 0)
    assert night.business_minutes_between(*spring) == 120
    assert night.business_minutes_between(*autumn) == 240


def test_always_open_calendar_is_identity_plus_minutes():
    start = datetime(2026, 3, 8, 6, 59, 1, 123456, tzinfo=UTC)
    for zone in ("UTC", "America/New_York"):
        always = BusinessCalendar(timezone=zone)
        assert always.add_business_minutes(start, 90.5) == start + timedelta(minutes=90.5)
        assert always.is_open(start) and always.next_open(start) == start


def test_between_is_zero_when_end_is_not_after_start():
    start = local(NEW_YORK, 2026, 3, 4, 10)
    assert calendar().business_minutes_between(start, start) == 0
    assert calendar().business_minutes_between(start, start - timedelta(hours=1)) == 0
    assert wall_minutes_between(start, start + timedelta(hours=1)) == 60
    assert wall_minutes_between(start, start - timedelta(hours=1)) == 0


def test_closed_dates_and_negative_minutes():
    closed = calendar(closed_dates=[date(2026, 3, 4)])
    assert closed.add_business_minutes(local(NEW_YORK, 2026, 3, 3, 17), 1) == local(
        NEW_YORK, 2026, 3, 5, 9, 1
    )
    with pytest.raises(ValueError, match="≥ 0"):
        closed.add_business_minutes(local(NEW_YORK, 2026, 3, 3, 17), -1)


def test_from_playbook_reads_the_template_calendar():
    data = yaml.safe_load(TEMPLATE.read_text())
    four_role = BusinessCalendar.from_playbook(schema.Calendar(**data["calendar"]))
    assert four_role.timezone == "America/New_York"
    assert not four_role.is_open(local(NEW_YORK, 2026, 11, 26, 12))
    assert four_role.is_open(local(NEW_YORK, 2026, 11, 27, 12))
    custom = BusinessCalendar.from_playbook(
        schema.Calendar(timezone="UTC", hours="24/7", closed_dates=["2026-12-31"])
    )
    assert not custom.is_open(datetime(2026, 12, 31, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA name"),
        ({"holiday_country": "XX"}, "'US' or 'DE-BY'"),
        ({"holiday_country": "DE-ZZ"}, "'US' or 'DE-BY'"),
    ],
)
def test_bad_calendar_settings_say_what_to_write(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)


def test_bad_closed_date_in_a_playbook():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        BusinessCalendar.from_playbook(schema.Calendar(closed_dates=["31/12/2026"]))


# -- properties -------------------------------------------------------------------------
CALENDARS = [
    calendar(holidays="US"),
    calendar("mon-thu 08:00-18:00; fri 08:00-14:00", timezone="Europe/Berlin", holidays="DE-BY"),
    calendar("mon,wed 10:00-12:00 13:00-17:00", timezone="Asia/Tokyo"),
    calendar("daily 22:00-02:00", timezone="Australia/Sydney"),
    calendar("daily 01:00-04:00"),  # crosses both New York DST changes
    calendar("24/7", timezone="Asia/Kolkata", closed_dates=[date(2026, 1, 26)]),
]
instants = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC)
)
minutes = st.floats(min_value=0, max_value=20_000, allow_nan=False)


@given(st.sampled_from(CALENDARS), instants, minutes)
def test_a_deadline_is_never_strictly_inside_closed_hours(cal, start, amount):
    due = cal.add_business_minutes(start, amount)
    assert due >= start
    assert cal.is_open(due) or cal.is_open(due - timedelta(microseconds=1))


@given(st.sampled_from(CALENDARS), instants, minutes)
def test_between_undoes_add(cal, start, amount):
    start = cal.next_open(start)
    due = cal.add_business_minutes(start, amount)
    assert abs(cal.business_minutes_between(start, due) - amount) < 1e-6


@given(st.sampled_from(CALENDARS), instants, minutes, minutes)
def test_add_is_monotonic_in_minutes(cal, start, first, second):
    low, high = sorted((first, second))
    assert cal.add_business_minutes(start, low) <= cal.add_business_minutes(start, high)


@given(st.sampled_from(CALENDARS), instants)
def test_next_open_is_open_and_skips_only_closed_time(cal, at):
    opening = cal.next_open(at)
    assert opening >= at and cal.is_open(opening)
    assert cal.business_minutes_between(at, opening) == 0
