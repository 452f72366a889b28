"""The audit log's key material, read once from the environment and passed down.

    GATEWAY_AUDIT_SIGNING_KEY    Ed25519 private key (32-byte seed, hex or base64) that signs
                                 checkpoints. Only gateway processes need it.
    GATEWAY_AUDIT_VERIFY_KEYS    comma-separated Ed25519 public keys (hex or base64) that
                                 `gateway audit verify` trusts; default: the signing key's own.
                                 Reviewers verify with these alone: they cannot sign.
    GATEWAY_AUDIT_MASTER_KEY     32-byte AES key (hex or base64) that wraps the per-tenant data
                                 keys which encrypt stored content.
    GATEWAY_AUDIT_CHECKPOINT_EVERY    records between checkpoints (default 1000)
    GATEWAY_AUDIT_CHECKPOINT_SECONDS  at most this long between checkpoints under load (default 60)

Unset keys fall back to fixed development keys, with a loud warning: checkpoints signed with them
prove nothing and content encrypted with them is readable by anyone with this source code.
`gateway audit keygen` prints fresh keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.errors import GatewayError

log = logging.getLogger(__name__)

# Public on purpose: anyone can derive these, which is why using them is logged as a warning.
DEV_SIGNING_SEED = hashlib.sha256(b"gateway-audit development signing key - NOT SECRET").digest()
DEV_MASTER_KEY = hashlib.sha256(b"gateway-audit development master key - NOT SECRET").digest()


def decode_key(value: str, name: str) -> bytes:
    """32 raw bytes from hex or base64 (standard or URL-safe, padding optional)."""
    text = value.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(_pad(text), altchars=b"-_")
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise GatewayError(f"{name} must be 32 bytes, hex or base64 encoded.")
    return raw


def _pad(text: str) -> str:
    return (text.replace("+", "-").replace("/", "_")) + "=" * (-len(text) % 4)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a verifying key, stored with each checkpoint it signed."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def dev_key_id() -> str:
    return key_id(Ed25519PrivateKey.from_private_bytes(DEV_SIGNING_SEED).public_key())


@dataclass(frozen=True, slots=True)
class AuditKeys:
    signing_key: Ed25519PrivateKey
    trusted: Mapping[str, Ed25519PublicKey]  # key_id -> public key
    master_key: bytes
    uses_dev_signing_key: bool = False
    uses_dev_master_key: bool = False
    # The tail no checkpoint covers yet is at most this many records, or this many seconds.
    checkpoint_every: int = 100
    checkpoint_seconds: float = 5.0

    @property
    def signing_key_id(self) -> str:
        return key_id(self.signing_key.public_key())

    @property
    def master_key_id(self) -> str:
        return hashlib.sha256(b"gateway-audit-master\n" + self.master_key).hexdigest()[:16]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AuditKeys:
        signing_text = environ.get("GATEWAY_AUDIT_SIGNING_KEY", "").strip()
        master_text = environ.get("GATEWAY_AUDIT_MASTER_KEY", "").strip()
        if signing_text:
            seed = decode_key(signing_text, "GATEWAY_AUDIT_SIGNING_KEY")
        else:
            seed = DEV_SIGNING_SEED
            log.warning(
                "GATEWAY_AUDIT_SIGNING_KEY is not set: audit checkpoints are signed with the PUBLIC "
                "development key and prove nothing. Run `gateway audit keygen` for production keys."
            )
        if master_text:
            master = decode_key(master_text, "GATEWAY_AUDIT_MASTER_KEY")
        else:
            master = DEV_MASTER_KEY
            log.warning(
                "GATEWAY_AUDIT_MASTER_KEY is not set: stored audit content is encrypted with the "
                "PUBLIC development key. Run `gateway audit keygen` for production keys."
            )
        signing = Ed25519PrivateKey.from_private_bytes(seed)
        verify_text = environ.get("GATEWAY_AUDIT_VERIFY_KEYS", "").strip()
        if verify_text:
            publics = [
                Ed25519PublicKey.from_public_bytes(decode_key(part, "GATEWAY_AUDIT_VERIFY_KEYS"))
                for part in verify_text.split(",")
                if part.strip()
            ]
        else:
            publics = [signing.public_key()]
        return cls(
            signing_key=signing,
            trusted={key_id(public): public for public in publics},
            master_key=master,
            uses_dev_signing_key=not signing_text,
            uses_dev_master_key=not master_text,
            checkpoint_every=max(1, int(environ.get("GATEWAY_AUDIT_CHECKPOINT_EVERY", "100"))),
            checkpoint_seconds=float(environ.get("GATEWAY_AUDIT_CHECKPOINT_SECONDS", "5")),
        )


def generate_keys() -> dict[str, str]:
    """Fresh production keys, base64: what `gateway audit keygen` prints."""
    signing = Ed25519PrivateKey.generate()
    seed = signing.private_bytes_raw()
    return {
        "GATEWAY_AUDIT_SIGNING_KEY": base64.b64encode(seed).decode(),
        "GATEWAY_AUDIT_VERIFY_KEYS": base64.b64encode(public_bytes(signing.public_key())).decode(),
        "GATEWAY_AUDIT_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
