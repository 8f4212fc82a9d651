"""indexes for the list queries that lacked one (found by tests/hardening/test_query_plans.py)

Revision ID: 0016_list_indexes
Revises: 0015_api_keys
Create Date: 2026-11-23 19:25:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_list_indexes"
down_revision: str | None = "0015_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("model_versions", "ix_model_versions_status", ["status"]),
    ("model_versions", "ix_model_versions_export_status", ["export_status"]),
    ("knowledge_bases", "ix_knowledge_bases_shared", ["shared"]),
    ("dify_apps", "ix_dify_apps_shared", ["shared"]),
    ("login_throttles", "ix_login_throttles_locked_until", ["locked_until"]),
    ("users", "ix_users_created_at_id", ["created_at", "id"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
