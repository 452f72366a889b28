"""Load `gateway.yaml` + `tenants/*.yaml` into one validated, immutable `PolicySet`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gateway.checks.registry import registered
from gateway.errors import PolicyError
from gateway.policy.envsubst import expand_tree
from gateway.policy.schema import GatewayConfig, ProviderConfig, TenantPolicy
from gateway.policy.yaml_source import YamlDocument, read_yaml

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PolicySet:
    gateway: GatewayConfig
    tenants: Mapping[str, TenantPolicy]
    version: str  # sha256 of the files in force, so an audit record names its policy exactly


def policy_files(directory: Path) -> list[Path]:
    return [directory / "gateway.yaml", *sorted((directory / "tenants").glob("*.yaml"))]


def load_policies(directory: Path, environ: Mapping[str, str]) -> PolicySet:
    gateway_path = directory / "gateway.yaml"
    if not gateway_path.is_file():
        raise PolicyError(str(gateway_path), None, "", "file not found")
    gateway_doc = read_yaml(gateway_path)
    gateway = _validate(gateway_doc, GatewayConfig, environ)
    _check_catalogue(gateway_doc, gateway)

    tenants: dict[str, TenantPolicy] = {}
    key_owners: dict[str, str] = {}
    for path in sorted((directory / "tenants").glob("*.yaml")):
        doc = read_yaml(path)
        tenant = _validate(doc, TenantPolicy, environ)
        _check_tenant(doc, tenant, gateway)
        if tenant.tenant in tenants:
            raise doc.error(("tenant",), f"tenant {tenant.tenant!r} is defined twice")
        for index, key in enumerate(tenant.api_keys):
            if key.sha256 in key_owners:
                raise doc.error(("api_keys", index, "sha256"), "key already used by another entry")
            key_owners[key.sha256] = tenant.tenant
        tenants[tenant.tenant] = tenant

    digest = hashlib.sha256()
    for path in policy_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return PolicySet(gateway=gateway, tenants=tenants, version=digest.hexdigest()[:16])


def _validate(doc: YamlDocument, model: type[ModelT], environ: Mapping[str, str]) -> ModelT:
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping at the top of the file")
    try:
        return model.model_validate(expand_tree(doc.data, environ))
    except ValidationError as exc:
        first = exc.errors()[0]
        key_path = tuple(first["loc"])
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        if first["type"] == "extra_forbidden" and _is_check_name(key_path):
            known = ", ".join(entry.name for entry in registered(key_path[1])) or "none"  # type: ignore[arg-type]
            problem = f"unknown check (known {key_path[1]} checks: {known})"
        raise doc.error(key_path, problem) from None


_TRANSFORMERS_ONLY = ("device", "dtype", "max_new_tokens", "chat_template")


def _is_check_name(key_path: tuple[object, ...]) -> bool:
    """`checks.input.<name>` / `checks.output.<name>`: the name of a check."""
    return len(key_path) == 3 and key_path[0] == "checks" and key_path[1] in ("input", "output")


def _check_catalogue(doc: YamlDocument, gateway: GatewayConfig) -> None:
    for name, config in gateway.providers.items():
        _check_provider(doc, name, config)
    for name, entry in gateway.models.items():
        provider = gateway.providers.get(entry.provider)
        if provider is None:
            raise doc.error(("models", name, "provider"), f"unknown provider {entry.provider!r}")
        if entry.location == "local" and not provider.is_local:
            raise doc.error(
                ("models", name, "location"), "a local model needs a llama_cpp or transformers provider"
            )
        if entry.location == "cloud" and provider.is_local:
            raise doc.error(("models", name, "location"), f"a {provider.type} provider is local")


def _check_provider(doc: YamlDocument, name: str, config: ProviderConfig) -> None:
    # A setting the provider would ignore must not look as if it were in force.
    if config.type != "transformers":
        for key in _TRANSFORMERS_ONLY:
            if key in config.model_fields_set:
                raise doc.error(("providers", name, key), "only a transformers provider takes this key")
    elif not config.model_path:
        raise doc.error(("providers", name, "model_path"), "a transformers provider needs a model directory")


def _check_tenant(doc: YamlDocument, tenant: TenantPolicy, gateway: GatewayConfig) -> None:
    for index, model in enumerate(tenant.models):
        if model not in gateway.models:
            raise doc.error(("models", index), f"model {model!r} is not in gateway.yaml")
    local = gateway.models.get(tenant.routing.local_model)
    if local is None or local.location != "local":
        raise doc.error(("routing", "local_model"), "must name a local model of gateway.yaml")
    if not tenant.api_keys:
        raise doc.error(("api_keys",), "at least one key is required")
    _check_images(doc, tenant)


def _check_images(doc: YamlDocument, tenant: TenantPolicy) -> None:
    routing = tenant.routing
    if routing.images == "redact" and not tenant.pii.enabled:
        raise doc.error(("routing", "images"), "redact runs the PII policy on images: pii.enabled is false")
    if routing.images_fetch == "allow":
        if routing.images not in ("redact", "local_only"):
            raise doc.error(
                ("routing", "images_fetch"), "the gateway fetches images only under redact or local_only"
            )
        if not routing.images_fetch_hosts:
            raise doc.error(("routing", "images_fetch_hosts"), "images_fetch: allow needs allowed hosts")
        for index, origin in enumerate(routing.images_fetch_private_hosts):
            if origin not in routing.images_fetch_hosts:
                raise doc.error(
                    ("routing", "images_fetch_private_hosts", index), "must also be in images_fetch_hosts"
                )
    elif routing.images_fetch_hosts or routing.images_fetch_private_hosts:
        key = "images_fetch_hosts" if routing.images_fetch_hosts else "images_fetch_private_hosts"
        raise doc.error(("routing", key), "hosts are only used with images_fetch: allow")
