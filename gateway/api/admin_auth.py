"""Who may read the audit log: reviewer keys from `gateway.yaml` (`reviewers:`), never app keys.

A reviewer key is looked up in constant time like an app key; app keys live in tenant files and
are simply not reviewer keys, so an app key gets the same 401 as any unknown key. The browser
page never keeps the key: its login form exchanges it for a session token (HMAC-SHA256 signed,
expiring after SESSION_SECONDS) held in an HttpOnly, SameSite=Strict cookie, Secure over TLS.
The token names the reviewer entry (by its key's hash), so removing the entry from
`gateway.yaml` ends its sessions at the next reload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from litestar import Request

from gateway.audit.filters import ALL_TENANTS
from gateway.errors import Unauthorized
from gateway.policy.schema import Reviewer
from gateway.tenancy.keys import bearer_key

REVIEW_COOKIE = "gateway_review"
SESSION_SECONDS = 8 * 3600
_SESSION_LABEL = b"gateway-review-session/v1\n"


@dataclass(frozen=True, slots=True)
class ReviewerScope:
    name: str
    tenants: tuple[str, ...]

    @property
    def sees_all(self) -> bool:
        return ALL_TENANTS in self.tenants

    def sees(self, tenant: str | None) -> bool:
        return self.sees_all or (tenant is not None and tenant in self.tenants)


def resolve_reviewer(reviewers: Sequence[Reviewer], key: str) -> ReviewerScope:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    found: ReviewerScope | None = None
    for reviewer in reviewers:  # no early exit: timing says nothing about which entry matched
        if hmac.compare_digest(bytes.fromhex(reviewer.sha256), digest):
            found = ReviewerScope(reviewer.name, tuple(reviewer.tenants))
    if found is None:
        raise Unauthorized("This key may not read the audit log.")
    return found


def session_secret(master_key: bytes) -> bytes:
    """The sessions' HMAC key, derived from the audit master key: every worker and replica
    that can read the audit log accepts the same sessions, and nothing new must be configured."""
    return hashlib.sha256(_SESSION_LABEL + master_key).digest()


def issue_session(key: str, secret: bytes, now: float | None = None) -> str:
    claims = {
        "k": hashlib.sha256(key.encode("utf-8")).hexdigest(),
        "exp": int((now or time.time()) + SESSION_SECONDS),
    }
    encoded = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
    payload = encoded.decode().rstrip("=")  # a cookie value without quoting
    return payload + "." + _signature(secret, payload)


def session_reviewer(
    reviewers: Sequence[Reviewer], token: str, secret: bytes, now: float | None = None
) -> ReviewerScope:
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(_signature(secret, payload), signature):
        raise Unauthorized("Invalid reviewer session: sign in again.")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if float(claims["exp"]) < (now or time.time()):
        raise Unauthorized("The reviewer session has expired: sign in again.")
    digest = bytes.fromhex(str(claims["k"]))
    for reviewer in reviewers:
        if hmac.compare_digest(bytes.fromhex(reviewer.sha256), digest):
            return ReviewerScope(reviewer.name, tuple(reviewer.tenants))
    raise Unauthorized("This reviewer may no longer read the audit log.")


def _signature(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def presented_reviewer(
    request: Request, reviewers: Sequence[Reviewer], secret: bytes, allow_cookie: bool
) -> ReviewerScope:
    """A bearer reviewer key, or (pages only) a valid session cookie."""
    header = request.headers.get("authorization")
    if header:
        return resolve_reviewer(reviewers, bearer_key(header))
    cookie = request.cookies.get(REVIEW_COOKIE) if allow_cookie else None
    if not cookie:
        raise Unauthorized("Missing reviewer key: send 'Authorization: Bearer <key>'.")
    try:
        return session_reviewer(reviewers, cookie, secret)
    except (ValueError, KeyError, TypeError):  # not even a token's shape
        raise Unauthorized("Invalid reviewer session: sign in again.") from None
