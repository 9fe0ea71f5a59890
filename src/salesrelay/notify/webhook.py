"""Outgoing webhooks for CRM sync, signed so the receiver can prove they came from us.

The signature is the hex HMAC-SHA256, keyed with the shared webhook secret, of
`f"{timestamp}.{body}"`, where timestamp is the X-SalesRelay-Timestamp header (Unix
seconds) and body the raw request body. Signing the timestamp too lets a receiver refuse
replays of an old request; docs/handoffs.md shows a receiver's check.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import httpx

from salesrelay.notify.base import DeliveryError, Outgoing

TIMESTAMP_HEADER = "X-SalesRelay-Timestamp"
SIGNATURE_HEADER = "X-SalesRelay-Signature"
KEY_HEADER = "X-SalesRelay-Idempotency-Key"
TOPIC_HEADER = "X-SalesRelay-Topic"


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    raw = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str,
    body: str | bytes,
    signature: str,
    tolerance_seconds: float = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_seconds and hmac.compare_digest(
        sign(secret, timestamp, body), signature
    )


class WebhookNotifier:
    def __init__(
        self,
        *,
        secret: str,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a webhook secret is needed to sign webhooks")
        self.secret = secret
        self.client = client or httpx.Client(timeout=timeout)
        self.clock = clock

    def send(self, message: Outgoing) -> None:
        timestamp = str(int(self.clock()))
        body = message.body.encode()
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            KEY_HEADER: message.idempotency_key,
            TOPIC_HEADER: message.topic,
        }
        try:
            response = self.client.post(message.recipient, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"webhook {message.recipient}: {type(error).__name__}: {error}"
            ) from None
        if response.status_code >= 300:
            # Every refusal is retried until the last attempt: a receiver that answers 4xx
            # during a deploy should not lose messages.
            raise DeliveryError(f"webhook answered {response.status_code}: {response.text[:200]}")
