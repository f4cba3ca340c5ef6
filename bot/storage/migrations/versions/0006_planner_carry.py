"""The adaptive planner's state on the enrolment, so that a day's decision needs no history.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.add_column("enrolments", sa.Column("carry", json, nullable=True))


def downgrade() -> None:
    op.drop_column("enrolments", "carry")
