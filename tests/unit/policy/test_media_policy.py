"""Policy rules for images (redact, fetching allowed origins) and transformers providers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.errors import PolicyError
from gateway.policy.loader import load_policies
from gateway.policy.schema import origin_of
from tests.policy_files import gateway_yaml, write_policies

KEY = {"name": "a", "sha256": "ef" * 32}


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    return write_policies(tmp_path, "http://127.0.0.1:1")


def tenant_with(policies: Path, **section: Any) -> Path:
    path = policies / "tenants" / "media.yaml"
    path.write_text(yaml.safe_dump({"tenant": "media", "api_keys": [KEY], **section}))
    return path


def test_redact_with_allowed_origins_loads_normalized(policies: Path) -> None:
    hosts = ["https://CDN.example.com:443", "http://127.0.0.1:8123"]
    tenant_with(policies, routing={"images": "redact", "images_fetch": "allow", "images_fetch_hosts": hosts})
    routing = load_policies(policies, {}).tenants["media"].routing
    assert routing.images_fetch_hosts == ["https://cdn.example.com", "http://127.0.0.1:8123"]
    assert routing.images_fetch_private_hosts == []  # names must resolve to public addresses


def test_private_hosts_are_allowed_origins_normalized(policies: Path) -> None:
    hosts = ["https://cdn.example.com", "http://127.0.0.1:8123"]
    routing = {
        "images": "redact",
        "images_fetch": "allow",
        "images_fetch_hosts": hosts,
        "images_fetch_private_hosts": ["HTTP://127.0.0.1:8123/"],
    }
    tenant_with(policies, routing=routing)
    loaded = load_policies(policies, {}).tenants["media"].routing
    assert loaded.images_fetch_private_hosts == ["http://127.0.0.1:8123"]


@pytest.mark.parametrize(
    ("section", "key_path"),
    [
        ({"routing": {"images": "redact"}, "pii": {"enabled": False}}, "routing.images"),
        ({"routing": {"images": "redact", "images_fetch": "allow"}}, "routing.images_fetch_hosts"),
        (
            {"routing": {"images": "allow", "images_fetch": "allow", "images_fetch_hosts": ["https://a.b"]}},
            "routing.images_fetch",
        ),
        (
            {"routing": {"images": "redact", "images_fetch_hosts": ["https://a.b"]}},
            "routing.images_fetch_hosts",
        ),
        (
            {"routing": {"images_fetch": "allow", "images_fetch_hosts": ["https://a.b/path"]}},
            "routing.images_fetch_hosts",
        ),
        (  # an opt-in for an origin that is not allowed at all
            {
                "routing": {
                    "images": "redact",
                    "images_fetch": "allow",
                    "images_fetch_hosts": ["https://a.b"],
                    "images_fetch_private_hosts": ["http://10.0.0.1"],
                }
            },
            "routing.images_fetch_private_hosts.0",
        ),
        (
            {"routing": {"images": "redact", "images_fetch_private_hosts": ["https://a.b"]}},
            "routing.images_fetch_private_hosts",
        ),
    ],
)
def test_image_settings_that_would_not_be_enforced_are_load_errors(
    policies: Path, section: dict[str, Any], key_path: str
) -> None:
    tenant_with(policies, **section)
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert caught.value.key_path == key_path


def test_origins() -> None:
    assert origin_of("https://Example.com/a.png?x=1") == "https://example.com"
    assert origin_of("http://example.com:80/") == "http://example.com"
    assert origin_of("https://example.com:8443/a") == "https://example.com:8443"
    assert origin_of("http://[::1]:9/x") == "http://[::1]:9"
    for bad in (
        "file:///etc/passwd",
        "ftp://example.com",
        "https://",
        "data:image/png;base64,AA",
        "http://a:x/",
    ):
        assert origin_of(bad) is None


def write_gateway(policies: Path, provider: dict[str, Any]) -> None:
    config = gateway_yaml("http://127.0.0.1:1")
    config["providers"]["hf"] = provider  # type: ignore[index]
    config["models"]["hf"] = {"provider": "hf", "location": "local"}  # type: ignore[index]
    (policies / "gateway.yaml").write_text(yaml.safe_dump(config))


def test_a_transformers_provider_is_local(policies: Path) -> None:
    write_gateway(policies, {"type": "transformers", "model_path": "/models/pythia", "dtype": "bfloat16"})
    provider = load_policies(policies, {}).gateway.providers["hf"]
    assert provider.is_local and provider.dtype == "bfloat16" and provider.device == "auto"


@pytest.mark.parametrize(
    ("provider", "key_path"),
    [
        ({"type": "transformers"}, "providers.hf.model_path"),
        ({"type": "llama_cpp", "dtype": "float16"}, "providers.hf.dtype"),
        ({"type": "transformers", "model_path": "/m", "dtype": "float8"}, "providers.hf.dtype"),
        ({"type": "transformers", "model_path": "/m", "max_new_tokens": 0}, "providers.hf.max_new_tokens"),
    ],
)
def test_transformers_settings_are_checked(policies: Path, provider: dict[str, Any], key_path: str) -> None:
    write_gateway(policies, provider)
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert caught.value.key_path == key_path
