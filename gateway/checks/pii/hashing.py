"""The `hash` action: a keyed HMAC per tenant, so a value gives the same token for that tenant
and nothing another tenant (or anyone without the key) can link or reverse.

The gateway secret comes from `GATEWAY_HASH_KEY`. Without it the documented development key
`DEV_HASH_KEY` is used (and a warning is logged once, when the gateway starts): fine for trying
the gateway, useless as protection, since the key is public. Each tenant's key is derived from
the secret and the tenant's name, so rotating the secret changes every tenant's tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

log = logging.getLogger(__name__)

DEV_HASH_KEY = "gateway-development-hash-key-not-secret"
_DIGEST_HEX_CHARS = 16  # 64 bits: collisions within one tenant's values are not a concern


class Hasher:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    @classmethod
    def from_environ(cls, environ: dict[str, str]) -> Hasher:
        secret = environ.get("GATEWAY_HASH_KEY", "")
        if not secret:
            log.warning("GATEWAY_HASH_KEY is not set: the `hash` PII action uses the public development key")
        return cls(secret or DEV_HASH_KEY)

    def tenant_key(self, tenant: str) -> bytes:
        return hmac.new(self._secret, b"tenant:" + tenant.encode(), hashlib.sha256).digest()

    def token(self, tenant_key: bytes, entity: str, value: str) -> str:
        digest = hmac.new(tenant_key, f"{entity}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"<{entity}:{digest[:_DIGEST_HEX_CHARS]}>"
