"""Liveness (the process answers) and readiness (policy loaded, the audit store takes writes:
without that nothing may be sent to a provider, so the gateway is not ready)."""

from __future__ import annotations

import asyncio

from litestar import Response, get

from gateway.services import Services


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz")
async def readyz(services: Services) -> Response[dict[str, str]]:
    def ping() -> None:
        if not services.audit.can_write():
            raise ConnectionError("the audit store does not take writes")

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), timeout=2)
    except Exception as exc:  # any failure means "not ready"; the type is enough to say why
        reason = (
            "audit_unavailable" if isinstance(exc, (ConnectionError, TimeoutError)) else type(exc).__name__
        )
        return Response({"status": "unavailable", "reason": reason}, status_code=503)
    return Response({"status": "ready", "policy_version": services.policies.current.version})


ROUTES = [healthz, readyz]
