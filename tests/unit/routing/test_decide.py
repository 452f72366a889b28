"""Routing is a pure function: every rule checked without I/O."""

from __future__ import annotations

import pytest

from gateway.checks.base import InputScan
from gateway.errors import ModelNotFound
from gateway.exchange import CompletionRequest
from gateway.policy.loader import PolicySet, load_policies
from gateway.routing import decide, fallback_route
from tests.policy_files import write_policies


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    return load_policies(write_policies(tmp_path_factory.mktemp("p"), "http://127.0.0.1:1"), {})


def scan(model: str, stay_local: tuple[str, ...] = ()) -> InputScan:
    request = CompletionRequest("chat", model, False, {"model": model, "messages": []})
    return InputScan(request=request, must_stay_local=stay_local)


def test_cloud_model_goes_to_the_cloud(policies: PolicySet) -> None:
    route = decide(policies.gateway, policies.tenants["demo"], "gpt-4o", scan("gpt-4o"))
    assert (route.location, route.model, route.provider, route.reasons) == (
        "cloud",
        "gpt-4o",
        "openai",
        ("model:cloud",),
    )


def test_residency_local_wins_over_the_model(policies: PolicySet) -> None:
    route = decide(policies.gateway, policies.tenants["onprem"], "gpt-4o", scan("gpt-4o"))
    assert (route.location, route.model, route.reasons) == ("local", "local", ("residency:local",))


def test_must_stay_local_findings_route_locally_and_are_named(policies: PolicySet) -> None:
    route = decide(policies.gateway, policies.tenants["demo"], "gpt-4o", scan("gpt-4o", ("pii:CREDIT_CARD",)))
    assert (route.location, route.reasons) == ("local", ("pii:CREDIT_CARD",))


def test_location_any_follows_the_tenant_default(policies: PolicySet) -> None:
    cloud = decide(policies.gateway, policies.tenants["demo"], "auto", scan("auto"))
    assert (cloud.location, cloud.upstream_model, cloud.reasons) == (
        "cloud",
        "gpt-4o-mini",
        ("default:cloud",),
    )
    local = decide(policies.gateway, policies.tenants["strict"], "auto", scan("auto"))
    assert (local.location, local.model, local.reasons) == ("local", "local", ("default:local",))


@pytest.mark.parametrize("model", ["gpt-4o-mini", "unknown-model"])
def test_unlisted_and_unknown_models_are_the_same_404(policies: PolicySet, model: str) -> None:
    with pytest.raises(ModelNotFound) as caught:
        decide(policies.gateway, policies.tenants["onprem"], model, scan(model))
    assert model not in caught.value.message


def test_fallback_only_from_the_cloud_and_only_when_allowed(policies: PolicySet) -> None:
    demo, strict = policies.tenants["demo"], policies.tenants["strict"]
    cloud = decide(policies.gateway, demo, "gpt-4o", scan("gpt-4o"))
    fallback = fallback_route(policies.gateway, demo, cloud)
    assert fallback is not None and fallback.location == "local" and fallback.reasons[-1] == "fallback:local"
    assert (
        fallback_route(policies.gateway, strict, decide(policies.gateway, strict, "gpt-4o", scan("gpt-4o")))
        is None
    )
    local = decide(policies.gateway, demo, "local", scan("local"))
    assert fallback_route(policies.gateway, demo, local) is None
