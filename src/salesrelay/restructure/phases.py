"""When each move happens: the plan's weeks.

Every receiver's new work is spread evenly over the weeks, earliest stages first (a deal
about to close moves last, and may well close before its week comes), and each week takes
about the same number of journeys. So each rep's load goes from today's to the planned one
in even steps, instead of carrying old and new work at once; within a week, leads go first
(they must be answered within minutes), then customers, then deals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

from salesrelay.playbook.schema import Playbook
from salesrelay.restructure.schemas import Move, Phase, Progress, Unit

BAND_ORDER = {
    "inbound_qualification": 0,
    "outbound_prospecting": 1,
    "post_sales": 2,
    "closing": 3,
}
"""Within a week, which work moves first: by the core function of the receiving role."""
OTHER_BAND = 2


def _band(playbook: Playbook, role: str) -> int:
    return BAND_ORDER.get(playbook.role_function(role) or "", OTHER_BAND)


def _shares(placed: list[Unit]) -> dict[tuple[int, str], Fraction]:
    """Where each unit sits in its receiver's new work (0 to 1), earliest stages first."""
    lanes: dict[tuple[str, int | None], list[Unit]] = defaultdict(list)
    for unit in placed:
        lanes[unit.role, unit.to_rep_id].append(unit)
    share: dict[tuple[int, str], Fraction] = {}
    for lane in lanes.values():
        lane.sort(key=lambda u: (u.first_stage, u.account_id))
        total, before = sum(len(u.journeys) for u in lane), 0
        for unit in lane:
            share[unit.account_id, unit.role] = Fraction(2 * before + len(unit.journeys), 2 * total)
            before += len(unit.journeys)
    return share


def phases(
    playbook: Playbook,
    placed: list[Unit],
    done: Mapping[int, Progress],
    *,
    start: date,
    weeks: int,
) -> tuple[Phase, ...]:
    """Spread the units over the weeks in the order of their shares, each week taking about
    the same number of journeys. Moves made or proposed by earlier runs (`done`) keep the
    week they were made in; a planned move whose week has passed is due at the next run."""
    total = sum(len(u.journeys) for u in placed)
    quota = [(w + 1) * total // weeks - w * total // weeks for w in range(weeks)]
    share = _shares(placed)
    order = sorted(
        placed,
        key=lambda u: (share[u.account_id, u.role], _band(playbook, u.role), u.first_stage),
    )
    by_week: dict[int, list[Move]] = defaultdict(list)
    week = 0
    for unit in order:
        while week < weeks - 1 and quota[week] <= 0:
            week += 1
        for journey in sorted(unit.journeys, key=lambda j: j.id):
            earlier = done.get(journey.id)
            move = Move(
                journey_id=journey.id,
                account_id=journey.account_id,
                account_name=journey.account_name,
                stage=journey.stage,
                role=unit.role,
                from_rep_id=journey.owner_id,
                to_rep_id=unit.to_rep_id,
                week=week,
                status="planned",
                reasons=unit.reasons,
            )
            if earlier is not None:
                what = "proposed" if earlier.status == "pending" else "accepted"
                move = replace(
                    move,
                    role=earlier.role or unit.role,
                    from_rep_id=earlier.from_rep_id,
                    to_rep_id=earlier.to_rep_id,
                    week=min(max(earlier.week, 0), weeks - 1),
                    status=earlier.status,
                    reasons=(f"handoff {earlier.handoff_id} {what}",),
                    handoff_id=earlier.handoff_id,
                )
            by_week[move.week].append(move)
        quota[week] -= len(unit.journeys)
    return tuple(
        Phase(
            week=w,
            starts_on=start + timedelta(days=7 * w),
            ends_on=start + timedelta(days=7 * w + 6),
            moves=tuple(by_week[w]),
        )
        for w in range(weeks)
    )
