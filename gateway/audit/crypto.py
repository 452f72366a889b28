"""Content encryption for crypto-shredding: AES-256-GCM with one data key per tenant.

Stored content (already redacted by the checks) is sealed as

    gwenc1:<key_id>:<base64url(nonce || ciphertext || tag)>

with the record's request id and the field name as associated data, so a ciphertext cannot be
moved to another record or field and still open. Data keys are stored wrapped (AES-GCM again)
by the master key from the environment; destroying a tenant's wrapped keys makes its content
unreadable for good, while the chain, which hashes the ciphertext, still verifies.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.errors import GatewayError

ENVELOPE_PREFIX = "gwenc1:"
_NONCE_BYTES = 12


def new_key_id() -> str:
    return os.urandom(16).hex()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _wrap_aad(key_id: str, tenant: str) -> bytes:
    return f"gateway-audit-data-key\n{key_id}\n{tenant}".encode()


def wrap_data_key(master_key: bytes, key_id: str, tenant: str, data_key: bytes) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    return _b64(nonce + AESGCM(master_key).encrypt(nonce, data_key, _wrap_aad(key_id, tenant)))


def unwrap_data_key(master_key: bytes, key_id: str, tenant: str, wrapped: str) -> bytes:
    raw = _unb64(wrapped)
    try:
        return AESGCM(master_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _wrap_aad(key_id, tenant))
    except InvalidTag:
        raise GatewayError(
            f"Audit data key {key_id} does not open with GATEWAY_AUDIT_MASTER_KEY (wrong master key?)."
        ) from None


def _content_aad(request_id: str, field: str) -> bytes:
    return f"gateway-audit-content\n{request_id}\n{field}".encode()


def seal(data_key: bytes, key_id: str, request_id: str, field: str, plaintext: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext.encode(), _content_aad(request_id, field))
    return f"{ENVELOPE_PREFIX}{key_id}:{_b64(nonce + sealed)}"


def envelope_key_id(value: str) -> str | None:
    """The data key a stored value needs, or None when it is not sealed (legacy plaintext)."""
    if not value.startswith(ENVELOPE_PREFIX):
        return None
    return value[len(ENVELOPE_PREFIX) :].split(":", 1)[0]


def open_sealed(data_key: bytes, request_id: str, field: str, value: str) -> str:
    raw = _unb64(value[len(ENVELOPE_PREFIX) :].split(":", 1)[1])
    try:
        plain = AESGCM(data_key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _content_aad(request_id, field)
        )
    except InvalidTag:
        raise GatewayError(f"Stored content of {request_id} fails authentication.") from None
    return plain.decode()
