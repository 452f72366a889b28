"""`GET /metrics`: the Prometheus text format, for every server process of this machine."""

from __future__ import annotations

import asyncio

from litestar import Response, get

from gateway.services import Services
from gateway.telemetry.prometheus import CONTENT_TYPE


@get("/metrics", include_in_schema=False)
async def metrics(services: Services) -> Response[bytes]:
    # Under --workers the scrape reads every process's files: off the event loop.
    body = await asyncio.to_thread(services.telemetry.prometheus.exposition)
    return Response(body, media_type=CONTENT_TYPE)


ROUTES = [metrics]
