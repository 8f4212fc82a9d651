"""comparison runs use knowledge bases and keep the passages every lane was given

Revision ID: 0013_compare_knowledge
Revises: 0012_dify_apps
Create Date: 2026-11-23 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_compare_knowledge"
down_revision: str | None = "0012_dify_apps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compare_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("knowledge_base_ids", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compare_runs", schema=None) as batch_op:
        batch_op.drop_column("sources")
        batch_op.drop_column("knowledge_base_ids")
