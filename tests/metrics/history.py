"""A hand-built history of nine journeys, written as rows exactly as the flows write them,
so every report's answer can be worked out by hand (the tests say how).

The four-role playbook's calendar: New York, mon-fri 09:00-17:00, US holidays. In November
2026 New York is UTC-5, so business hours are 14:00-22:00 UTC on weekdays.
Monday 2026-11-02 … Friday 2026-11-06; reports run at NOW, Monday 2026-11-09 15:00 UTC.

  J1 web, 50 employees, Mon 14:00 → ana; touched by ana 14:03; qualifying 15:00; handoff
     H1 to cal 16:00, accepted 17:00 (rated 4); proposal Tue 15:00, negotiation Wed 15:00,
     won Thu 15:00 (contract_value 12000); owned by cal since. Touched again by ana Tue
     16:00 (in discovery) and by sam Wed 16:00 and Thu 14:00 (in negotiation).
  J2 web, 500, Mon 21:30 → bo; touched by bo Tue 14:10 (wall 1000 min, business 40 min).
  J3 referral, 5000, Tue 15:00 → ana; never touched.
  J4 outbound, no count, Tue 15:00 → sam (prospecting); touched 16:00; engaged Wed 15:00;
     handoff H2 to cal Wed 16:00, rejected 18:00 (not_qualified); nurture Thu 15:00.
  J5 web, 20, Wed 15:00 → queued (no owner); never touched.
  J6 web, 150, Wed 15:00 → ana; touched by bo 15:20; disqualified by ana 16:00.
  J7 web, 30, Tue 2026-10-20 14:00 → ana; touched 14:02; qualifying Mon 11-02 15:30.
  J8 web, 80, Mon 15:00 → dee (deleted since); touched by dee 15:04.
  J9 web, 1200, Thu 15:00 → ana; touched 15:01; qualifying 15:30; handoff H3 to cal 16:00,
     expired Thu 20:00; H4 re-offered to mia Thu 20:00, still waiting.

Team: mia (closing, capacity 0) manages ana (inbound, 10), bo (inbound, 0) and dee
(inbound, deleted); sam (outbound, 5), cal (closing + account management, 5) and amy
(account management, 5) have no manager. First-touch clocks for every lead, acceptance
clocks for the handoffs, a cancelled follow-up clock on J6 and a recycle clock on J4.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from factories import add_rep, install_template
from salesrelay.db import transaction
from salesrelay.events.models import Event
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys.models import Journey
from salesrelay.sla.models import SlaClock
from salesrelay.team import service as team_service
from salesrelay.team.models import Rep

NOW = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)
PERIOD = ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def team(factory) -> dict[str, int]:
    install_template(factory)
    ids = {
        "mia": add_rep(factory, name="Mia", email="mia@x.example", roles=["closing"], capacity=0)
    }
    for name, roles, capacity, manager in (
        ("ana", ["inbound_qualification"], 10, "mia@x.example"),
        ("bo", ["inbound_qualification"], 0, "mia@x.example"),
        ("sam", ["outbound_prospecting"], 5, None),
        ("cal", ["closing", "account_management"], 5, None),
        ("dee", ["inbound_qualification"], 5, "mia@x.example"),
        ("amy", ["account_management"], 5, None),
    ):
        ids[name] = add_rep(
            factory,
            name=name.title(),
            email=f"{name}@x.example",
            roles=roles,
            capacity=capacity,
            manager_email=manager,
        )
    return ids


def build(factory) -> dict[str, int]:
    """Write the history; returns rep ids by name and journey ids as J1…J9."""
    reps = team(factory)
    r = reps.__getitem__
    ana, bo, sam, cal, dee, mia = (r(n) for n in ("ana", "bo", "sam", "cal", "dee", "mia"))
    # One line per fact, in the order of the docstring above.
    # fmt: off
    with transaction(factory) as session:
        h = _History(session)
        j1 = h.journey("web", 50, "2026-11-02 14:00", ana, stage="won", touched="2026-11-02 14:03",
                       due="2026-11-02 14:05", outcome="won", fields={"contract_value": 12000},
                       now_owner=cal)
        h.touch(j1, "2026-11-02 14:03", ana)
        h.touch(j1, "2026-11-03 16:00", ana)  # in discovery: closing work
        h.touch(j1, "2026-11-04 16:00", sam)  # in negotiation: closing work
        h.touch(j1, "2026-11-05 14:00", sam)
        h.move(j1, "new", "qualifying", "2026-11-02 15:00", ana)
        h1 = h.handoff(j1, "qualifying", "discovery", ana, cal, "accepted", "2026-11-02 16:00",
                       "2026-11-02 17:00", rating=4, accept_by="2026-11-02 20:00")
        h.move(j1, "qualifying", "discovery", "2026-11-02 17:00", cal, handoff=h1)
        h.event(j1, "handoff.accepted", "2026-11-02 17:00", cal, handoff_id=h1)
        h.event(j1, "handoff.rated", "2026-11-02 18:00", cal, handoff_id=h1)
        h.move(j1, "discovery", "proposal", "2026-11-03 15:00", cal)
        h.move(j1, "proposal", "negotiation", "2026-11-04 15:00", cal)
        h.move(j1, "negotiation", "won", "2026-11-05 15:00", cal)

        j2 = h.journey("web", 500, "2026-11-02 21:30", bo, touched="2026-11-03 14:10",
                       due="2026-11-02 21:35")
        h.touch(j2, "2026-11-03 14:10", bo)
        j3 = h.journey("referral", 5000, "2026-11-03 15:00", ana, due="2026-11-03 15:05")
        j4 = h.journey("outbound", None, "2026-11-03 15:00", sam, stage="nurture",
                       touched="2026-11-03 16:00", due="2026-11-05 15:00", status="closed",
                       outcome="nurture")
        h.touch(j4, "2026-11-03 16:00", sam)
        h.move(j4, "prospecting", "engaged", "2026-11-04 15:00", sam)
        h.handoff(j4, "engaged", "discovery", sam, cal, "rejected", "2026-11-04 16:00",
                  "2026-11-04 18:00", reason="not_qualified", accept_by="2026-11-04 20:00")
        h.move(j4, "engaged", "nurture", "2026-11-05 15:00", sam)
        j5 = h.journey("web", 20, "2026-11-04 15:00", None, due="2026-11-04 15:05")
        j6 = h.journey("web", 150, "2026-11-04 15:00", ana, stage="disqualified",
                       touched="2026-11-04 15:20", due="2026-11-04 15:05", status="closed",
                       outcome="disqualified")
        h.touch(j6, "2026-11-04 15:20", bo)
        h.move(j6, "new", "disqualified", "2026-11-04 16:00", ana)
        j7 = h.journey("web", 30, "2026-10-20 14:00", ana, stage="qualifying",
                       touched="2026-10-20 14:02", due="2026-10-20 14:05")
        h.touch(j7, "2026-10-20 14:02", ana)
        h.move(j7, "new", "qualifying", "2026-11-02 15:30", ana)
        j8 = h.journey("web", 80, "2026-11-02 15:00", dee, touched="2026-11-02 15:04",
                       due="2026-11-02 15:05")
        h.touch(j8, "2026-11-02 15:04", dee)
        j9 = h.journey("web", 1200, "2026-11-05 15:00", ana, stage="qualifying",
                       touched="2026-11-05 15:01", due="2026-11-05 15:05")
        h.touch(j9, "2026-11-05 15:01", ana)
        h.move(j9, "new", "qualifying", "2026-11-05 15:30", ana)
        h3 = h.handoff(j9, "qualifying", "discovery", ana, cal, "expired", "2026-11-05 16:00",
                       "2026-11-05 20:00", accept_by="2026-11-05 20:00")
        h.handoff(j9, "qualifying", "discovery", ana, mia, "proposed", "2026-11-05 20:00", None,
                  replaces=h3, accept_by="2026-11-06 16:00")

        for journey, status, steps, stopped in (
            (j1, "met", 0, "2026-11-02 14:03"), (j2, "missed", 4, "2026-11-03 14:10"),
            (j3, "running", 2, None), (j5, "running", 1, None),
            (j6, "missed", 2, "2026-11-04 15:20"), (j7, "met", 0, "2026-10-20 14:02"),
            (j8, "met", 0, "2026-11-02 15:04"), (j9, "met", 0, "2026-11-05 15:01"),
        ):
            h.clock(journey, "first_touch_inbound", "first_touch", "new", h.owner[journey], status,
                    h.arrived[journey], h.due[journey], stopped, steps)
        h.clock(j4, "first_touch_outbound", "first_touch", "prospecting", sam, "met",
                "2026-11-03 15:00", "2026-11-05 15:00", "2026-11-03 16:00", 0)
        h.clock(j6, "qualifying_follow_up", "follow_up", "qualifying", ana, "cancelled",
                "2026-11-04 15:00", "2026-11-05 15:00", "2026-11-04 16:00", 0)
        h.clock(j4, "nurture_recycle", "recycle", "nurture", None, "running", "2026-11-05 15:00",
                "2026-11-20 15:00", None, 0)
        for journey, receiver, status, steps, started, due, stopped in (
            (j1, cal, "met", 0, "2026-11-02 16:00", "2026-11-02 20:00", "2026-11-02 17:00"),
            (j4, cal, "met", 0, "2026-11-04 16:00", "2026-11-04 20:00", "2026-11-04 18:00"),
            (j9, cal, "missed", 2, "2026-11-05 16:00", "2026-11-05 20:00", "2026-11-05 20:00"),
            (j9, mia, "running", 0, "2026-11-05 20:00", "2026-11-06 16:00", None),
        ):
            h.clock(journey, "handoff_acceptance", "handoff_acceptance", "discovery", receiver,
                    status, started, due, stopped, steps)
    # fmt: on
    with transaction(factory) as session:
        team_service.delete(session=session, rep=session.get(Rep, dee))
    journeys = {f"J{n}": j for n, j in enumerate((j1, j2, j3, j4, j5, j6, j7, j8, j9), 1)}
    return {**reps, **journeys}


class _History:
    def __init__(self, session) -> None:
        self.session = session
        self.stage: dict[int, str] = {}
        self.arrived: dict[int, str] = {}
        self.due: dict[int, str] = {}
        self.owner: dict[int, int | None] = {}

    def journey(
        self,
        source,
        employees,
        arrived,
        owner,
        *,
        stage=None,
        touched=None,
        due=None,
        status="open",
        outcome=None,
        fields=None,
        now_owner=0,
    ) -> int:
        entry = "prospecting" if source == "outbound" else "new"
        account = self.session.execute(
            insert(Account)
            .values(name=f"Account {arrived}", name_key=arrived, created_at=t(arrived))
            .returning(Account.id)
        ).scalar_one()
        journey_id = self.session.execute(
            insert(Journey)
            .values(
                account_id=account,
                stage=stage or entry,
                status=status,
                outcome=outcome,
                owner_rep_id=owner if now_owner == 0 else now_owner,
                source=source,
                playbook_version=1,
                fields=fields or {},
                created_at=t(arrived),
                updated_at=t(arrived),
                first_touch_due_at=t(due) if due else None,
                first_touched_at=t(touched) if touched else None,
            )
            .returning(Journey.id)
        ).scalar_one()
        self.arrived[journey_id], self.due[journey_id] = arrived, due
        self.owner[journey_id] = owner
        lead = {"email": f"lead{journey_id}@x.example", "source": source}
        if employees is not None:
            lead["employees"] = employees
        self.event(journey_id, "lead.received", arrived, None, **lead)
        self.event(
            journey_id,
            "journey.routed" if owner else "journey.queued",
            arrived,
            owner,
            rule="r",
            reasons=[],
        )
        return journey_id

    def event(self, journey_id, kind, at, rep_id, **data) -> None:
        self.session.execute(
            insert(Event).values(
                journey_id=journey_id, kind=kind, at=t(at), rep_id=rep_id, actor="test", data=data
            )
        )

    def touch(self, journey_id, at, rep_id) -> None:
        self.event(journey_id, "journey.touched", at, rep_id, channel="call", first=True)

    def move(self, journey_id, frm, to, at, rep_id, handoff=None) -> None:
        data = {"from": frm, "to": to, "reason": None, "note": None}
        if handoff is not None:
            data["handoff_id"] = handoff
        self.event(journey_id, "journey.stage_changed", at, rep_id, **data)

    def handoff(
        self,
        journey_id,
        frm,
        to,
        sender,
        receiver,
        status,
        proposed,
        decided,
        *,
        accept_by,
        rating=None,
        reason=None,
        replaces=None,
    ) -> int:
        handoff_id = self.session.execute(
            insert(Handoff)
            .values(
                journey_id=journey_id,
                protocol="qualified_to_closer",
                from_rep_id=sender,
                to_rep_id=receiver,
                from_stage=frm,
                to_stage=to,
                status=status,
                fields={},
                reasons=[],
                proposed_at=t(proposed),
                accept_by=t(accept_by),
                decided_at=t(decided) if decided else None,
                rejection_reason=reason,
                rating=rating,
                replaces_id=replaces,
            )
            .returning(Handoff.id)
        ).scalar_one()
        self.event(
            journey_id, "handoff.proposed", proposed, sender, handoff_id=handoff_id, to_stage=to
        )
        if status == "rejected":
            self.event(
                journey_id,
                "handoff.rejected",
                decided,
                receiver,
                handoff_id=handoff_id,
                reason=reason,
            )
        if status == "expired":
            self.event(journey_id, "handoff.expired", decided, receiver, handoff_id=handoff_id)
        return handoff_id

    def clock(self, journey_id, policy, kind, stage, rep_id, status, started, due, stopped, steps):
        self.session.execute(
            insert(SlaClock).values(
                journey_id=journey_id,
                policy=policy,
                kind=kind,
                stage=stage,
                rep_id=rep_id,
                status=status,
                started_at=t(started),
                due_at=t(due),
                stopped_at=t(stopped) if stopped else None,
                breached_at=t(due) if status == "missed" or steps > 1 else None,
                steps_done=steps,
            )
        )
