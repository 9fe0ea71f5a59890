"""The browser tests' world: the demo team after a few weeks, plus a closer (Cal) whose
queue and inbox the tests drive — journeys he accepted at different times, so their
follow-up deadlines differ (one already overdue), and a handoff waiting for him."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from salesrelay import demo
from salesrelay.db import transaction
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs.models import Handoff
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text
from salesrelay.team import service as team_service

DISCOVERY_FOLLOW_UP = """\
  discovery_follow_up:
    label: Call back in discovery
    kind: follow_up
    stages: [discovery]
    within: 2h
    business_hours: false
"""


@dataclass
class BrowserWorld:
    password: str
    waiting_handoff: int
    waiting_journey: int
    other_reps_journey: int
    """Owned by Sam (outbound): Ana must not see it."""
    qualifying_journey: int
    """Ana's, in qualifying with nothing known yet: ready to be handed off."""


def _playbook() -> str:
    text = template_text("four-role")
    return text.replace("\nsla:\n", "\nsla:\n" + DISCOVERY_FOLLOW_UP, 1)


def _lead(session, number: int, at: datetime, source: str = "web") -> int:
    lead = normalise_lead(
        email=f"buyer{number}@prospect{number}.example",
        first_name="Robin",
        last_name=f"Buyer{number}",
        company=f"Prospect {number} GmbH",
        source=source,
        received_at=at,
    )
    (outcome,) = intake_flows.intake(
        session=session, submissions=[intake_flows.Submission(lead=lead)], now=at
    )
    return outcome.answer["journey_id"]


def _offer(session, journey_id: int, at: datetime, to_rep: int) -> Handoff:
    journey = journey_service.require(session=session, journey_id=journey_id)
    journey_flows.record_touch(session=session, journey=journey, at=at, channel="call")
    journey_flows.transition(
        session=session, journey=journey, to_stage="qualifying", now=at, actor="test"
    )
    fields = {
        "budget": "$60k a year",
        "authority": "Robin, COO",
        "need": "faster routing",
        "timeline": (at + timedelta(days=30)).date().isoformat(),
        "meeting_at": (at + timedelta(days=3)).replace(microsecond=0).isoformat(),
    }
    return handoff_flows.propose(
        session=session, journey=journey, now=at, actor="test", fields=fields, to_rep_id=to_rep
    )


def build(factory, now: datetime) -> BrowserWorld:
    seeded = demo.seed(factory, now=now - timedelta(hours=3), leads=240, days=30)
    with transaction(factory) as session:
        playbook_service.install(session=session, text=_playbook(), created_by="test")
        cal = team_service.get_by_email(session=session, email="cal@salesrelay.demo").id
        # Accepted 150, 90, 40 and 10 minutes ago: due 30 minutes ago, then in 30, 80, 110.
        for number, minutes in enumerate((150, 90, 40, 10), start=1):
            at = now - timedelta(minutes=minutes + 5)
            handoff = _offer(session, _lead(session, number, at), at, cal)
            handoff_flows.accept(
                session=session, handoff=handoff, now=now - timedelta(minutes=minutes), actor="test"
            )
        waiting_journey = _lead(session, 9, now - timedelta(minutes=20))
        waiting = _offer(session, waiting_journey, now - timedelta(minutes=15), cal)
        outbound = _lead(session, 10, now - timedelta(minutes=30), source="outbound")
        qualifying = _qualifying_for(session, "ana@salesrelay.demo", now)
    return BrowserWorld(seeded["password"], waiting.id, waiting_journey, outbound, qualifying)


def _qualifying_for(session, email: str, now: datetime) -> int:
    rep = team_service.get_by_email(session=session, email=email)
    journey_id = _lead(session, 11, now - timedelta(minutes=50))
    journey = journey_service.require(session=session, journey_id=journey_id)
    journey.owner_rep_id = rep.id
    at = now - timedelta(minutes=45)
    journey_flows.record_touch(session=session, journey=journey, at=at, channel="call")
    journey_flows.transition(
        session=session, journey=journey, to_stage="qualifying", now=at, actor="test"
    )
    return journey_id
