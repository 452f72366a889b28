"""Liveness (the process answers) and readiness, part by part.

`/readyz` names each part and its state: `database` (`ok`, or why the audit store takes no
writes) and each local model worker (`local_model:<provider>`: `ready`, `starting`, `stopped`
until first used, `restarting` after it died). 503 when the audit store takes no writes:
without it nothing may be sent to a provider. 200 `degraded` when only a local model is down:
cloud traffic is served as usual, and requests that must stay local get 503 with Retry-After.
"""

from __future__ import annotations

import asyncio

from litestar import Response, get

from gateway.services import Services

_SERVING_STATES = ("ready", "stopped")  # stopped: not started yet, starts on the first request


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz")
async def readyz(services: Services) -> Response[dict[str, object]]:
    def ping() -> None:
        if not services.audit.can_write():
            raise ConnectionError("the audit store does not take writes")

    policies = services.policies.current
    parts: dict[str, str] = {"database": "ok"}
    try:
        await asyncio.wait_for(asyncio.to_thread(ping), timeout=2)
    except Exception as exc:  # any failure means "not ready"; the type is enough to say why
        unavailable = isinstance(exc, (ConnectionError, TimeoutError))
        parts["database"] = "audit_unavailable" if unavailable else type(exc).__name__
    for name, state in services.providers.worker_states(policies.gateway).items():
        parts[f"local_model:{name}"] = state
    down = [part for part, state in parts.items() if state not in ("ok", *_SERVING_STATES)]
    body: dict[str, object] = {"policy_version": policies.version, "parts": parts, "down": down}
    if parts["database"] != "ok":
        return Response({"status": "unavailable", "reason": parts["database"], **body}, status_code=503)
    return Response({"status": "degraded" if down else "ready", **body})


ROUTES = [healthz, readyz]
