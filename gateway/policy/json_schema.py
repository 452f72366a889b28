"""The policy files' JSON Schema, generated from the same models the loader validates with.

Editors that speak the YAML language server read it from the `# yaml-language-server: $schema=`
line at the top of each shipped file: they complete check names and flag unknown keys before
the gateway ever sees the file. The committed copies (`policies/schema/`) are kept equal to
what this module generates by a test; `gateway policy schema --write policies/schema` renews them.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from gateway.policy.schema import GatewayConfig, TenantPolicy

SCHEMA_FILES: dict[str, tuple[type[BaseModel], str]] = {
    "tenant.schema.json": (TenantPolicy, "A tenant's policy (policies/tenants/<tenant>.yaml)"),
    "gateway.schema.json": (GatewayConfig, "What all tenants share (policies/gateway.yaml)"),
}


def policy_schema(file_name: str) -> dict[str, Any]:
    model, title = SCHEMA_FILES[file_name]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(),
        "title": title,
    }


def rendered(file_name: str) -> str:
    return json.dumps(policy_schema(file_name), indent=2, sort_keys=True) + "\n"
