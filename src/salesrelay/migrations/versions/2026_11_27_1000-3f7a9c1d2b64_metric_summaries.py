"""metric summaries

Revision ID: 3f7a9c1d2b64
Revises: 5b0c6e2d7f41
Create Date: 2026-11-27 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import salesrelay.db

revision = "3f7a9c1d2b64"
down_revision = "5b0c6e2d7f41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Per-journey facts for the metrics reports, as column blocks per arrival day, and the
    # event watermark they are folded up to (see docs/metrics.md). Empty at first: the
    # first report or `salesrelay report refresh` fills them.
    op.create_table(
        "metric_blocks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", "field", name=op.f("pk_metric_blocks")),
    )
    op.create_table(
        "metric_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("event_watermark", sa.BigInteger(), nullable=False),
        sa.Column(
            "gaps",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("refreshed_at", salesrelay.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_state")),
    )


def downgrade() -> None:
    op.drop_table("metric_state")
    op.drop_table("metric_blocks")
