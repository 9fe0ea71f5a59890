"""The restructure handoff: an owner change within a stage, run as a handoff protocol.

A playbook's protocols move a journey to another stage. A restructure moves no stage: the
journey stays where it is and gets the owner the new playbook gives that stage. It still
runs as a handoff — proposed to a named receiver, accepted or rejected with a reason within
two working days, expired by the SLA sweep when nobody answers — and the customer is
introduced to the new owner when the receiver accepts.
"""

from __future__ import annotations

from salesrelay.playbook.schema import HandoffProtocol

PROTOCOL_ID = "restructure"
"""Stored as the handoff's protocol; no playbook protocol may take this name's place."""

ACCEPT_WITHIN = "16h"
"""Two working days of eight hours: a receiver may get dozens of accounts in one week."""

REJECTION_REASONS = ["over_capacity", "wrong_segment", "conflict_of_interest", "other"]

PROTOCOL = HandoffProtocol(
    label="Restructure: new owner for the same stage",
    accept_within=ACCEPT_WITHIN,
    rejection_reasons=REJECTION_REASONS,
    intro_subject="{{ account.name }}: {{ next_owner.name }} is your contact from now on",
    intro="""Hi {{ contact.first_name }},

We are organising our team so that every customer works with a specialist at each step.

From today, your contact for {{ account.name }} is {{ next_owner.name }}
({{ next_owner.email }}), taking over from {{ previous_owner.name }}.

{{ previous_owner.first_name }} has passed on everything you discussed, so you won't have to
repeat yourself, and is in copy while the change settles.
Reply to this e-mail to reach {{ next_owner.first_name }}.
""",
)
