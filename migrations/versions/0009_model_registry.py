"""model registry: base models and model versions

Revision ID: 0009_model_registry
Revises: 0008_datasets
Create Date: 2026-11-23 11:32:51.507511
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import llmforge.db

revision: str = "0009_model_registry"
down_revision: str | None = "0008_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "base_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("architecture", sa.String(length=100), nullable=True),
        sa.Column("parameter_count", sa.BigInteger(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_base_models_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_models")),
        sa.UniqueConstraint("name", name=op.f("uq_base_models_name")),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_model_id", sa.Integer(), nullable=False),
        sa.Column("adapter_path", sa.String(length=1000), nullable=True),
        sa.Column("model_path", sa.String(length=1000), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("finetuning_type", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "stopped",
                "starting",
                "serving",
                "stopping",
                "error",
                name="servestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("api_key_encrypted", sa.String(length=2000), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("served_model_id", sa.Integer(), nullable=True),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("served_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "export_status",
            sa.Enum(
                "none",
                "running",
                "succeeded",
                "failed",
                name="exportstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("export_dir", sa.String(length=1000), nullable=True),
        sa.Column("export_error", sa.Text(), nullable=True),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_model_id"],
            ["base_models.id"],
            name=op.f("fk_model_versions_base_model_id_base_models"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_model_versions_provider_id_providers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["served_model_id"],
            ["models.id"],
            name=op.f("fk_model_versions_served_model_id_models"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_model_versions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("name", name=op.f("uq_model_versions_name")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_versions_base_model_id"), ["base_model_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_model_versions_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_model_versions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_user_id"))
        batch_op.drop_index(batch_op.f("ix_model_versions_job_id"))
        batch_op.drop_index(batch_op.f("ix_model_versions_base_model_id"))

    op.drop_table("model_versions")
    op.drop_table("base_models")
