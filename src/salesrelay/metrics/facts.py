"""The facts every report is computed from, derived per journey from its row, its handoffs,
its SLA clocks and its events.

Five kinds, each a column table (see table.py); times are epoch seconds (UTC), missing
numbers NaN, missing reps -1. Every row carries its journey's id, arrival, source and
employee count, so a report filters any kind by cohort, source or segment without a join.

- journeys: one row per journey — arrival, first touch and its deadline, who touched first,
  who it was routed to, who owns it now, stages, status, outcome, contract value.
- visits: one row per stay in a stage — entered, left (NaN while still there), the next
  stage, whether it was entered through a handoff, and the rep who moved it on.
- handoffs: one row per handoff, from the handoffs table.
- clocks: one row per SLA clock, from the sla_clocks table.
- work: one row per piece of recorded work by a rep — a touch, a stage move, a handoff
  proposed, accepted or rejected — with the stage whose role that work belongs to.

`replay` is pure; extract.py reads the rows it replays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from salesrelay.metrics.table import TEXT, Kind, Table

SCHEMA_VERSION = 1
"""Raise when a kind's columns or their meaning change: stored blocks are then rebuilt.
Ids are int32, like the INTEGER primary keys they come from."""

_JOURNEY = (("journey", "i4"), ("arrived", "f8"), ("source", TEXT), ("employees", "f8"))

JOURNEYS = Kind(
    "journeys",
    (
        *_JOURNEY,
        ("touched", "f8"),
        ("due", "f8"),
        ("touch_rep", "i4"),
        ("routed_rep", "i4"),
        ("owner", "i4"),
        ("entry", TEXT),
        ("stage", TEXT),
        ("open", "i1"),
        ("outcome", TEXT),
        ("journey_kind", TEXT),
        ("value", "f8"),
        ("lead", "i1"),
    ),
)
VISITS = Kind(
    "visits",
    (
        *_JOURNEY,
        ("stage", TEXT),
        ("entered", "f8"),
        ("left", "f8"),
        ("next", TEXT),
        ("via_handoff", "i1"),
        ("rep", "i4"),
    ),
)
HANDOFFS = Kind(
    "handoffs",
    (
        *_JOURNEY,
        ("handoff", "i4"),
        ("protocol", TEXT),
        ("sender", "i4"),
        ("receiver", "i4"),
        ("from_stage", TEXT),
        ("to_stage", TEXT),
        ("status", TEXT),
        ("proposed", "f8"),
        ("decided", "f8"),
        ("accept_by", "f8"),
        ("reason", TEXT),
        ("rating", "i1"),
        ("reoffer", "i1"),
    ),
)
CLOCKS = Kind(
    "clocks",
    (
        *_JOURNEY,
        ("clock", "i4"),
        ("policy", TEXT),
        ("clock_kind", TEXT),
        ("stage", TEXT),
        ("rep", "i4"),
        ("status", TEXT),
        ("started", "f8"),
        ("due", "f8"),
        ("stopped", "f8"),
        ("breached", "f8"),
        ("steps", "i2"),
    ),
)
WORK = Kind("work", (*_JOURNEY, ("at", "f8"), ("rep", "i4"), ("action", TEXT), ("stage", TEXT)))
KINDS = {kind.name: kind for kind in (JOURNEYS, VISITS, HANDOFFS, CLOCKS, WORK)}

EVENT_KINDS = (
    "lead.received",
    "journey.routed",
    "journey.queued",
    "journey.touched",
    "journey.stage_changed",
    "handoff.proposed",
    "handoff.accepted",
    "handoff.rejected",
)
"""The events the facts are replayed from (the rest change nothing a report counts)."""

NAMING_A_HANDOFF = ("journey.stage_changed", "handoff.accepted", "handoff.rejected")

WORK_ACTIONS = ("touch", "transition", "handoff_proposed", "handoff_accepted", "handoff_rejected")


# -- replay (pure) ---------------------------------------------------------------------


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _rep(value: int | None) -> int:
    return -1 if value is None else int(value)


def _time(value: float | None) -> float:
    return math.nan if value is None else float(value)


def replay(
    journeys: Sequence[tuple],
    events: Sequence[tuple],
    handoffs: Sequence[tuple],
    clocks: Sequence[tuple],
) -> dict[str, Table]:
    """Facts of each journey from its rows. Row shapes are those extract.rows selects;
    events in (journey, id) order, handoffs and clocks in any order."""
    out = {kind.name: {name: [] for name in kind.names} for kind in KINDS.values()}
    events_of: dict[int, list[tuple]] = {}
    for row in events:
        events_of.setdefault(row[0], []).append(row)
    handoffs_of: dict[int, list[tuple]] = {}
    for row in handoffs:
        handoffs_of.setdefault(row[1], []).append(row)
    clocks_of: dict[int, list[tuple]] = {}
    for row in clocks:
        clocks_of.setdefault(row[1], []).append(row)

    for (
        journey_id,
        arrived,
        touched,
        due,
        owner,
        source,
        stage,
        status,
        outcome,
        kind,
        value,
    ) in journeys:
        arrived = float(arrived)
        # Replayed in the order things happened: an event stored late (a touch logged today
        # for yesterday) still falls into the stage the journey was in at the time.
        own = sorted(events_of.get(journey_id, ()), key=_at)
        employees = next((_number(e[7]) for e in own if e[1] == "lead.received"), math.nan)
        base = (journey_id, arrived, source, employees)
        to_stage = {row[0]: row[6] for row in handoffs_of.get(journey_id, ())}
        entry = next((e[4] for e in own if e[1] == "journey.stage_changed" and e[4]), stage)

        touch_rep = routed = -1
        routed_seen = touch_seen = lead = False
        current, entered, via = entry, arrived, 0
        visits, work = out["visits"], out["work"]
        for _, kind_of, at, rep_id, frm, to, handoff_id, _ in own:
            if kind_of == "journey.touched":
                if not touch_seen:
                    touch_seen, touch_rep = True, _rep(rep_id)
                if rep_id is not None:
                    _add(work, base, at=at, rep=rep_id, action="touch", stage=current)
            elif kind_of == "journey.stage_changed":
                left_from = frm or current
                _add(
                    visits,
                    base,
                    stage=left_from,
                    entered=entered,
                    left=at,
                    next=to,
                    via_handoff=via,
                    rep=_rep(rep_id),
                )
                if rep_id is not None and handoff_id is None:
                    _add(work, base, at=at, rep=rep_id, action="transition", stage=left_from)
                current, entered, via = to or current, at, int(handoff_id is not None)
            elif kind_of == "handoff.proposed":
                if rep_id is not None:
                    _add(work, base, at=at, rep=rep_id, action="handoff_proposed", stage=current)
            elif kind_of in ("handoff.accepted", "handoff.rejected"):
                if rep_id is not None:
                    target = to_stage.get(int(handoff_id)) if handoff_id is not None else None
                    action = kind_of.replace(".", "_")
                    _add(work, base, at=at, rep=rep_id, action=action, stage=target or current)
            elif kind_of == "lead.received":
                lead = True
            elif not routed_seen and kind_of in ("journey.routed", "journey.queued"):
                routed_seen, routed = True, _rep(rep_id)
        _add(
            visits,
            base,
            stage=current,
            entered=entered,
            left=math.nan,
            next=None,
            via_handoff=via,
            rep=_rep(owner),
        )
        _add(
            out["journeys"],
            base,
            touched=_time(touched),
            due=_time(due),
            touch_rep=touch_rep,
            routed_rep=routed,
            owner=_rep(owner),
            entry=entry,
            stage=stage,
            open=int(status == "open"),
            outcome=outcome,
            journey_kind=kind,
            value=_number(value),
            lead=int(lead),
        )
        for row in handoffs_of.get(journey_id, ()):
            (
                handoff,
                _,
                protocol,
                sender,
                receiver,
                from_stage,
                target,
                status_of,
                proposed,
                decided,
                accept_by,
                reason,
                rating,
                replaces,
            ) = row
            _add(
                out["handoffs"],
                base,
                handoff=handoff,
                protocol=protocol,
                sender=_rep(sender),
                receiver=_rep(receiver),
                from_stage=from_stage,
                to_stage=target,
                status=status_of,
                proposed=_time(proposed),
                decided=_time(decided),
                accept_by=_time(accept_by),
                reason=reason,
                rating=rating or 0,
                reoffer=int(replaces is not None),
            )
        for row in clocks_of.get(journey_id, ()):
            (
                clock,
                _,
                policy,
                clock_kind,
                clock_stage,
                rep_id,
                status_of,
                started,
                due_at,
                stopped,
                breached,
                steps,
            ) = row
            _add(
                out["clocks"],
                base,
                clock=clock,
                policy=policy,
                clock_kind=clock_kind,
                stage=clock_stage,
                rep=_rep(rep_id),
                status=status_of,
                started=_time(started),
                due=_time(due_at),
                stopped=_time(stopped),
                breached=_time(breached),
                steps=steps or 0,
            )
    return {name: Table.from_lists(KINDS[name], lists) for name, lists in out.items()}


def _at(row: tuple) -> float:
    return row[2]


def _add(columns: dict[str, list], base: tuple, **values: Any) -> None:
    columns["journey"].append(base[0])
    columns["arrived"].append(base[1])
    columns["source"].append(base[2])
    columns["employees"].append(base[3])
    for name, value in values.items():
        columns[name].append(value)
