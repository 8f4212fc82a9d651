"""base-vs-fine-tuned evaluations of training jobs on their held-out split

Revision ID: 0014_training_evaluations
Revises: 0013_compare_knowledge
Create Date: 2026-11-23 13:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import llmforge.db

revision: str = "0014_training_evaluations"
down_revision: str | None = "0013_compare_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "running",
                "completed",
                "failed",
                name="evaluationstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("tuned_version_id", sa.Integer(), nullable=True),
        sa.Column("started_version_ids", sa.JSON(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("started_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["training_jobs.id"],
            name=op.f("fk_training_evaluations_job_id_training_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_evaluations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_evaluations")),
        sa.UniqueConstraint("job_id", name=op.f("uq_training_evaluations_job_id")),
    )
    with op.batch_alter_table("training_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_evaluations_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("training_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_evaluations_user_id"))
    op.drop_table("training_evaluations")
