"""Slack incoming webhooks: the message text posted to the configured URL."""

from __future__ import annotations

import httpx

from salesrelay.notify.base import DeliveryError, Outgoing


class SlackNotifier:
    def __init__(self, *, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, message: Outgoing) -> None:
        try:
            response = self.client.post(message.recipient, json={"text": message.body})
        except httpx.HTTPError as error:
            raise DeliveryError(f"Slack: {type(error).__name__}: {error}") from None
        if response.status_code >= 300:
            raise DeliveryError(
                f"Slack answered {response.status_code}: {response.text[:200]}",
                permanent=response.status_code in (400, 403, 404, 410),
            )
