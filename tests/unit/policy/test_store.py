"""Live reload: a good edit goes live, a broken one is logged and the last good policy stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.errors import PolicyError
from gateway.policy.store import PolicyStore
from tests.policy_files import write_policies


def touch_later(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))  # mtime granularity


def test_reload_applies_a_valid_edit(tmp_path: Path) -> None:
    store = PolicyStore(write_policies(tmp_path, "http://127.0.0.1:1"), {})
    assert store.reload_if_changed() is False
    demo = tmp_path / "tenants" / "demo.yaml"
    touch_later(demo, demo.read_text().replace("default: cloud", "default: local"))
    assert store.reload_if_changed() is True
    assert store.current.tenants["demo"].routing.default == "local"


def test_reload_keeps_the_last_good_policy(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = PolicyStore(write_policies(tmp_path, "http://127.0.0.1:1"), {})
    good = store.current
    touch_later(tmp_path / "tenants" / "demo.yaml", "tenant: demo\napi_keys: {oops\n")
    assert store.reload_if_changed() is False
    assert store.current is good
    assert "demo.yaml" in caplog.text and "keeping version" in caplog.text


def test_broken_policy_refuses_to_start(tmp_path: Path) -> None:
    write_policies(tmp_path, "http://127.0.0.1:1")
    (tmp_path / "gateway.yaml").write_text("providers: {}\nmodels: {x: {provider: nope, location: cloud}}\n")
    with pytest.raises(PolicyError, match=r"gateway.yaml:2: models.x.provider"):
        PolicyStore(tmp_path, {})
