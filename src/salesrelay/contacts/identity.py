"""Who a person is, as they appear in stored data, and how to redact them. Pure.

A person shows up in three ways: in their contact row; in the lead events that carried
their submission (`lead.received`, `lead.repeated`); and written into text — intro
e-mails ("Hi Jo,"), handoff fields ("authority": "Jo Doe, VP Sales"), routing reasons,
stored API responses. The first two are cleared field by field; text is redacted by
matching the person's e-mail addresses, phone numbers and names as whole words.
An .ics invite folds long lines, so an address can be split across them: messages to
the person lose their attachments whole rather than being redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from salesrelay.intake.matching import email_key

ERASED = "[erased]"
LEAD_EVENTS = ("lead.received", "lead.repeated")
PERSONAL_LEAD_KEYS = ("email", "phone", "first_name", "last_name", "title", "attributes")
"""What a lead event holds about the person; the rest (company, source, employees,
industry, country, website) describes the company and feeds routing and the metrics."""
CONTACT_FIELDS = (
    "email",
    "email_key",
    "first_name",
    "last_name",
    "phone",
    "phone_key",
    "country",
    "title",
)
KEPT_KEYS = frozenset(
    {"from", "to", "stage", "from_stage", "to_stage", "source", "employees", "handoff_id"}
    | {"kind", "channel", "outcome", "status", "rule", "method", "fallback", "first"}
)
"""Keys whose values are codes the metrics and the playbook read (stage ids, sources…);
never redacted, so a person called 'Won' or 'New' cannot change a funnel."""
MIN_NAME_LENGTH = 2


@dataclass
class Identity:
    email_key: str | None
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    """Each first name ("Hi Jo,") and whole name, as given. A last name alone is not
    redacted: on a shared journey it is as likely to be a rep's ("Lena Novak")."""

    def add(self, *, email=None, phone=None, phone_key=None, first_name=None, last_name=None):
        for value, bucket in ((email, self.emails), (phone, self.phones), (phone_key, self.phones)):
            if isinstance(value, str) and value.strip():
                bucket.add(value.strip())
        first, last = (p.strip() if isinstance(p, str) else "" for p in (first_name, last_name))
        if len(first) >= MIN_NAME_LENGTH:
            self.names.add(first)
        if first and last:
            self.names.add(f"{first} {last}")

    def is_theirs(self, email: Any) -> bool:
        if not isinstance(email, str) or self.email_key is None:
            return False
        return email_key(email) == self.email_key

    def pattern(self) -> re.Pattern[str] | None:
        """One regular expression for every way they are written; longest first, so an
        address is redacted whole before the name inside it is considered."""
        words = [re.escape(name) for name in self.names]
        exact = [re.escape(value) for value in self.emails | self.phones]
        if self.email_key:
            exact.append(re.escape(self.email_key))
        alternatives = sorted(exact, key=len, reverse=True) + [
            rf"\b{word}\b" for word in sorted(words, key=len, reverse=True)
        ]
        if not alternatives:
            return None
        return re.compile("|".join(alternatives), re.IGNORECASE)


def redact(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """`value` with every mention replaced by ERASED, through nested dicts and lists."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [redact(item, pattern) for item in value]
    if isinstance(value, dict):
        return {
            key: item if key in KEPT_KEYS else redact(item, pattern) for key, item in value.items()
        }
    return value


def mentions(value: Any, pattern: re.Pattern[str] | None) -> bool:
    return pattern is not None and redact(value, pattern) != value


def without_person(lead_data: dict[str, Any], pattern: re.Pattern[str] | None) -> dict[str, Any]:
    """A lead event's data with the person's own fields removed and the rest redacted."""
    kept = {key: value for key, value in lead_data.items() if key not in PERSONAL_LEAD_KEYS}
    return {**redact(kept, pattern), "erased": True}


def identity_from(contact: Any | None, email: str, lead_data: Iterable[dict[str, Any]]) -> Identity:
    """The person behind `email`: their contact row (if any) and every lead they sent."""
    person = Identity(email_key(email))
    person.add(email=email)
    if contact is not None:
        person.add(
            email=contact.email,
            phone=contact.phone,
            phone_key=contact.phone_key,
            first_name=contact.first_name,
            last_name=contact.last_name,
        )
    for data in lead_data:
        person.add(
            email=data.get("email"),
            phone=data.get("phone"),
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
        )
    return person
