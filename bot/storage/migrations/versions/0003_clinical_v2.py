"""Clinical table v2: recorded clearances, the week-6 re-screen, and each person's last outcome.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clearances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("after_outcome", sa.String(16), nullable=False),
        sa.Column("at", Time, nullable=False),
    )
    with op.batch_alter_table("enrolments") as batch:
        batch.add_column(sa.Column("rescreened_at", Time, nullable=True))
    _carry_last_outcomes()


def _carry_last_outcomes() -> None:
    """People checked before v2 keep their last outcome, so a red flag still needs a clearance."""
    conn = op.get_bind()
    people = sa.table("people", sa.column("id", sa.Integer), sa.column("progress", Json))
    results = sa.table("triage_results", sa.column("id", sa.Integer), sa.column("person_id", sa.Integer),
                       sa.column("outcome", sa.String))
    latest = sa.select(results.c.person_id, sa.func.max(results.c.id).label("id")).group_by(
        results.c.person_id).subquery()
    rows = conn.execute(sa.select(people.c.id, people.c.progress, results.c.outcome)
                        .join(latest, latest.c.person_id == people.c.id)
                        .join(results, results.c.id == latest.c.id)).all()
    for person_id, progress, outcome in rows:
        conn.execute(people.update().where(people.c.id == person_id).values(
            progress={**(progress or {}), "last_outcome": outcome}))


def downgrade() -> None:
    with op.batch_alter_table("enrolments") as batch:
        batch.drop_column("rescreened_at")
    op.drop_table("clearances")
