"""create_app(settings): wires routes, dependencies, error handlers and lifecycle; no logic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.exceptions import HTTPException

from gateway.api import completions, health, metrics, openapi, unserved
from gateway.api.admin import AuditReviewPlugin
from gateway.api.errors import on_gateway_error, on_http_exception, on_unexpected
from gateway.api.request_id import add_request_id
from gateway.errors import GatewayError
from gateway.services import Services
from gateway.settings import Settings


def create_app(settings: Settings, services: Services | None = None) -> Litestar:
    services = services or Services.build(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        services.audit.start()
        services.start()
        await services.limits.start()  # budgets start from the audit log's month-to-date spend
        watcher = asyncio.create_task(services.policies.watch(settings.policy_reload_seconds))
        try:
            yield
        finally:
            watcher.cancel()
            await services.aclose()

    return Litestar(
        route_handlers=[
            *completions.ROUTES,
            *health.ROUTES,
            *metrics.ROUTES,
            *openapi.ROUTES,
            *unserved.ROUTES,
        ],
        dependencies={"services": Provide(lambda: services, use_cache=True, sync_to_thread=False)},
        exception_handlers={
            GatewayError: on_gateway_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
        before_send=[add_request_id],
        middleware=[unserved.header_limit(services)],
        lifespan=[lifespan],
        plugins=[AuditReviewPlugin()],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=None,
        debug=False,
    )
