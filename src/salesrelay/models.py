"""Imports every table so the metadata (and Alembic) sees the whole schema."""

from salesrelay.auth.models import ApiKey
from salesrelay.db import Base
from salesrelay.events.models import Event
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account, Contact, IntakeReceipt
from salesrelay.journeys.models import Journey
from salesrelay.metrics.models import MetricBlock, MetricState
from salesrelay.outbox.models import OutboxMessage
from salesrelay.playbook.models import PlaybookVersion
from salesrelay.routing.models import RoutingRecord, RoutingState
from salesrelay.sla.models import SlaClock
from salesrelay.team.models import Absence, Rep
from salesrelay.users.models import SignInThrottle, User

__all__ = [
    "Absence",
    "Account",
    "ApiKey",
    "Base",
    "Contact",
    "Event",
    "Handoff",
    "IntakeReceipt",
    "Journey",
    "MetricBlock",
    "MetricState",
    "OutboxMessage",
    "PlaybookVersion",
    "Rep",
    "RoutingRecord",
    "RoutingState",
    "SignInThrottle",
    "SlaClock",
    "User",
]
