"""Per-tenant request and token rate limits (`limits:` in the tenant's policy)."""

from gateway.limits.window import RateLimiter

__all__ = ["RateLimiter"]
