"""The compose files are valid, and the gateway in them points at its PostgreSQL and Redis."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.services import require

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("files", [["docker-compose.yml"], ["docker-compose.yml", "docker-compose.gpu.yml"]])
def test_compose_config_is_valid(files: list[str]) -> None:
    require(shutil.which("docker-compose") is not None, "docker-compose")
    args = [arg for name in files for arg in ("-f", str(ROOT / name))]
    result = subprocess.run(
        ["docker-compose", *args, "config"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    gateway = config["services"]["gateway"]
    assert "postgres" in gateway["depends_on"]
    assert gateway["environment"]["GATEWAY_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "redis" in gateway["depends_on"]
    assert gateway["environment"]["GATEWAY_REDIS_URL"] == "redis://redis:6379/0"
    assert config["services"]["otel-collector"]["profiles"] == ["otel"]  # optional: not started by default
    if "docker-compose.gpu.yml" in files:
        assert gateway["build"]["args"]["LLAMA_GPU_ARGS"] == "-DGGML_CUDA=on"
