"""CLI commands for moving journeys, handoffs and post-sales requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from salesrelay.cli import CliError, JsonOption, app, emit_json, journeys_app, out, sessions
from salesrelay.config import get_settings
from salesrelay.db import transaction, utcnow
from salesrelay.errors import InvalidInputError, NotFoundError
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs import views as handoff_views
from salesrelay.intake.models import Account
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import post_sales
from salesrelay.journeys import service as journey_service
from salesrelay.outbox.service import Channels
from salesrelay.team import service as team_service

handoffs_app = typer.Typer(
    no_args_is_help=True, help="Handoffs between roles: propose, accept, reject, rate."
)
accounts_app = typer.Typer(no_args_is_help=True, help="Customers: requests, renewals, expansions.")
app.add_typer(handoffs_app, name="handoffs")
app.add_typer(accounts_app, name="accounts")

FieldOption = Annotated[
    list[str] | None, typer.Option("--field", "-f", help="NAME=VALUE; repeatable.")
]
AsOption = Annotated[str | None, typer.Option("--as", help="Act as this rep (e-mail); checked.")]


def _channels() -> Channels:
    return Channels.from_settings(get_settings())


def _fields(items: list[str] | None) -> dict[str, str]:
    fields = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--field {item}: write it as NAME=VALUE, e.g. --field budget=40000")
        fields[name.strip()] = value.strip()
    return fields


def _aware(moment: datetime | None) -> datetime | None:
    """Times typed without a zone are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _rep_id(session, email: str | None) -> int | None:
    if not email:
        return None
    rep = team_service.get_by_email(session=session, email=email)
    if rep is None:
        raise InvalidInputError(f"no rep with e-mail {email}")
    return rep.id


def _handoff_json(session, handoff) -> dict:
    return handoff_views.public(session=session, handoff=handoff).model_dump(mode="json")


# -- journeys --------------------------------------------------------------------------


@journeys_app.command("move")
def journeys_move(
    journey_id: int,
    stage: str,
    reason: Annotated[str | None, typer.Option(help="Required for lost and disqualified.")] = None,
    note: str | None = None,
    rep_email: Annotated[str | None, typer.Option(help="Who made the move.")] = None,
    field: FieldOption = None,
    recycle_at: Annotated[
        datetime | None,
        typer.Option(help="For nurture: when the lead comes back to routing (UTC)."),
    ] = None,
    as_json: JsonOption = False,
):
    """Move a journey to another stage of its role, or end it (won, lost, disqualified,
    nurture). A move to another role is a handoff: `salesrelay handoffs propose`."""
    with transaction(sessions()) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        moved = journey_flows.transition(
            session=session,
            journey=journey,
            to_stage=stage,
            now=utcnow(),
            actor="cli",
            reason=reason,
            note=note,
            rep_id=_rep_id(session, rep_email),
            fields=_fields(field),
            recycle_at=_aware(recycle_at)
            or utcnow() + timedelta(days=get_settings().nurture_recycle_days),
            channels=_channels(),
        )
    if as_json:
        emit_json(moved.__dict__)
        return
    out.print(
        f"Journey {journey_id}: {moved.from_stage} → {moved.to_stage} ({moved.status}"
        + (f", {moved.outcome}" if moved.outcome else "")
        + ")"
    )
    if moved.clocks_started:
        out.print(f"  clocks started: {', '.join(moved.clocks_started)}")


@journeys_app.command("fields")
def journeys_fields(journey_id: int, field: FieldOption = None, as_json: JsonOption = False):
    """Record facts on a journey: contract_value, renewal_date, health (green/yellow/red)…"""
    with transaction(sessions()) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        fields = journey_flows.update_fields(
            session=session,
            journey=journey,
            fields=_fields(field),
            now=utcnow(),
            actor="cli",
            channels=_channels(),
        )
    emit_json(fields) if as_json else out.print(", ".join(f"{k}={v}" for k, v in fields.items()))


@journeys_app.command("resolve")
def journeys_resolve(journey_id: int, note: str | None = None, as_json: JsonOption = False):
    """Close a customer request that has been dealt with."""
    with transaction(sessions()) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        post_sales.resolve_request(
            session=session,
            journey=journey,
            now=utcnow(),
            actor="cli",
            note=note,
            channels=_channels(),
        )
    emit_json(
        {"journey_id": journey_id, "status": "closed", "outcome": "resolved"}
    ) if as_json else out.print(f"Request {journey_id} resolved")


# -- accounts --------------------------------------------------------------------------


def _account(session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"no account with id {account_id}")
    return account


def _opened(opened: post_sales.Opened, as_json: bool) -> None:
    journey = opened.journey
    data = {
        "journey_id": journey.id,
        "account_id": journey.account_id,
        "kind": journey.kind,
        "stage": journey.stage,
        "owner_rep_id": journey.owner_rep_id,
        "reasons": opened.reasons,
        "clocks_started": opened.clocks_started,
    }
    if as_json:
        emit_json(data)
        return
    out.print(f"Opened {journey.kind} journey {journey.id} in '{journey.stage}'")
    for reason in opened.reasons:
        out.print(f"  • {reason}")


