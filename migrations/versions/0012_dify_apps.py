"""Dify applications, chat sessions that talk to them, comparison lanes they answer

Revision ID: 0012_dify_apps
Revises: 0011_knowledge
Create Date: 2026-11-23 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import llmforge.db

revision: str = "0012_dify_apps"
down_revision: str | None = "0011_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dify_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column(
            "app_type",
            sa.Enum(
                "chat",
                "agent",
                "completion",
                "workflow",
                name="difyapptype",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("api_key_encrypted", sa.String(length=2000), nullable=False),
        sa.Column("api_key_hint", sa.String(length=32), nullable=False),
        sa.Column("input_variable", sa.String(length=64), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_test", sa.JSON(), nullable=True),
        sa.Column("last_used_at", llmforge.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_dify_apps_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dify_apps")),
    )
    with op.batch_alter_table("dify_apps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dify_apps_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "dify_chat_sessions",
        sa.Column("chat_session_id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["dify_apps.id"],
            name=op.f("fk_dify_chat_sessions_app_id_dify_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chat_session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_dify_chat_sessions_chat_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_session_id", name=op.f("pk_dify_chat_sessions")),
    )
    with op.batch_alter_table("dify_chat_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dify_chat_sessions_app_id"), ["app_id"], unique=False)

    op.create_table(
        "dify_compare_lanes",
        sa.Column("lane_id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["dify_apps.id"],
            name=op.f("fk_dify_compare_lanes_app_id_dify_apps"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lane_id"],
            ["compare_lanes.id"],
            name=op.f("fk_dify_compare_lanes_lane_id_compare_lanes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lane_id", name=op.f("pk_dify_compare_lanes")),
    )
    with op.batch_alter_table("dify_compare_lanes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dify_compare_lanes_app_id"), ["app_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dify_compare_lanes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dify_compare_lanes_app_id"))
    op.drop_table("dify_compare_lanes")
    with op.batch_alter_table("dify_chat_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dify_chat_sessions_app_id"))
    op.drop_table("dify_chat_sessions")
    with op.batch_alter_table("dify_apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dify_apps_owner_id"))
    op.drop_table("dify_apps")
