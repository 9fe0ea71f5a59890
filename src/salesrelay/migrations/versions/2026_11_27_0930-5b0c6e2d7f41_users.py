"""users and sign-in throttling

Revision ID: 5b0c6e2d7f41
Revises: 9a674ccfe259
Create Date: 2026-11-27 09:30:00
"""

import sqlalchemy as sa
from alembic import op

import salesrelay.db

revision = "5b0c6e2d7f41"
down_revision = "9a674ccfe259"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # People who sign in to the web pages and API, and failed sign-ins that throttle guessing.
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", salesrelay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sessions_valid_after", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.id"], name=op.f("fk_users_rep_id_reps"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_email", ["email"], unique=True)

    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", salesrelay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", salesrelay.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_email")
    op.drop_table("users")
