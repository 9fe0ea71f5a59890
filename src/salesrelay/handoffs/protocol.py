"""A handoff protocol's fields, checked by type: pure, so every problem is found at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from salesrelay.intake.schemas import check_email
from salesrelay.playbook.schema import HandoffField, HandoffProtocol, Playbook, SlaPolicy

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _in_range(day: date) -> date:
    # Far-off years are typing mistakes, and the calendar arithmetic cannot hold them.
    if not 1900 <= day.year <= 2200:
        raise ValueError(f"{day.isoformat()} is not a plausible date")
    return day


def normalise(spec: HandoffField, value: Any, *, timezone: str) -> Any:
    """The value as stored (JSON-friendly), or ValueError saying what is wrong."""
    kind = spec.type
    if kind == "text":
        if isinstance(value, dict | list):
            raise ValueError("expected text")
        return str(value).strip()
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            number = float(str(value).replace(",", "").replace("_", "").strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "date":
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD") from None
        return _in_range(day).isoformat()
    if kind == "datetime":
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a date and time; write e.g. 2026-12-01T15:00:00-05:00"
                ) from None
        _in_range(moment.date())
        if moment.tzinfo is None:  # a local time means the playbook's time zone
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return moment.astimezone(UTC).isoformat()
    if kind == "email":
        return check_email(str(value))
    if kind == "choice":
        text = str(value).strip()
        if text not in (spec.choices or []):
            raise ValueError(f"{text!r} is not one of: {', '.join(spec.choices or [])}")
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{value!r} is not yes or no")
    raise ValueError(f"unknown field type {kind}")


def check_fields(
    protocol: HandoffProtocol,
    given: Mapping[str, Any],
    *,
    known: Mapping[str, Any],
    timezone: str,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The protocol's fields from `given`, else from what the journey already `known`s.

    Returns (values, problems); each problem is {"field", "message"} and every missing or
    invalid field is listed, so the sender fixes them all in one go.
    """
    values: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name in sorted(set(given) - set(protocol.fields)):
        problems.append(
            {
                "field": f"fields.{name}",
                "message": f"'{name}' is not a field of this handoff; its fields are: "
                f"{', '.join(protocol.fields) or 'none'}",
            }
        )
    for name, spec in protocol.fields.items():
        value = given.get(name)
        if _blank(value):
            value = known.get(name)
        label = spec.label or name
        if _blank(value):
            if spec.required:
                problems.append(
                    {"field": f"fields.{name}", "message": f"missing: {label} ({spec.type})"}
                )
            continue
        try:
            values[name] = normalise(spec, value, timezone=timezone)
        except ValueError as error:
            problems.append({"field": f"fields.{name}", "message": f"{label}: {error}"})
    return values, problems


def acceptance_policy(playbook: Playbook, accept_within: str) -> tuple[str, SlaPolicy]:
    """The playbook's handoff-acceptance ladder; without one, the handoff just expires."""
    for policy_id, policy in playbook.sla.items():
        if policy.kind == "handoff_acceptance":
            return policy_id, policy
    return "handoff_acceptance", SlaPolicy(kind="handoff_acceptance", within=accept_within)
