"""server processes and the answers they stream, so a lost host's answers can be told apart

Revision ID: 0017_server_processes
Revises: 0016_list_indexes
Create Date: 2026-11-23 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import llmforge.db

revision: str = "0017_server_processes"
down_revision: str | None = "0016_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STREAMED = ("chat_messages", "compare_lanes")


def upgrade() -> None:
    op.create_table(
        "server_processes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alive_at", llmforge.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_processes")),
    )
    op.create_index(
        op.f("ix_server_processes_alive_at"), "server_processes", ["alive_at"], unique=False
    )
    for table in STREAMED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("streamed_by", sa.String(length=32), nullable=True))
            batch.create_index(op.f(f"ix_{table}_status"), ["status"], unique=False)


def downgrade() -> None:
    for table in reversed(STREAMED):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(op.f(f"ix_{table}_status"))
            batch.drop_column("streamed_by")
    op.drop_index(op.f("ix_server_processes_alive_at"), table_name="server_processes")
    op.drop_table("server_processes")
