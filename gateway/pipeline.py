"""The request's straight line:

    tenancy -> policy -> limits -> input checks -> routing -> provider (fallback) -> output -> audit

Every request that reaches `handle`, allowed, rejected, blocked or failed, leaves exactly one
audit record, committed before the caller sees the end of its response. Nothing leaves
unrecorded: before each attempt on a provider, the attempt's egress entry is committed to the
audit chain (`_send_ready`), or the request is refused with 503 and nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

from gateway.audit.trail import Trail
from gateway.checks.output import OutputGuard
from gateway.errors import GatewayError, PolicyViolation, UpstreamError
from gateway.exchange import Completion, Endpoint, JsonObject
from gateway.parse import parse_request
from gateway.policy.loader import PolicySet
from gateway.policy.schema import Price, TenantPolicy
from gateway.providers.base import ProviderCall
from gateway.routing import Route, decide, fallback_route
from gateway.services import Services
from gateway.telemetry.spans import stage
from gateway.tenancy.keys import bearer_key, key_fingerprint

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Inbound:
    request_id: str
    endpoint: Endpoint | Literal["models", "other"]  # other: a /v1/ path or method not served
    authorization: str | None
    read_body: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    route: Route
    completion: Completion | None = None
    chunks: AsyncIterator[JsonObject] | None = None
    flags: tuple[str, ...] = ()  # checks that flagged (x-gateway-flags); a stream's: input only


async def handle(services: Services, inbound: Inbound) -> Answer:
    assert inbound.endpoint in ("chat", "completions")
    trail = Trail(inbound.request_id, inbound.endpoint)
    try:
        policies, policy = _identify(services, inbound, trail)
        await services.limits.admit(policy.tenant, policy.limits)
        trail.request = request = parse_request(inbound.endpoint, await inbound.read_body())
        trail.model_known = request.model in policies.gateway.models
        trail.scan = await services.checks.scan_input(policy, request)
        trail.route = decide(policies.gateway, policy, request.model, trail.scan)
        guard = services.output_guard(policy, trail.scan)
        if request.stream:
            first, rest = await _open_stream(services, trail)
            chunks = _finish_stream(services, trail, guard, first, rest)
            return Answer(trail.route, chunks=chunks, flags=trail.flags())
        completion = await _answer(trail, guard, await _complete(services, trail))
        trail.usage = completion.usage
        _spend(services, trail)
    except asyncio.CancelledError:  # the client left (api/disconnect.py): nobody waits for the record
        services.spawn(services.conclude(trail.record(499, "client_disconnected", "client_disconnected")))
        raise
    except Exception as raised:
        error = as_gateway_error(raised)
        error.route = trail.route.location if trail.route else None
        await services.conclude(trail.failed(error))
        raise error from None
    await services.conclude(trail.record(200, "ok"))
    return Answer(trail.route, completion=completion, flags=trail.flags())


async def list_models(services: Services, inbound: Inbound) -> list[str]:
    """The models this tenant may use (a listing is audited like any other /v1/ request)."""
    trail = Trail(inbound.request_id, inbound.endpoint)
    try:
        policies, policy = _identify(services, inbound, trail)
    except Exception as raised:
        error = as_gateway_error(raised)
        await services.conclude(trail.failed(error))
        raise error from None
    await services.conclude(trail.record(200, "ok"))
    return [name for name in policy.models if name in policies.gateway.models]


async def refuse(services: Services, inbound: Inbound, error: GatewayError) -> GatewayError:
    """A /v1/ request the gateway does not serve (unknown path, wrong method, oversized
    headers) is still audited: the caller's tenant when its key is valid, else none."""
    trail = Trail(inbound.request_id, inbound.endpoint)
    with suppress(GatewayError):  # an unknown key: the record says so by its missing tenant
        _identify(services, inbound, trail)
    await services.conclude(trail.failed(error))
    return error


def as_gateway_error(raised: Exception) -> GatewayError:
    """A bug still ends as one audit record and a plain 500; only the exception's type is
    logged, since its message could quote the request."""
    if isinstance(raised, GatewayError):
        return raised
    log.error("unexpected %s while serving a request", type(raised).__name__)
    return GatewayError("Internal error.")


@stage("tenancy")  # and policy: who calls, under which policy version
def _identify(services: Services, inbound: Inbound, trail: Trail) -> tuple[PolicySet, TenantPolicy]:
    """Tenancy and policy: who is calling, and which policy version applies to this request."""
    trail.key_fingerprint = _fingerprint(inbound.authorization)
    trail.caller = services.policies.keys.resolve(inbound.authorization)
    policies = services.policies.current
    trail.policy = policy = policies.tenants[trail.caller.tenant]
    trail.policy_version = policies.version
    trail.gateway = policies.gateway  # later stages read this snapshot, never the live policy
    return policies, policy


