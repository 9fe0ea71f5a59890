"""Which moves a journey may make: checked against the playbook, pure.

Every refusal names what is allowed instead, so a user (or an integration) can correct
the call without reading the playbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from salesrelay.errors import ConflictError, InvalidInputError
from salesrelay.handoffs.protocol import normalise
from salesrelay.playbook.schema import HandoffField, Playbook, Stage, Transition

ENDINGS_NEEDING_A_REASON = ("lost", "disqualified")
CLOSING_OUTCOMES = ("lost", "disqualified", "nurture")
"""Terminal outcomes that close the journey; `won` closes it only where post-sales does not
follow (no transition out of the won stage)."""

POST_SALE_FIELDS = {
    "contract_value": HandoffField(type="number", label="Contract value", required=False),
    "renewal_date": HandoffField(type="date", label="Renewal date", required=False),
    "health": HandoffField(
        type="choice", label="Account health", required=False, choices=["green", "yellow", "red"]
    ),
}
"""Fields with a meaning after the sale, checked whenever they are set on a journey."""


def stage_of(playbook: Playbook, stage_id: str, *, journey_id: int) -> Stage:
    try:
        return playbook.stage(stage_id)
    except KeyError:
        raise ConflictError(
            f"journey {journey_id} is in stage '{stage_id}', which the active playbook no "
            "longer has; restore the stage or move the journey with a playbook that has it"
        ) from None


def check_move(
    playbook: Playbook,
    *,
    journey_id: int,
    from_stage: str,
    to_stage: str,
    status: str,
    outcome: str | None,
    via_handoff: str | None,
    reason: str | None,
) -> Transition:
    """The playbook transition this move follows, or a ConflictError saying what may move."""
    source = stage_of(playbook, from_stage, journey_id=journey_id)
    moves = playbook.transitions_from(from_stage)
    if status != "open" and source.terminal != "nurture":
        raise ConflictError(f"journey {journey_id} is closed ({outcome or status}); it cannot move")
    within = [t for t in moves if not t.handoff]
    handoffs = [t for t in moves if t.handoff]
    allowed = [t.to for t in moves]
    move = next((t for t in moves if t.to == to_stage), None)
    if move is None:
        known = any(stage.id == to_stage for stage in playbook.stages)
        why = (
            "it is already there"
            if to_stage == from_stage
            else (
                "the playbook has no such stage" if not known else "the playbook has no such move"
            )
        )
        message = (
            f"journey {journey_id} cannot move from '{from_stage}' to '{to_stage}': {why}; "
            f"allowed moves from '{from_stage}': {', '.join(allowed) or 'none'}"
        )
        raise ConflictError(
            message,
            details=[
                {
                    "field": "to",
                    "message": message,
                    "allowed": allowed,
                    "handoffs": {t.to: t.handoff for t in handoffs},
                },
            ],
        )
    if move.handoff and via_handoff != move.handoff:
        target = playbook.stage(to_stage)
        message = (
            f"moving journey {journey_id} from '{from_stage}' ({source.role}) to '{to_stage}' "
            f"({target.role}) hands it to another role: propose a handoff with protocol "
            f"'{move.handoff}' instead"
            + (f"; moves within the role: {', '.join(t.to for t in within)}" if within else "")
        )
        raise ConflictError(
            message,
            details=[
                {
                    "field": "to",
                    "message": message,
                    "handoff": move.handoff,
                    "allowed": [t.to for t in within],
                },
            ],
        )
    if via_handoff and move.handoff != via_handoff:
        raise ConflictError(f"'{from_stage}' → '{to_stage}' is not run by handoff '{via_handoff}'")
    ending = playbook.stage(to_stage).terminal
    if ending in ENDINGS_NEEDING_A_REASON and not (reason or "").strip():
        raise InvalidInputError(
            f"moving to '{to_stage}' ends the journey as {ending}: give a reason", field="reason"
        )
    return move


def closes(playbook: Playbook, stage: Stage) -> bool:
    if stage.terminal in CLOSING_OUTCOMES:
        return True
    return stage.terminal == "won" and not playbook.transitions_from(stage.id)


def check_fields(fields: Mapping[str, Any], *, timezone: str) -> dict[str, Any]:
    """Journey fields to store: post-sale ones checked by type, the rest kept as given."""
    values: dict[str, Any] = {}
    problems = []
    for name, value in fields.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            problems.append(
                {"field": f"fields.{name}", "message": "field names are 1-64 characters"}
            )
            continue
        spec = POST_SALE_FIELDS.get(name)
        if spec is None or value is None:
            values[name] = value
            continue
        try:
            values[name] = normalise(spec, value, timezone=timezone)
        except ValueError as error:
            problems.append({"field": f"fields.{name}", "message": f"{spec.label}: {error}"})
    if problems:
        raise InvalidInputError(
            "invalid fields: " + "; ".join(p["message"] for p in problems), details=problems
        )
    return values


def post_sale_entry(playbook: Playbook, kind: str) -> Stage:
    """Where a renewal, expansion or customer request starts: a working stage named after
    the kind if the playbook has one, else the last working post-sale stage (the customer)."""
    working = [stage for stage in playbook.stages if stage.terminal is None]
    named = next((stage for stage in working if stage.id == kind), None)
    if named is not None:
        return named
    post_sale = [stage for stage in working if stage.post_sale]
    if not post_sale:
        raise ConflictError(
            f"the playbook has no post-sale stage to open a {kind} in; add one with post_sale: true"
        )
    return post_sale[-1]


def handoff_move(
    playbook: Playbook,
    *,
    journey_id: int,
    from_stage: str,
    to_stage: str | None,
    status: str,
    outcome: str | None,
) -> Transition:
    """The handoff transition out of `from_stage` to `to_stage` (which may be left out when
    only one handoff leaves the stage), or an error naming what is possible instead."""
    moves = [t for t in playbook.transitions_from(from_stage) if t.handoff]
    if to_stage is None:
        if len(moves) != 1:
            raise InvalidInputError(
                f"say which stage to hand journey {journey_id} to: "
                + (", ".join(t.to for t in moves) or f"none leave '{from_stage}' by handoff"),
                field="to_stage",
            )
        to_stage = moves[0].to
    move = next((t for t in moves if t.to == to_stage), None)
    if move is not None:
        return move
    if any(t.to == to_stage for t in playbook.transitions_from(from_stage)):
        raise ConflictError(
            f"'{from_stage}' → '{to_stage}' stays within one role: move the journey with a "
            "transition instead of a handoff",
            details=[
                {
                    "field": "to_stage",
                    "message": "no handoff needed",
                    "handoffs": [t.to for t in moves],
                }
            ],
        )
    check_move(
        playbook,
        journey_id=journey_id,
        from_stage=from_stage,
        to_stage=to_stage,
        status=status,
        outcome=outcome,
        via_handoff=None,
        reason="-",
    )
    raise AssertionError("check_move refuses every move that is not a transition")
