"""Bad input at scale, in CI: `bench/fuzz.py` runs schemathesis against the gateway's OpenAPI
document for over 1,000 cases with a valid key and fails on any 5xx, any status or body that
the document does not allow (the OpenAI error shape for every error), or an audit chain that
does not verify afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.fuzz
def test_a_thousand_generated_requests_get_no_5xx_and_only_documented_answers(tmp_path: Path) -> None:
    summary_file = tmp_path / "fuzz.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fuzz.py"), "--examples", "400", "--output", str(summary_file)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    summary = json.loads(summary_file.read_text())
    assert summary["cases"] >= 1000 and summary["server_errors"] == 0
    assert summary["audit_verify_exit"] == 0
