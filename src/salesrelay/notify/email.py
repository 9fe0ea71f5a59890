"""E-mail over SMTP (smtplib), with attachments such as meeting invites."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from salesrelay.notify.base import DeliveryError, Outgoing


def build_email(message: Outgoing, *, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    if message.cc:
        email["Cc"] = ", ".join(message.cc)
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    # The same key always gives the same Message-ID, so a message sent twice (a worker that
    # died after sending, before recording it) is one message to mail clients.
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    email["Message-ID"] = f"<{digest}@salesrelay>"
    email["X-SalesRelay-Idempotency-Key"] = message.idempotency_key
    email.set_content(message.body)
    for attachment in message.attachments:
        maintype, _, rest = attachment.get("content_type", "text/plain").partition("/")
        subtype, *params = [part.strip() for part in rest.split(";")]
        if maintype == "text":
            email.add_attachment(
                attachment["content"],
                subtype=subtype or "plain",
                filename=attachment.get("filename"),
                params=dict(param.split("=", 1) for param in params if "=" in param),
            )
        else:
            email.add_attachment(
                attachment["content"].encode(),
                maintype=maintype,
                subtype=subtype,
                filename=attachment.get("filename"),
            )
    return email


class SmtpNotifier:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, message: Outgoing) -> None:
        email = build_email(message, sender=self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(
                f"every recipient was refused: {error.recipients}", permanent=True
            ) from None
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode(errors="replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            raise DeliveryError(
                f"SMTP {error.smtp_code}: {text}", permanent=500 <= error.smtp_code < 600
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP server {self.host}:{self.port}: {error}") from None
        if refused:
            # Some recipients got it: retrying would send it to them again.
            raise DeliveryError(f"refused for {sorted(refused)}", permanent=True)
