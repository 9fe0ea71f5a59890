"""`salesrelay demo`: a lived-in team, every stage, handoffs of every fate, SLA breaches."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from salesrelay import demo
from salesrelay.db import make_engine, make_sessionmaker, transaction
from salesrelay.handoffs.models import Handoff
from salesrelay.journeys.models import Journey
from salesrelay.sla.models import SlaClock
from salesrelay.users import service as user_service
from salesrelay.users.models import User


def test_the_demo_lives_through_ninety_days(sqlite_url):
    engine = make_engine(sqlite_url)
    factory = make_sessionmaker(engine)
    result = demo.seed(factory, now=datetime(2026, 11, 25, 15, 0, tzinfo=UTC), leads=400)
    with transaction(factory) as session:
        stages = set(session.scalars(select(Journey.stage).distinct()))
        fates = dict(
            session.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all()
        )
        missed = session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.status == "missed")
        )
        running = session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.status == "running")
        )
        roles = dict(session.execute(select(User.role, func.count()).group_by(User.role)).all())
        first, last = session.execute(
            select(func.min(Journey.created_at), func.max(Journey.created_at))
        ).one()
        signs_in = user_service.authenticate(
            session=session, email="ana@salesrelay.demo", password=result["password"], now=last
        )
    engine.dispose()
    assert result["journeys"] > 300
    assert {
        "new",
        "qualifying",
        "prospecting",
        "engaged",
        "discovery",
        "proposal",
        "lost",
        "disqualified",
        "nurture",
        "onboarding",
        "customer",
    } <= stages
    assert fates.get("accepted", 0) > fates.get("rejected", 0) > 0 and fates.get("expired", 0) > 0
    assert missed > 0 and running > 0
    assert roles == {"admin": 1, "manager": 2, "rep": 10}
    assert (last - first).days >= 80
    assert signs_in is not None
