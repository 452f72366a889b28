"""Write policy folders for tests: the shipped format, with the knobs tests turn."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

DEMO_KEY = "test-key-demo"
LOCAL_KEY = "test-key-onprem"
STRICT_KEY = "test-key-strict"


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def gateway_yaml(cloud_url: str, timeout_seconds: float = 5.0) -> dict[str, object]:
    return {
        "providers": {
            "openai": {
                "base_url": cloud_url + "/v1",
                "api_key": "sk-standin",
                "timeout_seconds": timeout_seconds,
            },
            "local": {"type": "llama_cpp", "model_path": "${GATEWAY_LOCAL_MODEL}", "n_ctx": 1024},
        },
        "models": {
            "gpt-4o": {"provider": "openai", "location": "cloud"},
            "gpt-4o-mini": {"provider": "openai", "location": "cloud"},
            "fail-500": {"provider": "openai", "location": "cloud"},
            "fail-slow": {"provider": "openai", "location": "cloud"},
            "auto": {"provider": "openai", "location": "any", "upstream_model": "gpt-4o-mini"},
            "local": {"provider": "local", "location": "local"},
        },
    }


def tenants() -> dict[str, dict[str, object]]:
    return {
        "demo": {
            "tenant": "demo",
            "api_keys": [{"name": "app", "sha256": sha(DEMO_KEY)}],
            "models": ["gpt-4o", "gpt-4o-mini", "fail-500", "fail-slow", "auto", "local"],
            "routing": {"default": "cloud", "fallback": "local"},
        },
        "onprem": {
            "tenant": "onprem",
            "api_keys": [{"name": "hr", "sha256": sha(LOCAL_KEY)}],
            "models": ["gpt-4o", "local"],
            "routing": {"residency": "local"},
        },
        "strict": {
            "tenant": "strict",
            "api_keys": [{"name": "svc", "sha256": sha(STRICT_KEY)}],
            "models": ["gpt-4o", "fail-500", "fail-slow", "auto", "local"],
            "routing": {"fallback": "none"},
            "audit": {"content": "none"},
        },
    }


def write_policies(directory: Path, cloud_url: str, timeout_seconds: float = 5.0) -> Path:
    (directory / "tenants").mkdir(parents=True, exist_ok=True)
    (directory / "gateway.yaml").write_text(yaml.safe_dump(gateway_yaml(cloud_url, timeout_seconds)))
    for name, tenant in tenants().items():
        (directory / "tenants" / f"{name}.yaml").write_text(yaml.safe_dump(tenant))
    return directory
