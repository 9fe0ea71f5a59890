"""Delivery through real servers: SMTP (aiosmtpd) and an HTTP receiver in a thread."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from handoffs.support import FIXED_NOW, QUALIFIED, messages, new_lead
from salesrelay import worker
from salesrelay.config import Settings
from salesrelay.db import transaction, utcnow
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.notify.webhook import verify
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.delivery import DeliveryPolicy, deliver_due
from salesrelay.outbox.models import OutboxMessage
from salesrelay.outbox.service import Channels

SECRET = "a-webhook-secret"


def settings(database_url, **overrides) -> Settings:
    values = {
        "database_url": database_url,
        "environment": "test",
        "smtp_port": 9,
        "webhook_secret": SECRET,
        "outbox_backoff_seconds": 0.05,
        "outbox_backoff_max_seconds": 0.2,
    } | overrides
    return Settings(**values)


def hand_to_closer(factory, channels=outbox_service.EMAIL_ONLY) -> int:
    journey_id = new_lead(factory, FIXED_NOW)
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.transition(
            session=session,
            journey=journey,
            to_stage="qualifying",
            now=FIXED_NOW,
            actor="test",
            channels=channels,
        )
        handoff = handoff_flows.propose(
            session=session,
            journey=journey,
            now=FIXED_NOW,
            actor="test",
            fields=QUALIFIED,
            channels=channels,
        )
        handoff_flows.accept(
            session=session,
            handoff=handoff,
            now=FIXED_NOW + timedelta(minutes=20),
            actor="test",
            channels=channels,
        )
    return journey_id


def test_the_customer_intro_arrives_with_names_deadline_and_invite(
    database_url, factory, team, smtp
):
    hand_to_closer(factory)
    done = worker.run(settings(database_url, smtp_port=smtp.port), once=True)
    assert done["outbox"]["dead"] == 0 and done["outbox"]["sent"] >= 3
    intros = [
        (to, m) for to, m in smtp.messages if m["X-SalesRelay-Idempotency-Key"].endswith(":intro")
    ]
    ((envelope, intro),) = intros
    assert intro["To"] == "jo@acme.example"
    qualifier = intro["Cc"].replace("cal@seller.example", "").strip(", ")
    assert set(envelope) == {"jo@acme.example", "cal@seller.example", qualifier}
    assert intro["Subject"] == "Cal Closer will take it from here, Jo"
    assert intro["Reply-To"] == "cal@seller.example"
    body = intro.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Hi Jo," in body and "From here on\nCal Closer" in body
    assert "a discovery call on Mon 30 Nov 2026, 10:00 EST" in body
    assert "will confirm it by Wed 25 Nov 2026, 14:00 EST" in body  # accept_by, 4 business hours
    (invite,) = [part for part in intro.iter_attachments() if part.get_filename() == "invite.ics"]
    assert invite.get_content_type() == "text/calendar"
    event = next(iter(Calendar.from_ical(invite.get_content()).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=30)
    assert str(event["organizer"]) == "mailto:cal@seller.example"
    attendees = {str(a) for a in event["attendee"]}
    assert "mailto:jo@acme.example" in attendees
    with transaction(factory) as session:
        assert all(m.status == "sent" for m in session.scalars(select(OutboxMessage)))


def test_webhooks_are_signed_and_verify(database_url, factory, team, receiver):
    receiver.start()
    channels = Channels(webhook_url=receiver.url)
    hand_to_closer(factory, channels)
    worker.run(
        settings(database_url, webhook_url=receiver.url),
        once=True,
        notifiers=worker.build_notifiers(settings(database_url)) | {"email": _Drop()},
    )
    received = receiver.bodies()
    topics = [r.json["topic"] for r in received]
    assert {"journey.stage_changed", "handoff.proposed", "handoff.accepted"} <= set(topics)
    for request in received:
        assert verify(
            SECRET,
            timestamp=request.headers["X-SalesRelay-Timestamp"],
            body=request.body,
            signature=request.headers["X-SalesRelay-Signature"],
        )
        assert request.json["id"] == request.headers["X-SalesRelay-Idempotency-Key"]
    tampered = received[0].body.replace(b'"journey_id": 1', b'"journey_id": 2')
    assert not verify(
        SECRET,
        timestamp=received[0].headers["X-SalesRelay-Timestamp"],
        body=tampered,
        signature=received[0].headers["X-SalesRelay-Signature"],
    )


class _Drop:
    def send(self, message):
        pass


def _publish_many(factory, url: str, count: int) -> set[str]:
    with transaction(factory) as session:
        for n in range(count):
            outbox_service.publish(
                session=session,
                channels=Channels(webhook_url=url),
                topic="test.ping",
                data={"n": n},
                key=f"ping:{n}",
                now=utcnow(),
            )
    return {f"ping:{n}:webhook" for n in range(count)}


def test_a_receiver_down_for_a_while_gets_every_message_once(database_url, factory, team, receiver):
    keys = _publish_many(factory, receiver.url, 30)
    work = worker.Worker(
        settings(database_url), notifiers=worker.build_notifiers(settings(database_url))
    )
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # the receiver is down: connection refused
            work.tick_outbox()
            time.sleep(0.02)
        with transaction(factory) as session:
            rows = list(session.scalars(select(OutboxMessage)))
            assert all(m.status == "pending" and m.attempts >= 2 for m in rows)
            assert "ConnectError" in rows[0].last_error
        receiver.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(receiver.bodies()) < len(keys):
            work.tick_outbox()
            time.sleep(0.05)
        for _ in range(5):  # nothing more arrives afterwards
            work.tick_outbox()
    finally:
        work.close()
    got = [r.headers["X-SalesRelay-Idempotency-Key"] for r in receiver.bodies()]
    assert sorted(got) == sorted(keys)  # every one, none twice
    with transaction(factory) as session:
        assert {m.status for m in session.scalars(select(OutboxMessage))} == {"sent"}


def test_a_message_that_keeps_failing_is_dead_after_the_last_attempt(
    database_url, factory, team, receiver
):
    receiver.status = 500
    receiver.start()
    _publish_many(factory, receiver.url, 1)
    notifiers = worker.build_notifiers(settings(database_url))
    policy = DeliveryPolicy(max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.01)
    for _ in range(50):
        deliver_due(factory=factory, notifiers=notifiers, policy=policy)
        if messages(factory)[0].status == "dead":
            break
        time.sleep(0.02)
    (message,) = messages(factory)
    assert (message.status, message.attempts) == ("dead", 3)
    assert "webhook answered 500" in message.last_error
    assert len(receiver.bodies()) == 3
    with transaction(factory) as session:
        outbox_service.retry(
            session=session, message=session.get(OutboxMessage, message.id), now=utcnow()
        )
    receiver.status = 200
    assert deliver_due(factory=factory, notifiers=notifiers, policy=policy).sent == 1


def test_a_crashed_send_goes_out_again_with_the_same_key(database_url, factory, team, receiver):
    receiver.start()
    (key,) = _publish_many(factory, receiver.url, 1)
    claimed_at = utcnow()
    with transaction(factory) as session:  # a worker claims it, then dies before sending
        (_claimed,) = outbox_service.claim_due(
            session=session, now=claimed_at, limit=10, lease_seconds=60
        )
    notifiers = worker.build_notifiers(settings(database_url))

    def deliver(seconds_later: float):
        later = claimed_at + timedelta(seconds=seconds_later)
        return deliver_due(factory=factory, notifiers=notifiers, clock=lambda: later)

    assert deliver(59).attempted == 0  # still leased
    assert deliver(61).sent == 1
    (request,) = receiver.bodies()
    assert request.headers["X-SalesRelay-Idempotency-Key"] == key
    assert messages(factory)[0].attempts == 2


def test_slack_gets_the_text_of_rep_notifications(database_url, factory, team, receiver):
    receiver.start()
    hand_to_closer(factory, Channels(slack_url=receiver.url))
    notifiers = worker.build_notifiers(settings(database_url)) | {"email": _Drop()}
    while deliver_due(factory=factory, notifiers=notifiers).attempted:
        pass
    texts = [r.json["text"] for r in receiver.bodies()]
    assert any(text.startswith("*Handoff from ") and "(for Cal Closer)" in text for text in texts)


def test_retry_delays_grow_exponentially_with_jitter():
    rng = random.Random(7)
    delays = [outbox_service.retry_delay(n, base=5, cap=3600, rng=rng) for n in range(1, 13)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(3600, 5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert delays[-1] <= 3600 and len({round(d, 6) for d in delays}) == len(delays)
