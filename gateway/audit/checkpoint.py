"""Signed checkpoints: "the chain held `size` records and its head hash was H", signed Ed25519.

A checkpoint pins the chain's length and head, so truncating the tail or rewriting history (even
with every hash recomputed) no longer verifies. Ed25519 rather than HMAC: verifying needs only
the public key, so a reviewer or an auditor can check checkpoints without being able to forge one.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.chain import canonical_time
from gateway.audit.keys import AuditKeys, key_id

_DOMAIN = "gateway-audit-checkpoint/v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int  # records in the chain, from the first up to and including the head
    head_seq: int
    head_request_id: str
    head_hash: str
    created_at: datetime
    key_id: str
    signature: str  # base64
    id: int | None = None  # the database row's id, when it came from one

    def message(self) -> bytes:
        return checkpoint_message(
            self.size, self.head_seq, self.head_request_id, self.head_hash, self.created_at
        )

    def as_json(self) -> dict[str, Any]:
        """The portable form, for anchoring outside the database (`gateway audit checkpoint`)."""
        data = asdict(self)
        data["created_at"] = canonical_time(self.created_at)
        data.pop("id")
        return data


def checkpoint_message(
    size: int, head_seq: int, head_request_id: str, head_hash: str, created_at: datetime
) -> bytes:
    return (
        f"{_DOMAIN}\nsize={size}\nhead_seq={head_seq}\nhead_request_id={head_request_id}\n"
        f"head_hash={head_hash}\ncreated_at={canonical_time(created_at)}"
    ).encode()


def sign_checkpoint(
    signing_key: Ed25519PrivateKey,
    size: int,
    head_seq: int,
    head_request_id: str,
    head_hash: str,
    created_at: datetime,
) -> Checkpoint:
    message = checkpoint_message(size, head_seq, head_request_id, head_hash, created_at)
    return Checkpoint(
        size=size,
        head_seq=head_seq,
        head_request_id=head_request_id,
        head_hash=head_hash,
        created_at=created_at,
        key_id=key_id(signing_key.public_key()),
        signature=base64.b64encode(signing_key.sign(message)).decode(),
    )


def signature_problem(checkpoint: Checkpoint, keys: AuditKeys) -> str | None:
    """None when a trusted key signed exactly this checkpoint; otherwise what is wrong."""
    public = keys.trusted.get(checkpoint.key_id)
    if public is None:
        return f"signed by key {checkpoint.key_id}, which is not a trusted verify key"
    try:
        public.verify(base64.b64decode(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return "signature does not verify (forged or altered checkpoint)"
    return None


def checkpoint_from_json(data: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        size=int(data["size"]),
        head_seq=int(data["head_seq"]),
        head_request_id=str(data["head_request_id"]),
        head_hash=str(data["head_hash"]),
        created_at=datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00")),
        key_id=str(data["key_id"]),
        signature=str(data["signature"]),
    )
