"""The small interface every channel implements; the worker never knows more than this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One outbox message as a channel sees it."""

    id: int
    channel: str
    topic: str
    recipient: str
    idempotency_key: str
    subject: str = ""
    body: str = ""
    cc: Sequence[str] = ()
    reply_to: str | None = None
    attachments: Sequence[dict[str, Any]] = field(default_factory=tuple)


class DeliveryError(Exception):
    """The message did not go out. `permanent` means retrying cannot help (a 5xx SMTP reply
    such as 'no such mailbox'), so the message is dead at once."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Notifier(Protocol):
    def send(self, message: Outgoing) -> None:
        """Deliver or raise DeliveryError; must be safe to call from several threads."""
        ...
