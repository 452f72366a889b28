"""Keys: sha256 lookup, malformed headers, new keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import Unauthorized
from gateway.policy.loader import load_policies
from gateway.tenancy.keys import Caller, KeyIndex, key_digest, key_fingerprint, new_key
from tests.policy_files import DEMO_KEY, LOCAL_KEY, write_policies


@pytest.fixture
def index(tmp_path: Path) -> KeyIndex:
    return KeyIndex.build(load_policies(write_policies(tmp_path, "http://127.0.0.1:1"), {}))


def test_known_keys_resolve_to_their_tenant(index: KeyIndex) -> None:
    assert index.resolve(f"Bearer {DEMO_KEY}") == Caller("demo", "app")
    assert index.resolve(f"bearer {LOCAL_KEY}") == Caller("onprem", "hr")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer wrong-key", DEMO_KEY])
def test_anything_else_is_unauthorized(index: KeyIndex, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        index.resolve(header)


def test_new_keys_are_random_and_only_their_digest_is_kept() -> None:
    first, second = new_key(), new_key()
    assert first != second and len(first) > 40
    assert len(key_digest(first)) == 64 and first not in key_digest(first)
    assert key_fingerprint(first) == key_digest(first)[:12]
