"""People with their conversation progress, triage results and coaching enrolments.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("progress", Json, nullable=False),
        sa.Column("last_update", sa.BigInteger, nullable=True),
        sa.Column("stopped", sa.String(16), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_people_channel_external"),
    )
    op.create_table(
        "triage_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("flags", Json, nullable=False),
        sa.Column("at", Time, nullable=False),
    )
    op.create_index("ix_triage_results_person_id", "triage_results", ["person_id"])
    op.create_table(
        "enrolments",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("enrolments")
    op.drop_index("ix_triage_results_person_id", "triage_results")
    op.drop_table("triage_results")
    op.drop_table("people")
