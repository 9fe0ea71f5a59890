"""Ninety days of a team's life, simulated through the real flows in time order.

Every journey follows a script drawn at random — first touch fast, late or never; qualify
or disqualify; hand off to a closer (accepted, rejected with a reason, or left to expire);
discovery, proposal, negotiation, won or lost; onboarding and account management — and
the SLA sweep runs every simulated half hour, so breaches, reminders, reassignments and
expiries happen when they would have.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from salesrelay.db import transaction
from salesrelay.errors import SalesRelayError
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs.models import Handoff
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys.models import Journey
from salesrelay.sla import service as sla_service
from salesrelay.sla import sweep

SWEEP_EVERY = timedelta(minutes=30)
BATCH = timedelta(hours=6)
"""Simulated time handled in one transaction; each action in its own savepoint."""

REJECTIONS = ("not_qualified", "wrong_segment", "missing_information", "duplicate", "bad_timing")


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    action: Callable[[Session, datetime], None] = field(compare=False)


class Life:
    def __init__(self, factory: sessionmaker[Session], now: datetime, seed: int = 11):
        self.factory = factory
        self.now = now
        # Seeded on purpose: the demo's life is repeatable; nothing secret is drawn from it.
        self.rng = random.Random(seed)  # nosec B311
        self.queue: list[_Step] = []
        self.counter = itertools.count()
        self.created = 0

    def at(self, when: datetime, action: Callable[[Session, datetime], None]) -> None:
        if when < self.now:
            heapq.heappush(self.queue, _Step(when, next(self.counter), action))

    def run(self) -> None:
        last_sweep = self.queue[0].at if self.queue else self.now
        while self.queue:
            end = self.queue[0].at + BATCH
            with transaction(self.factory) as session:
                while self.queue and self.queue[0].at < end:
                    step = heapq.heappop(self.queue)
                    while step.at - last_sweep >= SWEEP_EVERY:
                        last_sweep += SWEEP_EVERY
                        self._sweep(session, last_sweep)
                    try:
                        with session.begin_nested():
                            step.action(session, step.at)
                    except SalesRelayError:
                        pass  # the world moved on (reassigned, expired): skip this step
        with transaction(self.factory) as session:
            self._sweep(session, self.now)

    def _sweep(self, session: Session, at: datetime) -> None:
        while sla_service.any_due(session=session, now=at):
            if sweep.sweep_batch(session=session, now=at, limit=500).clocks < 500:
                break

    # -- scripts -----------------------------------------------------------------------

    def arrive(self, lead: dict, at: datetime) -> None:
        def action(session: Session, when: datetime) -> None:
            submission = intake_flows.Submission(lead=normalise_lead(**lead, received_at=when))
            (outcome,) = intake_flows.intake(session=session, submissions=[submission], now=when)
            if outcome.status_code == 201:
                self.created += 1
                self._first_touch(outcome.answer["journey_id"], when)

        self.at(at, action)

    def _later(self, start: datetime, low_minutes: float, high_minutes: float) -> datetime:
        return start + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))

    def _journey(self, session: Session, journey_id: int) -> Journey:
        return session.get(Journey, journey_id)

    def _touch(self, session: Session, journey_id: int, when: datetime, channel=None) -> Journey:
        journey = self._journey(session, journey_id)
        journey_flows.record_touch(
            session=session,
            journey=journey,
            at=when,
            channel=channel or self.rng.choice(("call", "email", "call", "meeting")),
        )
        return journey

    def _move(
        self, session: Session, journey_id: int, to: str, when: datetime, reason: str | None = None
    ) -> None:
        journey = self._journey(session, journey_id)
        journey_flows.transition(
            session=session, journey=journey, to_stage=to, now=when, actor="demo", reason=reason
        )

    def _first_touch(self, journey_id: int, arrived: datetime) -> None:
        roll = self.rng.random()
        if roll < 0.12:
            return  # never touched: the sweep breaches and escalates it
        delay = (1, 5) if roll < 0.6 else (6, 90) if roll < 0.85 else (120, 60 * 30)

        def action(session: Session, when: datetime) -> None:
            journey = self._touch(session, journey_id, when)
            if journey.stage == "new":
                self._qualify(journey_id, when)
            elif journey.stage == "prospecting":
                self._prospect(journey_id, when)

        self.at(self._later(arrived, *delay), action)

    def _qualify(self, journey_id: int, touched: datetime) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            self.at(
                self._later(touched, 5, 120),
                lambda s, w: self._move(s, journey_id, "disqualified", w, "no budget"),
            )
            return
        self.at(
            self._later(touched, 30, 60 * 24),
            lambda s, w: (
                self._move(s, journey_id, "qualifying", w),
                self._after_qualifying(journey_id, w),
            ),
        )

    def _after_qualifying(self, journey_id: int, when: datetime) -> None:
        roll = self.rng.random()
        if roll < 0.12:
            self.at(
                self._later(when, 60, 60 * 72), lambda s, w: self._move(s, journey_id, "nurture", w)
            )
        elif roll < 0.24:
            self.at(
                self._later(when, 60, 60 * 72),
                lambda s, w: self._move(s, journey_id, "disqualified", w, "not a fit"),
            )
        else:
            self.at(
                self._later(when, 60 * 4, 60 * 24 * 6), lambda s, w: self._propose(s, journey_id, w)
            )

    def _prospect(self, journey_id: int, touched: datetime) -> None:
        if self.rng.random() < 0.35:
            self.at(
                self._later(touched, 60, 60 * 24 * 5),
                lambda s, w: self._move(s, journey_id, "disqualified", w, "no reply"),
            )
            return
        self.at(
            self._later(touched, 60 * 24, 60 * 24 * 10),
            lambda s, w: (
                self._move(s, journey_id, "engaged", w),
                self.at(
                    self._later(w, 60 * 24, 60 * 24 * 7),
                    lambda s2, w2: self._propose(s2, journey_id, w2),
                ),
            ),
        )

    def _propose(self, session: Session, journey_id: int, when: datetime) -> None:
        self._touch(session, journey_id, when, "call")
        meeting = when + timedelta(days=self.rng.randint(2, 9))
        fields = {
            "budget": self.rng.choice(("$20k a year", "$45k a year", "$120k a year", "unknown")),
            "authority": self.rng.choice(("VP Sales", "CFO", "Head of Ops", "Founder")),
            "need": self.rng.choice(
                (
                    "faster lead response",
                    "replace spreadsheets",
                    "route by territory",
                    "handoff discipline",
                )
            ),
            "timeline": (when.date() + timedelta(days=self.rng.randint(14, 90))).isoformat(),
            "meeting_at": meeting.replace(hour=15, minute=0, second=0, microsecond=0).isoformat(),
        }
        journey = self._journey(session, journey_id)
        handoff = handoff_flows.propose(
            session=session, journey=journey, now=when, actor="demo", fields=fields
        )
        self._answer(handoff.id, journey_id, when)

    def _answer(self, handoff_id: int, journey_id: int, proposed: datetime) -> None:
        roll = self.rng.random()
        if roll < 0.12:
            return  # nobody answers: it expires and is offered again
        if roll < 0.27:
            reason = self.rng.choice(REJECTIONS)
            self.at(
                self._later(proposed, 20, 200), lambda s, w: self._reject(s, handoff_id, w, reason)
            )
            return
        self.at(
            self._later(proposed, 10, 300), lambda s, w: self._accept(s, handoff_id, journey_id, w)
        )

    def _reject(self, session: Session, handoff_id: int, when: datetime, reason: str) -> None:
        handoff = session.get(Handoff, handoff_id)
        handoff_flows.reject(
            session=session,
            handoff=handoff,
            now=when,
            actor="demo",
            reason=reason,
            note="see notes",
        )
        if self.rng.random() < 0.6:
            handoff_flows.rate(
                session=session,
                handoff=handoff,
                now=when,
                actor="demo",
                rating=self.rng.randint(1, 3),
            )

    def _accept(self, session: Session, handoff_id: int, journey_id: int, when: datetime) -> None:
        handoff = session.get(Handoff, handoff_id)
        handoff_flows.accept(session=session, handoff=handoff, now=when, actor="demo")
        if self.rng.random() < 0.7:
            handoff_flows.rate(
                session=session,
                handoff=handoff,
                now=when,
                actor="demo",
                rating=self.rng.choice((3, 4, 4, 5, 5)),
            )
        if handoff.to_stage == "discovery":
            self._close(journey_id, when)
        elif handoff.to_stage == "customer" and self.rng.random() < 0.15:
            self.at(
                self._later(when, 60 * 24 * 7, 60 * 24 * 40),
                lambda s, w: self._move(s, journey_id, "churned", w, "budget cut"),
            )
        elif handoff.to_stage == "onboarding":
            self.at(
                self._later(when, 60 * 24 * 5, 60 * 24 * 25),
                lambda s, w: self._onboarded(s, journey_id, w),
            )

    def _close(self, journey_id: int, start: datetime) -> None:
        path = [("proposal", 0.7), ("negotiation", 0.65), ("won", 0.55)]

        def step(index: int) -> Callable[[Session, datetime], None]:
            def action(session: Session, when: datetime) -> None:
                self._touch(session, journey_id, when)
                stage, chance = path[index]
                if self.rng.random() > chance:
                    self._move(
                        session,
                        journey_id,
                        "lost",
                        when,
                        self.rng.choice(("price", "timing", "competitor", "no decision")),
                    )
                    return
                self._move(session, journey_id, stage, when)
                if stage == "won":
                    self.at(self._later(when, 60, 60 * 24), self._onboard(journey_id))
                else:
                    self.at(self._later(when, 60 * 24 * 2, 60 * 24 * 12), step(index + 1))

            return action

        self.at(self._later(start, 60 * 24, 60 * 24 * 8), step(0))

    def _onboard(self, journey_id: int) -> Callable[[Session, datetime], None]:
        def action(session: Session, when: datetime) -> None:
            journey = self._journey(session, journey_id)
            fields = {
                "contract_value": self.rng.choice((18000, 42000, 96000, 150000)),
                "kickoff_date": (when.date() + timedelta(days=7)).isoformat(),
                "success_criteria": "every inbound lead answered within 5 minutes",
            }
            handoff = handoff_flows.propose(
                session=session, journey=journey, now=when, actor="demo", fields=fields
            )
            self.at(
                self._later(when, 30, 240), lambda s, w: self._accept(s, handoff.id, journey_id, w)
            )

        return action

    def _onboarded(self, session: Session, journey_id: int, when: datetime) -> None:
        journey = self._journey(session, journey_id)
        renewal = date(when.year + 1, when.month, min(when.day, 28)).isoformat()
        handoff = handoff_flows.propose(
            session=session,
            journey=journey,
            now=when,
            actor="demo",
            fields={
                "health": self.rng.choice(("green", "green", "yellow", "red")),
                "renewal_date": renewal,
            },
        )
        self.at(self._later(when, 30, 600), lambda s, w: self._accept(s, handoff.id, journey_id, w))
