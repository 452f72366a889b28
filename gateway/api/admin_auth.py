"""Who may read the audit log: reviewer keys from `gateway.yaml` (`reviewers:`), never app keys.

A reviewer key is looked up in constant time like an app key; app keys live in tenant files and
are simply not reviewer keys, so an app key gets the same 401 as any unknown key. The browser
page carries the key in an HttpOnly, SameSite=Strict cookie set by its login form.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from litestar import Request

from gateway.audit.filters import ALL_TENANTS
from gateway.errors import Unauthorized
from gateway.policy.schema import Reviewer
from gateway.tenancy.keys import bearer_key

REVIEW_COOKIE = "gateway_review"


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


def presented_key(request: Request, allow_cookie: bool) -> str:
    header = request.headers.get("authorization")
    if header:
        return bearer_key(header)
    cookie = request.cookies.get(REVIEW_COOKIE) if allow_cookie else None
    if not cookie:
        raise Unauthorized("Missing reviewer key: send 'Authorization: Bearer <key>'.")
    return cookie
