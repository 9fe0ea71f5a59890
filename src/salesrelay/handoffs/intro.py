"""The intro that sets the customer's expectations, and the meeting invite that goes with it.

Pure: rendered from plain values. Templates come from the playbook, so they run in Jinja2's
sandbox: a template can read the values it is given and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from salesrelay.playbook.schema import HandoffProtocol

MEETING_MINUTES = 30
"""Length of the meeting an invite books when the protocol gives only a start time."""

_environment = SandboxedEnvironment(
    autoescape=False,
    keep_trailing_newline=True,
    finalize=lambda value: "" if value is None else value,
)


@dataclass(frozen=True, slots=True)
class PersonView:
    name: str
    email: str | None
    first_name: str | None = None

    def as_context(self) -> dict[str, Any]:
        first = self.first_name or (self.name.split()[0] if self.name else None)
        return {"name": self.name, "first_name": first, "email": self.email}


@dataclass(frozen=True, slots=True)
class Intro:
    subject: str
    body: str
    invite: str | None
    """An iCalendar (.ics) text when the protocol names a meeting field that is filled in."""


def format_moment(value: datetime, timezone: str) -> str:
    """'Wed 25 Nov 2026, 14:00 EST': how a deadline or meeting reads in the team's zone."""
    return value.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y, %H:%M %Z")


def format_day(value: date) -> str:
    return value.strftime("%a %d %b %Y")


def display_fields(
    protocol: HandoffProtocol, values: Mapping[str, Any], timezone: str
) -> dict[str, Any]:
    """Field values as a person reads them: dates and times spelled out in the team's zone."""
    shown: dict[str, Any] = dict(values)
    for name, spec in protocol.fields.items():
        value = values.get(name)
        if value is None:
            continue
        if spec.type == "datetime":
            shown[name] = format_moment(datetime.fromisoformat(value), timezone)
        elif spec.type == "date":
            shown[name] = format_day(date.fromisoformat(value))
    return shown


def render(
    protocol: HandoffProtocol,
    *,
    protocol_id: str,
    contact: PersonView | None,
    company_name: str,
    account: Mapping[str, Any],
    previous_owner: PersonView | None,
    next_owner: PersonView,
    fields: Mapping[str, Any],
    all_fields: Mapping[str, Any],
    accept_by: datetime,
    journey: Mapping[str, Any],
    timezone: str,
    uid: str,
    now: datetime,
) -> Intro:
    """Render subject and body; `fields` are the handoff's, `all_fields` the journey's."""
    context = {
        "contact": contact.as_context() if contact else {},
        "company_name": company_name,
        "account": dict(account),
        "previous_owner": previous_owner.as_context() if previous_owner else {},
        "next_owner": next_owner.as_context(),
        "fields": {**all_fields, **display_fields(protocol, fields, timezone)},
        "accept_by": format_moment(accept_by, timezone),
        "journey": dict(journey),
    }
    try:
        subject = _environment.from_string(protocol.intro_subject).render(context)
        body = _environment.from_string(protocol.intro).render(context)
    except TemplateError as error:
        raise ValueError(f"the intro of handoff protocol '{protocol_id}' fails: {error}") from None
    invite = None
    meeting = fields.get(protocol.meeting_field) if protocol.meeting_field else None
    if meeting is not None:
        spec = protocol.fields[protocol.meeting_field]
        start: date | datetime = (
            datetime.fromisoformat(meeting)
            if spec.type == "datetime"
            else date.fromisoformat(meeting)
        )
        people = [p for p in (contact, previous_owner) if p is not None and p.email]
        invite = meeting_invite(
            uid=uid,
            start=start,
            summary=" ".join(subject.split()),
            description=body,
            organizer=next_owner,
            attendees=people,
            now=now,
        )
    return Intro(subject=" ".join(subject.split()), body=body, invite=invite)


def meeting_invite(
    *,
    uid: str,
    start: date | datetime,
    summary: str,
    description: str,
    organizer: PersonView,
    attendees: list[PersonView],
    now: datetime,
) -> str:
    """An iCalendar REQUEST: a timed meeting, or an all-day one for a date-only field."""
    calendar = Calendar()
    calendar.add("prodid", "-//SalesRelay//Handoff intro//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    if isinstance(start, datetime):
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", start.astimezone(UTC) + timedelta(minutes=MEETING_MINUTES))
    else:
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    if organizer.email:
        address = vCalAddress(f"mailto:{organizer.email}")
        address.params["cn"] = vText(organizer.name)
        event["organizer"] = address
    for person in attendees:
        address = vCalAddress(f"mailto:{person.email}")
        address.params["cn"] = vText(person.name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["rsvp"] = vText("TRUE")
        event.add("attendee", address, encode=0)
    calendar.add_component(event)
    return calendar.to_ical().decode()
