"""API keys: only their sha256 lives in policy files; lookups compare in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.errors import Unauthorized

if TYPE_CHECKING:
    from gateway.policy.loader import PolicySet

KEY_PREFIX = "gw-"


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: str
    key_name: str


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_fingerprint(key: str) -> str:
    """A short, non-reversible tag of a presented key for the audit log (never the key itself)."""
    return key_digest(key)[:12]


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class KeyIndex:
    entries: tuple[tuple[bytes, Caller], ...]

    @classmethod
    def build(cls, policies: PolicySet) -> KeyIndex:
        return cls(
            tuple(
                (bytes.fromhex(key.sha256), Caller(tenant.tenant, key.name))
                for tenant in policies.tenants.values()
                for key in tenant.api_keys
            )
        )

    def resolve(self, authorization: str | None) -> Caller:
        key = bearer_key(authorization)
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        found: Caller | None = None
        # Compare against every entry, without stopping early, so timing says nothing.
        for known, caller in self.entries:
            if hmac.compare_digest(known, digest):
                found = caller
        if found is None:
            raise Unauthorized("Incorrect API key provided.")
        return found


def bearer_key(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Malformed Authorization header: expected 'Bearer <key>'.")
    return key.strip()
