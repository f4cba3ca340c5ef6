"""The durable inbox and outbox: every input stored before it is acknowledged, every output a row.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_id", sa.BigInteger, nullable=False),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("payload", Json, nullable=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.UniqueConstraint("channel", "update_id", name="uq_inbox_channel_update"),
    )
    op.create_index("ix_inbox_person", "inbox", ["channel", "external_id", "status"])
    op.create_index("ix_inbox_status", "inbox", ["status", "received_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("body", Json, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=True),
        sa.Column("ref", sa.String(32), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("lease_owner", sa.String(32), nullable=True),
        sa.Column("lease_until", Time, nullable=True),
        sa.Column("expires_at", Time, nullable=True),
        sa.Column("delivery_id", sa.Integer, nullable=True),
        sa.Column("sent_id", sa.BigInteger, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("sent_at", Time, nullable=True),
    )
    op.create_index("ix_outbox_person", "outbox", ["channel", "external_id", "status", "id"])
    op.create_index("ix_outbox_pending", "outbox", ["status", "lease_until"])
    # Plan days claimed but never marked under the old scheme are sent again through the outbox's rules.
    op.execute("UPDATE deliveries SET status = 'skipped' WHERE status = 'sending'")


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("inbox")
