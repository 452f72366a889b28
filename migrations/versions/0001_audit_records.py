"""audit records

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=True),
        sa.Column("key_name", sa.String(128), nullable=True),
        sa.Column("key_fingerprint", sa.String(16), nullable=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("model_requested", sa.String(256), nullable=True),
        sa.Column("model_served", sa.String(256), nullable=True),
        sa.Column("location", sa.String(8), nullable=True),
        sa.Column("route_reasons", sa.JSON(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("request_content", sa.Text(), nullable=True),
        sa.Column("response_content", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_records_started_at", "audit_records", ["started_at"])
    op.create_index("ix_audit_records_tenant", "audit_records", ["tenant"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_tenant", table_name="audit_records")
    op.drop_index("ix_audit_records_started_at", table_name="audit_records")
    op.drop_table("audit_records")
