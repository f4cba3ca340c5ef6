"""The daily plan: delivery time, zone and profile on enrolments; deliveries; knee-to-wall measurements.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("enrolments") as batch:
        batch.add_column(sa.Column("delivery_time", sa.String(5), nullable=True))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("profile", Json, nullable=True))
        batch.add_column(sa.Column("next_day", sa.Integer, nullable=True))
        batch.add_column(sa.Column("next_due", Time, nullable=True))
    op.create_index("ix_enrolments_due", "enrolments", ["status", "next_due"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("due_at", Time, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_at", Time, nullable=True),
        sa.Column("sent_at", Time, nullable=True),
        sa.Column("checkin", sa.String(16), nullable=True),
        sa.UniqueConstraint("person_id", "day", name="uq_deliveries_person_day"),
    )
    op.create_index("ix_deliveries_status", "deliveries", ["status", "claimed_at"])
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("cm", sa.Float, nullable=False),
    )
    op.create_index("ix_measurements_person_id", "measurements", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_measurements_person_id", "measurements")
    op.drop_table("measurements")
    op.drop_index("ix_deliveries_status", "deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_enrolments_due", "enrolments")
    with op.batch_alter_table("enrolments") as batch:
        for column in ("next_due", "next_day", "profile", "time_zone", "delivery_time"):
            batch.drop_column(column)
