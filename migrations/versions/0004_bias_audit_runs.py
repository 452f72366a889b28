"""bias audit runs: one row per `gateway bias audit`, shown on the review page

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bias_audit_runs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("suite", sa.String(32), nullable=False),
        sa.Column("suite_version", sa.String(32), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
    )
    op.create_index("ix_bias_audit_runs_started_at", "bias_audit_runs", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_bias_audit_runs_started_at", table_name="bias_audit_runs")
    op.drop_table("bias_audit_runs")
