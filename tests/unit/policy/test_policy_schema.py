"""The `checks:` sections come from the check registry; the JSON Schema from the same models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.errors import PolicyError
from gateway.policy.json_schema import SCHEMA_FILES, policy_schema, rendered
from gateway.policy.loader import load_policies
from tests.policy_files import write_policies

ROOT = Path(__file__).parents[3]
KEY = "ab" * 32


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    return write_policies(tmp_path, "http://127.0.0.1:1")


def tenant_file(policies: Path, checks_yaml: str) -> Path:
    path = policies / "tenants" / "checked.yaml"
    path.write_text(f"tenant: checked\napi_keys:\n  - {{name: a, sha256: '{KEY}'}}\nchecks:\n{checks_yaml}")
    return path


def test_a_check_the_registry_does_not_know_is_a_load_error_naming_file_line_and_key(policies: Path) -> None:
    path = tenant_file(policies, "  output:\n    pii: {action: redact}\n    sentiment: {action: block}\n")
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert (caught.value.path, caught.value.line) == (str(path), 7)
    assert caught.value.key_path == "checks.output.sentiment"
    assert "unknown check" in caught.value.problem and "pii" in caught.value.problem


def test_a_key_the_checks_model_does_not_take_is_a_load_error(policies: Path) -> None:
    path = tenant_file(policies, "  output:\n    pii:\n      action: redact\n      threshold: 0.5\n")
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert str(caught.value) == f"{path}:8: checks.output.pii.threshold: unknown key"


def test_an_action_the_check_does_not_support_is_a_load_error(policies: Path) -> None:
    tenant_file(policies, "  output:\n    pii: {action: local_only}\n")
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert caught.value.key_path == "checks.output.pii.action" and caught.value.line == 6


def test_a_configured_check_is_typed_by_its_own_model(policies: Path) -> None:
    tenant_file(policies, "  output:\n    pii: {action: shadow}\n")
    checks = load_policies(policies, {}).tenants["checked"].checks
    (name, config), *rest = checks.output.configured().items()
    assert (name, config.action, config.shadow, rest) == ("pii", "shadow", True, [])
    assert checks.input.configured() == {}


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_the_committed_schema_files_are_what_the_models_generate(name: str) -> None:
    committed = (ROOT / "policies" / "schema" / name).read_text(encoding="utf-8")
    assert committed == rendered(name), "run: gateway policy schema --write policies/schema"


def test_the_schema_names_every_check_and_forbids_unknown_ones() -> None:
    schema = policy_schema("tenant.schema.json")
    output = schema["$defs"]["OutputChecks"]
    assert output["additionalProperties"] is False and "pii" in output["properties"]
    assert schema["$defs"]["PiiOutputConfig"]["additionalProperties"] is False


def test_every_shipped_policy_file_points_editors_at_its_schema() -> None:
    files = [ROOT / "policies" / "gateway.yaml", *sorted((ROOT / "policies" / "tenants").glob("*.yaml"))]
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        expected = "gateway.schema.json" if path.name == "gateway.yaml" else "tenant.schema.json"
        assert target == (ROOT / "policies" / "schema" / expected).resolve()


def test_policy_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == policy_schema("tenant.schema.json")
