"""A four-role team with post-sales, and leads through the real intake flow."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import add_rep, four_role_team, install_template
from salesrelay.db import transaction
from salesrelay.intake import context as intake_context
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.journeys import service as journey_service
from salesrelay.outbox.models import OutboxMessage

FIXED_NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York


def post_sales_team(factory) -> dict[str, int]:
    """four_role_team plus an onboarding specialist and a second account manager."""
    install_template(factory)
    ids = four_role_team(factory)
    ids["pat"] = add_rep(
        factory,
        name="Pat Services",
        email="pat@seller.example",
        roles=["professional_services"],
        manager_email="mia@seller.example",
    )
    ids["cal_manager"] = ids["manager"]
    return ids


def new_lead(
    factory,
    now: datetime,
    *,
    email: str = "jo@acme.example",
    first_name: str = "Jo",
    last_name: str = "Doe",
    company: str = "Acme Inc",
    **fields,
) -> int:
    lead = normalise_lead(
        email=email,
        first_name=first_name,
        last_name=last_name,
        company=company,
        received_at=now,
        **fields,
    )
    with transaction(factory) as session:
        context = intake_context.open_context(session=session, now=now)
        (outcome,) = intake_flows.intake_batch(
            session=session,
            context=context,
            now=now,
            submissions=[intake_flows.Submission(lead=lead)],
        )
        intake_context.close_context(session=session, context=context)
        return outcome.accepted.journey_id


def journey(factory, journey_id: int):
    with transaction(factory) as session:
        return journey_service.require(session=session, journey_id=journey_id)


def messages(factory, topic: str | None = None) -> list[OutboxMessage]:
    from sqlalchemy import select

    with transaction(factory) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic:
            query = query.where(OutboxMessage.topic == topic)
        return list(session.scalars(query))


QUALIFIED = {
    "budget": "$40k a year",
    "authority": "Jo Doe, VP Sales",
    "need": "route inbound leads in minutes",
    "timeline": "2027-01-15",
    "meeting_at": "2026-11-30T15:00:00+00:00",
}
