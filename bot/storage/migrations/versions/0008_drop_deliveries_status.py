"""Drop ix_deliveries_status: no query reads deliveries by status since claims are made on the enrolment,
and every plan day written or marked sent paid for it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_status", "deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_status", "deliveries", ["status", "claimed_at"])
