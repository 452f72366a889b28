"""The `gateway` command as admins and reviewers run it: a real subprocess each time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from gateway.policy.loader import load_policies
from tests.policy_files import write_policies


def gateway(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_policy_validate_accepts_the_shipped_policies() -> None:
    result = gateway("policy", "validate", str(Path(__file__).parents[2] / "policies"))
    assert result.returncode == 0 and result.stdout.startswith("ok:")


def test_policy_validate_names_file_line_and_key(tmp_path: Path) -> None:
    write_policies(tmp_path, "http://127.0.0.1:1")
    bad = tmp_path / "tenants" / "demo.yaml"
    bad.write_text(bad.read_text() + "limits:\n  requests_per_minut: 5\n")
    result = gateway("policy", "validate", str(tmp_path))
    assert result.returncode != 0
    assert f"{bad}:" in result.stderr and "limits.requests_per_minut: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_to_start_on_a_broken_policy(tmp_path: Path) -> None:
    write_policies(tmp_path / "p", "http://127.0.0.1:1")
    (tmp_path / "p" / "tenants" / "demo.yaml").write_text("tenant: demo\n")
    result = gateway(
        "serve",
        "--policies",
        str(tmp_path / "p"),
        "--database-url",
        f"sqlite:///{tmp_path}/g.db",
        "--port",
        "1",
    )
    assert result.returncode != 0 and "demo.yaml" in result.stderr and "api_keys" in result.stderr


def test_keys_create_prints_a_key_and_a_valid_yaml_entry(tmp_path: Path) -> None:
    result = gateway("keys", "create", "--tenant", "demo", "--name", "billing")
    assert result.returncode == 0
    key, _comment, entry = result.stdout.splitlines()[:3]
    assert key.startswith("gw-")
    write_policies(tmp_path, "http://127.0.0.1:1")
    demo = tmp_path / "tenants" / "demo.yaml"
    document = yaml.safe_load(demo.read_text())
    document["api_keys"] += yaml.safe_load(entry)
    demo.write_text(yaml.safe_dump(document))
    from gateway.tenancy.keys import KeyIndex

    assert KeyIndex.build(load_policies(tmp_path, {})).resolve(f"Bearer {key}").key_name == "billing"


def test_db_upgrade_then_audit_verify_on_an_empty_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert gateway("db", "upgrade", "--database-url", url).returncode == 0
    verify = gateway("audit", "verify", "--database-url", url)
    assert verify.returncode == 0 and "0 record(s)" in verify.stdout


def test_policy_test_shows_findings_route_and_what_would_be_forwarded() -> None:
    policies = str(Path(__file__).parents[2] / "policies")
    prompt = "I am John Smith, card 4111 1111 1111 1111, mail john.smith@example.com"
    result = gateway(
        "policy", "test", "--policies", policies, "--tenant", "demo", "--model", "gpt-4o", "--prompt", prompt
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["route"] == {"location": "local", "model": "local", "reasons": ["pii:CREDIT_CARD"]}
    pii = {f["kind"] for f in report["findings"] if f["check"] == "pii"}
    assert pii == {"PERSON", "CREDIT_CARD", "EMAIL_ADDRESS"}
    assert "John Smith" not in report["forwarded"] and "<PERSON_1>" in report["forwarded"]
    blocked = gateway(
        "policy",
        "test",
        "--policies",
        policies,
        "--tenant",
        "demo",
        "--model",
        "gpt-4o",
        "--prompt",
        "my SSN is 078-05-1120",
    )
    assert json.loads(blocked.stdout)["blocked"]["param"] == "pii:US_SSN"
    assert "078-05-1120" not in blocked.stdout
