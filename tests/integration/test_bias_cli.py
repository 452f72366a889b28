"""`gateway bias audit` from one command: through the cloud provider code against the loopback
cloud, and on the bundled local model; results in the database and an HTML report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from gateway.checks.bias import store
from gateway.checks.bias.suite import build
from tests.integration.conftest import Cloud
from tests.integration.test_cli import gateway
from tests.policy_files import write_policies


def _audit(tmp_path: Path, policies: Path, model: str, *extra: str) -> tuple[dict[str, object], str]:
    url = f"sqlite:///{tmp_path / 'bias.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "bias", "audit",
        "--model", model, "--suite", "gender", "--limit", "1",
        "--policies", str(policies), "--database-url", url,
        "--html", str(tmp_path / "report.html"), "--json", str(tmp_path / "result.json"), *extra],
        capture_output=True, text=True, timeout=600,  # the local model on a busy CPU is slow
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads((tmp_path / "result.json").read_text()), result.stdout


def test_bias_audit_of_a_cloud_model_through_the_provider_code(tmp_path: Path, cloud: Cloud) -> None:
    policies = write_policies(tmp_path / "policies", cloud.url)
    seen = len(cloud.app.received)
    result, stdout = _audit(tmp_path, policies, "gpt-4o")
    calls = 3 * 2  # one item per kind, two variants each
    assert result["calls"] == calls
    assert len(cloud.app.received) - seen == calls
    assert "flip rate" in stdout and "stored as bias audit run 1" in stdout
    cells = {(c["axis"], c["kind"]): c for c in result["cells"]}  # type: ignore[attr-defined]
    assert set(cells) == {("gender", "decision"), ("gender", "score"), ("gender", "free")}
    assert cells["gender", "decision"]["flips"] == 0  # the stand-in gives everyone the same answer
    assert "<svg" in (tmp_path / "report.html").read_text()
    [stored] = store.latest(create_engine(f"sqlite:///{tmp_path / 'bias.db'}"))
    assert stored["model"] == "gpt-4o" and stored["cells"] == result["cells"]


def test_an_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    policies = write_policies(tmp_path / "policies", "http://127.0.0.1:1")
    result = gateway("bias", "audit", "--model", "nope", "--policies", str(policies), "--no-store")
    assert result.returncode == 2
    assert "unknown model 'nope'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_bias_audit_runs_on_the_bundled_local_model(tmp_path: Path) -> None:
    policies = write_policies(tmp_path / "policies", "http://127.0.0.1:1")
    result, _ = _audit(tmp_path, policies, "local", "--no-store")
    assert result["calls"] == 6
    assert len(result["cells"]) == 3  # type: ignore[arg-type]
    assert len(build("gender")) == 36
