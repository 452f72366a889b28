"""decide(catalogue, tenant policy, requested model, scan) -> Route. Pure: no I/O, no clock.

A model pins its location (`cloud` or `local`); a catalogue entry with `location: any` follows
the tenant's `routing.default`. Whatever was asked for, `residency: local` and any finding that
must stay local send the request to the tenant's local model.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.checks.base import InputScan
from gateway.errors import ModelNotFound
from gateway.policy.schema import GatewayConfig, Location, TenantPolicy
from gateway.telemetry.spans import stage


@dataclass(frozen=True, slots=True)
class Route:
    location: Location
    model: str  # catalogue name of the model that serves the request
    provider: str
    upstream_model: str  # the name the provider knows it by
    reasons: tuple[str, ...]


def allowed_model(gateway: GatewayConfig, policy: TenantPolicy, model: str) -> None:
    # A model the tenant may not use looks exactly like an unknown one.
    if model not in policy.models or model not in gateway.models:
        # The name is not echoed: callers have been seen to put anything in `model`.
        raise ModelNotFound(
            "The requested model does not exist or you do not have access to it.", param="model"
        )


def _to(gateway: GatewayConfig, model: str, reasons: tuple[str, ...]) -> Route:
    entry = gateway.models[model]
    location: Location = "local" if gateway.providers[entry.provider].is_local else "cloud"
    return Route(location, model, entry.provider, entry.upstream_model or model, reasons)


@stage("routing")
def decide(gateway: GatewayConfig, policy: TenantPolicy, model: str, scan: InputScan) -> Route:
    allowed_model(gateway, policy, model)
    entry = gateway.models[model]
    local_model = policy.routing.local_model
    if entry.location == "local":
        return _to(gateway, model, ("model:local",))
    forced = list(scan.must_stay_local)
    if policy.routing.residency == "local":
        forced.insert(0, "residency:local")
    if forced:
        return _to(gateway, local_model, tuple(forced))
    if entry.location == "any" and policy.routing.default == "local":
        return _to(gateway, local_model, ("default:local",))
    return _to(gateway, model, ("model:cloud" if entry.location == "cloud" else "default:cloud",))


def fallback_route(gateway: GatewayConfig, policy: TenantPolicy, failed: Route) -> Route | None:
    """Where a request goes after its cloud provider failed, or None for `fallback: none`."""
    if failed.location != "cloud" or policy.routing.fallback != "local":
        return None
    return _to(gateway, policy.routing.local_model, (*failed.reasons, "fallback:local"))
