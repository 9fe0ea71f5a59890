"""Carrying out a restructure: plan it from the database, then propose this week's moves as
restructure handoffs, in one transaction.

The new playbook must be the active one when moves are proposed, and the reps must hold its
roles: acceptance checks the receiver against the stage's role in the active playbook, and
the journey's next moves follow it. Nothing is installed or imported unless asked: with
`install=True` the playbook is installed first and with `team_rows` a team file is imported,
in the same transaction as the week's handoffs — so the change happens all at once or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError, InvalidInputError
from salesrelay.journeys import service as journey_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook.schema import Playbook
from salesrelay.playbook.service import NoPlaybookError
from salesrelay.restructure import moves
from salesrelay.restructure import service as restructure_service
from salesrelay.restructure.schemas import Move, RestructurePlan
from salesrelay.team import service as team_service
from salesrelay.team.schemas import RepCreate

DEFAULT_WEEKS = 12
"""The book's Clio case went from generalists to specialists in about three months."""
MAX_WEEKS = 104
TeamRows = list[tuple[int, RepCreate]]
"""A team file's rows with their line numbers, as `team.service.parse_team_csv` reads them."""


@dataclass
class Applied:
    plan: RestructurePlan
    today: date
    week: int | None
    """The phase carried out (0-based), None before the restructure starts."""
    proposed: list[tuple[Move, int]] = field(default_factory=list)
    """Each move proposed by this run, with its handoff id."""
    skipped: list[tuple[Move, str]] = field(default_factory=list)
    installed_version: int | None = None


def today_in(playbook: Playbook, now: datetime) -> date:
    """The team's date: weeks start and end at midnight where the team works."""
    return now.astimezone(ZoneInfo(playbook.calendar.timezone)).date()


def schedule(
    *,
    session: Session,
    playbook: Playbook,
    start: date | None,
    weeks: int | None,
    today: date,
) -> tuple[date, int]:
    """Start and length of the restructure: as given, else those of the restructure to this
    playbook that earlier runs began, else from today over DEFAULT_WEEKS."""
    if weeks is not None and not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInputError(f"weeks must be 1 to {MAX_WEEKS}", field="weeks")
    begun = restructure_service.started(session=session, playbook=playbook.name)
    start = start or (begun.start if begun else today)
    if begun is not None and begun.start == start:
        if weeks is not None and weeks != begun.weeks:
            raise InvalidInputError(
                f"the restructure to {playbook.name} that started on {start.isoformat()} runs "
                f"over {begun.weeks} weeks; keep --weeks {begun.weeks}, or give a new --start "
                "to plan a new one",
                field="weeks",
            )
        return start, begun.weeks
    return start, weeks or DEFAULT_WEEKS


def check_team(playbook: Playbook, rows: TeamRows) -> None:
    """Every role a team file gives must be one of the new playbook's."""
    problems = [
        f"line {line}: unknown role {role!r}"
        for line, data in rows
        for role in data.roles
        if role not in playbook.roles
    ]
    if problems:
        raise InvalidInputError(
            "; ".join(problems) + f"; {playbook.name} defines: {', '.join(playbook.roles)}",
            field="team",
        )


def plan(
    *,
    session: Session,
    playbook: Playbook,
    now: datetime,
    start: date | None = None,
    weeks: int | None = None,
    team_rows: TeamRows | None = None,
) -> RestructurePlan:
    """The dry run: the whole plan with the progress of earlier runs, and the roles of
    `team_rows` (a team file) in place of today's when given. Writes nothing."""
    if team_rows:
        check_team(playbook, team_rows)
    today = today_in(playbook, now)
    start, weeks = schedule(
        session=session, playbook=playbook, start=start, weeks=weeks, today=today
    )
    return restructure_service.build(
        session=session, playbook=playbook, start=start, weeks=weeks, team_rows=team_rows
    )


def apply_phase(
    *,
    session: Session,
    playbook: Playbook,
    text: str,
    now: datetime,
    actor: str | None,
    start: date | None = None,
    weeks: int | None = None,
    install: bool = False,
    team_rows: TeamRows | None = None,
    channels: Channels = EMAIL_ONLY,
    progress: Callable[[int, int], None] | None = None,
) -> Applied:
    """Propose every move due by today (this week's, and any earlier one still to do) as a
    restructure handoff. `install` installs the playbook first and `team_rows` imports a
    team file, both in this transaction. Moves that no longer fit are skipped with the
    reason; re-running proposes nothing twice, since a journey with a pending or accepted
    restructure handoff is not planned again."""
    installed = _make_active(session, playbook, text, install=install, actor=actor)
    if team_rows:
        check_team(playbook, team_rows)
        team_service.import_reps(session=session, rows=team_rows, known_roles=playbook.roles)
    today = today_in(playbook, now)
    start, weeks = schedule(
        session=session, playbook=playbook, start=start, weeks=weeks, today=today
    )
    plan = restructure_service.build(session=session, playbook=playbook, start=start, weeks=weeks)
    applied = Applied(plan, today, plan.week_on(today), installed_version=installed)
    due = plan.due(today)
    for done, move in enumerate(due, start=1):
        fields = restructure_service.handoff_fields(
            playbook=playbook.name, start=start, weeks=weeks, week=move.week, role=move.role
        )
        journey = journey_service.require(session=session, journey_id=move.journey_id)
        try:
            with session.begin_nested():
                handoff = moves.propose(
                    session=session,
                    journey=journey,
                    from_rep_id=move.from_rep_id,
                    to_rep_id=move.to_rep_id,
                    role=move.role,
                    fields=fields,
                    reasons=move.reasons,
                    now=now,
                    actor=actor,
                    channels=channels,
                )
        except (ConflictError, InvalidInputError) as error:
            applied.skipped.append((move, error.message))
        else:
            applied.proposed.append((move, handoff.id))
        if progress is not None:
            progress(done, len(due))
    return applied


def _make_active(
    session: Session, playbook: Playbook, text: str, *, install: bool, actor: str | None
) -> int | None:
    try:
        active = playbook_service.active(session=session)
    except NoPlaybookError:
        active = None
    if active is not None and active.playbook == playbook:
        return None
    if not install:
        now_active = (
            f"the active one is {active.playbook.name} (version {active.version})"
            if active
            else "no playbook is installed"
        )
        raise ConflictError(
            f"{playbook.name} is not the active playbook ({now_active}): install it with "
            "`salesrelay playbook install FILE` when the team is ready, or add --install"
        )
    return playbook_service.install(session=session, text=text, created_by=actor).version
