"""Walk the chain in order and name the first record whose links or content do not hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from gateway.audit.chain import GENESIS_HASH, record_hash
from gateway.db.models import AuditRecordRow


@dataclass(frozen=True, slots=True)
class Verification:
    records: int
    first_bad_request_id: str | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_request_id is None


def verify_chain(engine: Engine, batch_size: int = 5000) -> Verification:
    columns = [c for c in AuditRecordRow.__table__.columns]
    prev = GENESIS_HASH
    count = 0
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=batch_size).execute(
            select(*columns).order_by(AuditRecordRow.seq)
        )
        for row in result.mappings():
            count += 1
            if row["prev_hash"] != prev:
                return Verification(count, row["request_id"], "link to the previous record broken")
            if record_hash(prev, dict(row)) != row["record_hash"]:
                return Verification(count, row["request_id"], "content does not match its hash")
            prev = row["record_hash"]
    return Verification(count, None)
