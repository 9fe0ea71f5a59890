"""handoffs and outbox

Revision ID: 9a674ccfe259
Revises: 1c795c62497a
Create Date: 2026-11-27 08:30:56.690978
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import salesrelay.db

revision = "9a674ccfe259"
down_revision = "1c795c62497a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Handoffs (with their acceptance clock) and the outbox of messages to send.
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=1000), nullable=False),
        sa.Column(
            "cc",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "attachments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", salesrelay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_outbox_messages_journey_id_journeys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_messages_idempotency_key", ["idempotency_key"], unique=True
        )
        batch_op.create_index("ix_outbox_messages_journey_id", ["journey_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_messages_pending_next_attempt_at",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_outbox_messages_status_id", ["status", "id"], unique=False)

    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=64), nullable=False),
        sa.Column("from_rep_id", sa.Integer(), nullable=True),
        sa.Column("to_rep_id", sa.Integer(), nullable=True),
        sa.Column("from_stage", sa.String(length=64), nullable=False),
        sa.Column("to_stage", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("proposed_at", salesrelay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accept_by", salesrelay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("clock_id", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=64), nullable=True),
        sa.Column("rejection_note", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["sla_clocks.id"],
            name=op.f("fk_handoffs_clock_id_sla_clocks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["from_rep_id"],
            ["reps.id"],
            name=op.f("fk_handoffs_from_rep_id_reps"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_handoffs_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["handoffs.id"],
            name=op.f("fk_handoffs_replaces_id_handoffs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_rep_id"], ["reps.id"], name=op.f("fk_handoffs_to_rep_id_reps"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index("ix_handoffs_clock_id", ["clock_id"], unique=False)
        batch_op.create_index(
            "ix_handoffs_from_rep_id_status", ["from_rep_id", "status"], unique=False
        )
        batch_op.create_index("ix_handoffs_journey_id_id", ["journey_id", "id"], unique=False)
        batch_op.create_index("ix_handoffs_to_rep_id_status", ["to_rep_id", "status"], unique=False)


def downgrade() -> None:
    # Handoffs (with their acceptance clock) and the outbox of messages to send.
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_to_rep_id_status")
        batch_op.drop_index("ix_handoffs_journey_id_id")
        batch_op.drop_index("ix_handoffs_from_rep_id_status")
        batch_op.drop_index("ix_handoffs_clock_id")

    op.drop_table("handoffs")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_id")
        batch_op.drop_index(
            "ix_outbox_messages_pending_next_attempt_at",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_outbox_messages_journey_id")
        batch_op.drop_index("ix_outbox_messages_idempotency_key")

    op.drop_table("outbox_messages")