def _spend(services: Services, trail: Trail) -> None:
    """Count the answer's tokens and cost against the tenant's limits, at the price of the
    model that answered in the request's own policy version."""
    if trail.policy is None:
        return
    entry = trail.gateway.models.get(trail.route.model) if trail.route and trail.gateway else None
    price = entry.price if entry is not None else Price()
    services.limits.spend(trail.policy.tenant, trail.usage, price, trail.policy.limits)


def _fingerprint(authorization: str | None) -> str | None:
    try:
        return key_fingerprint(bearer_key(authorization))
    except GatewayError:
        return None


async def _send_ready(services: Services, trail: Trail) -> tuple[ProviderCall, Route]:
    """The call for the current route, once its egress entry is committed (else 503)."""
    assert trail.scan is not None and trail.route is not None
    try:
        await services.audit.write_egress(trail.sending())
    except GatewayError:
        trail.not_sent()  # refused before egress: the data went nowhere
        raise
    request = trail.scan.request
    return ProviderCall(request.endpoint, trail.route.upstream_model, request.body), trail.route


def _fallback(services: Services, trail: Trail, failure: UpstreamError) -> Route | None:
    assert trail.gateway is not None and trail.policy is not None and trail.route is not None
    trail.attempt_failed(failure)
    return fallback_route(trail.gateway, trail.policy, trail.route)


async def _complete(services: Services, trail: Trail) -> Completion:
    call, route = await _send_ready(services, trail)
    assert trail.gateway is not None
    gateway = trail.gateway
    try:
        completion = await services.providers.get(gateway, route.provider).complete(call)
    except UpstreamError as failure:
        if (fallback := _fallback(services, trail, failure)) is None:
            raise
        trail.route = fallback
        call, route = await _send_ready(services, trail)
        completion = await services.providers.get(gateway, route.provider).complete(call)
    completion.body["model"] = route.model  # the catalogue name of the model that answered
    return completion


async def _answer(trail: Trail, guard: OutputGuard, completion: Completion) -> Completion:
    """The answer through the output checks; what they did is audited even when one blocks."""
    try:
        return await guard.on_completion(completion)
    finally:
        trail.answered(guard)


async def _open_stream(
    services: Services, trail: Trail
) -> tuple[JsonObject | None, AsyncIterator[JsonObject]]:
    """Start the stream and wait for its first chunk, so that failing early can still fall back."""
    assert trail.gateway is not None
    gateway = trail.gateway
    call, route = await _send_ready(services, trail)
    chunks = services.providers.get(gateway, route.provider).stream(call)
    try:
        first = await anext(chunks)
    except UpstreamError as failure:
        if (fallback := _fallback(services, trail, failure)) is None:
            raise
        trail.route = fallback
        call, route = await _send_ready(services, trail)
        chunks = services.providers.get(gateway, route.provider).stream(call)
        first = await anext(chunks)
    except StopAsyncIteration:
        first = None
    return first, chunks


async def _finish_stream(
    services: Services,
    trail: Trail,
    guard: OutputGuard,
    first: JsonObject | None,
    rest: AsyncIterator[JsonObject],
) -> AsyncIterator[JsonObject]:
    # One generator from the provider's chunks to the caller's: every layer costs the event
    # loop CPU per token, which a local model on the same cores pays for in tokens/s.
    assert trail.request is not None and trail.route is not None
    wants_usage = bool((trail.request.body.get("stream_options") or {}).get("include_usage"))
    model, counted = trail.route.model, 0
    outcome: tuple[int, str, str | None] = (200, "client_disconnected", None)
    failure: GatewayError | None = None
    try:
        chunk = first
        while chunk is not None:
            chunk["model"] = model
            usage_only = bool(chunk.get("usage")) and not chunk.get("choices")
            if chunk.get("usage"):
                trail.usage.add_from(chunk)
            if not usage_only or wants_usage:  # the usage chunk we asked for, unless the caller did
                counted += 1 if chunk.get("choices") else 0
                for out in await guard.on_chunk(chunk):
                    yield out
            chunk = await anext(rest, None)
        for out in await guard.finish():
            yield out
        outcome = (200, "ok", None)
    except Exception as raised:  # mid-stream: the status is sent, so report it in-band (below)
        failure = as_gateway_error(raised)
        outcome = (200, "blocked" if isinstance(failure, PolicyViolation) else "error", failure.code)
    finally:
        if not trail.usage.completion_tokens:
            trail.usage.completion_tokens = counted  # local streams carry no usage: one per chunk
        trail.answered(guard)
        _spend(services, trail)
        record = trail.record(*outcome)
        if outcome[1] == "client_disconnected":
            services.spawn(services.conclude(record))  # nobody is left to wait for it
    try:  # reached unless the caller left; the record is safe before the stream's last event
        await services.conclude(record)
    except GatewayError as unrecorded:
        failure = failure or unrecorded
    if failure is not None:  # then [DONE]: a stream never just stops
        yield {"error": {"message": failure.message, "type": failure.error_type, "code": failure.code}}
