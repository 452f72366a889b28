"""Liveness (the process answers) and readiness (policy loaded, database reachable)."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from sqlalchemy import text

from gateway.services import Services


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz")
async def readyz(services: Services) -> Response[dict[str, str]]:
    def ping() -> None:
        with services.audit.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), timeout=2)
    except Exception as exc:  # any failure means "not ready"; the type is enough to say why
        return Response({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    return Response({"status": "ready", "policy_version": services.policies.current.version})


ROUTES = [healthz, readyz]
