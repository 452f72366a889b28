"""audit egress phases: an entry sealed before data leaves, the destinations a request reached

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A request that reaches a provider now has two (or more) entries in the chain: one `egress`
entry committed before any byte is sent (one per attempt), then its `outcome` entry. So
`request_id` is no longer unique; it stays indexed. `phase` says which entry a row is
(NULL: a record written before this revision, a single entry). `destinations` lists every
place the request's data was sent, in order, with each attempt's outcome. Existing records keep
their hashes: NULL columns are not part of the canonical form.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The unique constraint 0001 created has no name on SQLite; a naming convention lets the batch
# (table copy) address it. On PostgreSQL it has the server's default name.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "audit_records_request_id_key"
    return "uq_audit_records_request_id"


def upgrade() -> None:
    with op.batch_alter_table("audit_records", naming_convention=_CONVENTION) as batch:
        batch.add_column(sa.Column("phase", sa.String(16), nullable=True))
        batch.add_column(sa.Column("destinations", sa.JSON(), nullable=True))
        batch.drop_constraint(_unique_name(), type_="unique")
    op.create_index("ix_audit_records_request_id", "audit_records", ["request_id"])


def downgrade() -> None:
    bind = op.get_bind()
    several = bind.execute(
        sa.text("SELECT count(*) FROM (SELECT request_id FROM audit_records GROUP BY request_id HAVING count(*) > 1) AS x")
    ).scalar_one()
    if several:
        raise RuntimeError(
            f"{several} request(s) have several audit entries (egress and outcome): "
            "revision 0002 cannot represent them"
        )
    op.drop_index("ix_audit_records_request_id", table_name="audit_records")
    with op.batch_alter_table("audit_records", naming_convention=_CONVENTION) as batch:
        batch.drop_column("destinations")
        batch.drop_column("phase")
        batch.create_unique_constraint(_unique_name(), ["request_id"])
