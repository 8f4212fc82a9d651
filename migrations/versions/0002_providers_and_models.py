"""providers and models

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:55:57.006781
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import llmforge.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("preset", sa.String(length=64), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("api_key_encrypted", sa.String(length=2000), nullable=True),
        sa.Column("api_key_hint", sa.String(length=32), nullable=True),
        sa.Column("extra_headers_encrypted", sa.String(length=8000), nullable=True),
        sa.Column("extra_header_names", sa.JSON(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_refreshed_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_test", sa.JSON(), nullable=True),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("name", name=op.f("uq_providers_name")),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("context_length", sa.Integer(), nullable=True),
        sa.Column("input_price_per_mtok", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("output_price_per_mtok", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("all", "restricted", name="visibility", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("allowed_roles", sa.JSON(), nullable=False),
        sa.Column("allowed_user_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_models_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("provider_id", "model_id", name=op.f("uq_models_provider_id")),
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_models_provider_id"), ["provider_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_models_provider_id"))

    op.drop_table("models")
    op.drop_table("providers")
