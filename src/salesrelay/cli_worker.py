"""CLI commands for the worker and the outbox."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.table import Table

from salesrelay.cli import CliError, JsonOption, app, emit_json, out, sessions
from salesrelay.config import get_settings
from salesrelay.db import transaction, utcnow
from salesrelay.outbox import service as outbox_service

outbox_app = typer.Typer(no_args_is_help=True, help="Notifications waiting, sent or dead.")
app.add_typer(outbox_app, name="outbox")


@app.command("worker")
def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="One sweep and one delivery round, then exit.")
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Serve this worker's Prometheus metrics on http://HOST:PORT/metrics.",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Interface for --metrics-port (loopback unless you open it).")
    ] = "127.0.0.1",
    as_json: JsonOption = False,
):
    """Run the SLA sweep and deliver the outbox, in a loop (Ctrl-C stops it)."""
    from salesrelay import worker

    settings = get_settings()
    if once and metrics_port is not None:
        raise CliError("--metrics-port serves a running worker; it has no use with --once")
    if not once:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        # httpx logs every webhook it posts at INFO: one line per message drowns the log.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        out.print(f"Worker running every {settings.worker_tick_seconds:g} s; Ctrl-C stops it")
        if metrics_port is not None:
            out.print(f"Metrics on http://{metrics_host}:{metrics_port}/metrics")
    done = worker.run(settings, once=once, metrics_port=metrics_port, metrics_host=metrics_host)
    if done is None:
        return
    if as_json:
        emit_json(done)
    else:
        sweep, sent = done["sweep"], done["outbox"]
        out.print(
            f"Sweep: {sweep['steps']} step(s) on {sweep['clocks']} clock(s), "
            f"{sweep['breaches']} breach(es); outbox: {sent['sent']} sent, "
            f"{sent['retrying']} to retry, {sent['dead']} dead"
        )


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending, sent or dead.")] = None,
    channel: Annotated[str | None, typer.Option(help="email, slack or webhook.")] = None,
    journey: int | None = None,
    limit: int = 50,
    as_json: JsonOption = False,
):
    """The delivery log, newest first."""
    if status and status not in outbox_service.STATUSES:
        raise CliError(f"--status must be one of: {', '.join(outbox_service.STATUSES)}")
    with transaction(sessions()) as session:
        messages, count = outbox_service.listing(
            session=session, status=status, channel=channel, journey_id=journey, limit=limit
        )
        rows = [
            {
                "id": m.id,
                "channel": m.channel,
                "topic": m.topic,
                "recipient": m.recipient,
                "subject": m.subject,
                "status": m.status,
                "attempts": m.attempts,
                "last_error": m.last_error,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in messages
        ]
    if as_json:
        emit_json({"data": rows, "count": count})
        return
    table = Table("id", "channel", "topic", "to", "status", "tries", "last error")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["channel"],
            row["topic"],
            row["recipient"][:40],
            row["status"],
            str(row["attempts"]),
            (row["last_error"] or "")[:50],
        )
    out.print(table)
    out.print(f"{count} message(s)")


@outbox_app.command("retry")
def outbox_retry(message_id: int, as_json: JsonOption = False):
    """Give a dead message fresh attempts (once its receiver is fixed)."""
    with transaction(sessions()) as session:
        message = outbox_service.require(session=session, message_id=message_id)
        outbox_service.retry(session=session, message=message, now=utcnow())
    emit_json({"id": message_id, "status": "pending"}) if as_json else out.print(
        f"Message {message_id} will be sent again"
    )
