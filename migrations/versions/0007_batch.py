"""batch tests

Revision ID: 0007
Revises: 0006_compare
Create Date: 2026-11-23 08:38:40.742586
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import llmforge.db

revision: str = "0007"
down_revision: str | None = "0006_compare"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_test_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_batch_test_sets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_test_sets")),
    )
    with op.batch_alter_table("batch_test_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_test_sets_user_id"), ["user_id"], unique=False)

    op.create_table(
        "batch_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("set_name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "completed",
                "cancelled",
                "failed",
                name="runstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("scorers", sa.JSON(), nullable=False),
        sa.Column("concurrency_per_provider", sa.Integer(), nullable=False),
        sa.Column("total_cells", sa.Integer(), nullable=False),
        sa.Column("done_cells", sa.Integer(), nullable=False),
        sa.Column("error_cells", sa.Integer(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at_claim", sa.Integer(), nullable=False),
        sa.Column("started_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["batch_test_sets.id"],
            name=op.f("fk_batch_runs_set_id_batch_test_sets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_batch_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_runs")),
    )
    with op.batch_alter_table("batch_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_runs_set_id"), ["set_id"], unique=False)
        batch_op.create_index(
            "ix_batch_runs_status_heartbeat_at", ["status", "heartbeat_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_batch_runs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "batch_test_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["batch_test_sets.id"],
            name=op.f("fk_batch_test_rows_set_id_batch_test_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_test_rows")),
        sa.UniqueConstraint("set_id", "position", name=op.f("uq_batch_test_rows_set_id")),
    )
    op.create_table(
        "batch_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("tokens_estimated", sa.Boolean(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=8), nullable=True),
        sa.Column("finish_reason", sa.String(length=32), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["row_id"],
            ["batch_test_rows.id"],
            name=op.f("fk_batch_results_row_id_batch_test_rows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["batch_runs.id"],
            name=op.f("fk_batch_results_run_id_batch_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_results")),
        sa.UniqueConstraint("run_id", "row_id", "model_id", name=op.f("uq_batch_results_run_id")),
    )
    with op.batch_alter_table("batch_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_results_row_id"), ["row_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("batch_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_results_row_id"))

    op.drop_table("batch_results")
    op.drop_table("batch_test_rows")
    with op.batch_alter_table("batch_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_runs_user_id"))
        batch_op.drop_index("ix_batch_runs_status_heartbeat_at")
        batch_op.drop_index(batch_op.f("ix_batch_runs_set_id"))

    op.drop_table("batch_runs")
    with op.batch_alter_table("batch_test_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_test_sets_user_id"))

    op.drop_table("batch_test_sets")
