"""Policy loading: typed validation, `${VAR}` expansion, errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import PolicyError
from gateway.policy.envsubst import expand
from gateway.policy.loader import load_policies
from tests.policy_files import write_policies


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    return write_policies(tmp_path, "http://127.0.0.1:1")


def test_shipped_example_policies_are_valid() -> None:
    loaded = load_policies(Path(__file__).parents[3] / "policies", {})
    assert {"demo", "onprem"} <= set(loaded.tenants)
    assert loaded.tenants["onprem"].routing.residency == "local"


def test_defaults_are_the_safe_ones(policies: Path) -> None:
    (policies / "tenants" / "minimal.yaml").write_text(
        "tenant: minimal\napi_keys:\n  - {name: a, sha256: '" + "ab" * 32 + "'}\n"
    )
    tenant = load_policies(policies, {}).tenants["minimal"]
    assert tenant.pii.enabled and tenant.pii.default_action == "redact"
    assert tenant.routing.default == "local" and tenant.audit.content == "redacted"


def test_unknown_key_names_file_line_and_path(policies: Path) -> None:
    path = policies / "tenants" / "typo.yaml"
    path.write_text(
        "tenant: typo\napi_keys:\n  - {name: a, sha256: '" + "cd" * 32 + "'}\nrouting:\n  residncy: local\n"
    )
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert (caught.value.path, caught.value.line, caught.value.key_path) == (str(path), 5, "routing.residncy")
    assert str(caught.value) == f"{path}:5: routing.residncy: unknown key"


def test_bad_value_is_reported_at_its_line(policies: Path) -> None:
    path = policies / "tenants" / "bad.yaml"
    path.write_text("tenant: bad\napi_keys:\n  - name: a\n    sha256: nothex\n")
    with pytest.raises(PolicyError) as caught:
        load_policies(policies, {})
    assert caught.value.line == 4 and caught.value.key_path == "api_keys.0.sha256"


def test_invalid_yaml_is_reported_with_its_line(policies: Path) -> None:
    (policies / "tenants" / "broken.yaml").write_text("tenant: x\napi_keys: [\n")
    with pytest.raises(PolicyError, match="invalid YAML") as caught:
        load_policies(policies, {})
    assert caught.value.line is not None


def test_tenant_model_must_exist_in_the_catalogue(policies: Path) -> None:
    (policies / "tenants" / "m.yaml").write_text(
        "tenant: m\napi_keys:\n  - {name: a, sha256: '" + "ef" * 32 + "'}\nmodels: [gpt-4o, gpt-9]\n"
    )
    with pytest.raises(PolicyError, match="gpt-9") as caught:
        load_policies(policies, {})
    assert caught.value.key_path == "models.1" and caught.value.line == 4


def test_a_key_used_twice_is_rejected(policies: Path) -> None:
    demo_key = (policies / "tenants" / "demo.yaml").read_text().split("sha256: ")[1].split()[0]
    (policies / "tenants" / "z.yaml").write_text(
        f"tenant: z\napi_keys:\n  - {{name: a, sha256: {demo_key}}}\n"
    )
    with pytest.raises(PolicyError, match="already used"):
        load_policies(policies, {})


def test_environment_references_are_expanded(policies: Path) -> None:
    gateway = policies / "gateway.yaml"
    gateway.write_text(gateway.read_text().replace("sk-standin", "${CLOUD_KEY:-fallback}"))
    assert load_policies(policies, {"CLOUD_KEY": "sk-1"}).gateway.providers["openai"].api_key == "sk-1"
    assert load_policies(policies, {}).gateway.providers["openai"].api_key == "fallback"


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("${A}", {}, ""),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("pre-${A}-${B:-b}", {"A": "a"}, "pre-a-b"),
        ("$A ${", {"A": "a"}, "$A ${"),
    ],
)
def test_expand(text: str, environ: dict[str, str], expected: str) -> None:
    assert expand(text, environ) == expected


def test_version_changes_with_the_files(policies: Path) -> None:
    before = load_policies(policies, {}).version
    (policies / "tenants" / "demo.yaml").write_text(
        (policies / "tenants" / "demo.yaml").read_text() + "\n# edited\n"
    )
    assert load_policies(policies, {}).version != before