@accounts_app.command("request")
def accounts_request(
    account_id: int,
    subject: Annotated[str, typer.Option(help="What the customer needs.")],
    message: str | None = None,
    as_json: JsonOption = False,
):
    """A current customer's request, routed to its post-sales owner with a response clock."""
    with transaction(sessions()) as session:
        opened = post_sales.open_for_account(
            session=session,
            account=_account(session, account_id),
            kind="request",
            now=utcnow(),
            actor="cli",
            subject=subject,
            message=message,
            channels=_channels(),
        )
        _opened(opened, as_json)


@accounts_app.command("open")
def accounts_open(
    account_id: int,
    kind: Annotated[str, typer.Option(help="renewal or expansion.")],
    field: FieldOption = None,
    as_json: JsonOption = False,
):
    """Open a renewal or expansion journey, routed to the account manager."""
    if kind not in ("renewal", "expansion"):
        raise CliError("--kind must be renewal or expansion")
    with transaction(sessions()) as session:
        opened = post_sales.open_for_account(
            session=session,
            account=_account(session, account_id),
            kind=kind,
            now=utcnow(),
            actor="cli",
            fields=_fields(field),
            channels=_channels(),
        )
        _opened(opened, as_json)


# -- handoffs --------------------------------------------------------------------------


@handoffs_app.command("propose")
def handoffs_propose(
    journey_id: int,
    field: FieldOption = None,
    to_stage: Annotated[
        str | None, typer.Option(help="Needed when several handoffs leave the stage.")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Name the receiver (e-mail); else routing picks.")
    ] = None,
    note: str | None = None,
    as_json: JsonOption = False,
):
    """Offer a journey to the next role with the protocol's fields."""
    with transaction(sessions()) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        handoff = handoff_flows.propose(
            session=session,
            journey=journey,
            now=utcnow(),
            actor="cli",
            fields=_fields(field),
            to_stage=to_stage,
            to_rep_id=_rep_id(session, to),
            note=note,
            channels=_channels(),
        )
        data = _handoff_json(session, handoff)
    if as_json:
        emit_json(data)
        return
    out.print(
        f"Handoff {data['id']} proposed to {data['to_rep']['name']} <{data['to_rep']['email']}>; "
        f"accept by {data['accept_by']}"
    )


def _decide(handoff_id: int, verb: str, as_json: bool, **kwargs) -> None:
    with transaction(sessions()) as session:
        handoff = handoff_service.require(session=session, handoff_id=handoff_id)
        email = kwargs.pop("as_email", None)
        action = {
            "accept": handoff_flows.accept,
            "reject": handoff_flows.reject,
            "rate": handoff_flows.rate,
        }[verb]
        action(
            session=session,
            handoff=handoff,
            now=utcnow(),
            actor="cli",
            rep_id=_rep_id(session, email),
            channels=_channels(),
            **kwargs,
        )
        data = _handoff_json(session, handoff)
    if as_json:
        emit_json(data)
    elif verb == "rate":
        out.print(f"Handoff {handoff_id} rated {data['rating']}/5")
    else:
        out.print(f"Handoff {handoff_id} {data['status']}")


@handoffs_app.command("accept")
def handoffs_accept(
    handoff_id: int, as_: AsOption = None, note: str | None = None, as_json: JsonOption = False
):
    """Take the journey: it moves to you and the customer gets the intro."""
    _decide(handoff_id, "accept", as_json, as_email=as_, note=note)


@handoffs_app.command("reject")
def handoffs_reject(
    handoff_id: int,
    reason: Annotated[str, typer.Option(help="One of the protocol's rejection reasons.")],
    note: str | None = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
):
    """Refuse it with a reason; the journey stays with the sender."""
    _decide(handoff_id, "reject", as_json, as_email=as_, reason=reason, note=note)


@handoffs_app.command("rate")
def handoffs_rate(
    handoff_id: int,
    rating: Annotated[int, typer.Argument(min=1, max=5)],
    comment: str | None = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
):
    """Rate a handoff you received, 1-5."""
    _decide(handoff_id, "rate", as_json, as_email=as_, rating=rating, comment=comment)


@handoffs_app.command("list")
def handoffs_list(
    to: Annotated[str | None, typer.Option(help="Receiver's e-mail.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Sender's e-mail.")] = None,
    status: Annotated[
        str | None, typer.Option(help="proposed, accepted, rejected or expired.")
    ] = None,
    journey: int | None = None,
    limit: int = 50,
    as_json: JsonOption = False,
):
    """Handoffs, newest first (`--to you@… --status proposed` is your inbox)."""
    if status and status not in handoff_service.STATUSES:
        raise CliError(f"--status must be one of: {', '.join(handoff_service.STATUSES)}")
    with transaction(sessions()) as session:
        listing = handoff_views.listing(
            session=session,
            to_rep_id=_rep_id(session, to),
            from_rep_id=_rep_id(session, from_),
            status=status,
            journey_id=journey,
            limit=limit,
        )
    if as_json:
        emit_json(listing.model_dump(mode="json"))
        return
    table = Table("id", "journey", "protocol", "from", "to", "status", "accept by", "rating")
    for h in listing.data:
        table.add_row(
            str(h.id),
            str(h.journey_id),
            h.protocol,
            h.from_rep.email if h.from_rep else "",
            h.to_rep.email if h.to_rep else "",
            h.status,
            h.accept_by.isoformat(timespec="minutes"),
            str(h.rating or ""),
        )
    out.print(table)


# The worker, the outbox and `serve` on SQLite register themselves on import.
from salesrelay import cli_worker  # noqa: E402, F401
