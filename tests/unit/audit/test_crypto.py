"""Content sealing and data key wrapping (AES-256-GCM)."""

from __future__ import annotations

import pytest

from gateway.audit.crypto import (
    envelope_key_id,
    new_data_key,
    open_sealed,
    seal,
    unwrap_data_key,
    wrap_data_key,
)
from gateway.errors import GatewayError

KEY = new_data_key()


def test_sealed_content_opens_only_for_its_record_and_field() -> None:
    sealed = seal(KEY, "k1", "req_1", "request_content", "user: hello <PERSON_1>")
    assert sealed.startswith("gwenc1:k1:") and "hello" not in sealed
    assert envelope_key_id(sealed) == "k1"
    assert open_sealed(KEY, "req_1", "request_content", sealed) == "user: hello <PERSON_1>"
    with pytest.raises(GatewayError):
        open_sealed(KEY, "req_2", "request_content", sealed)  # moved to another record
    with pytest.raises(GatewayError):
        open_sealed(KEY, "req_1", "response_content", sealed)  # moved to another field
    with pytest.raises(GatewayError):
        open_sealed(new_data_key(), "req_1", "request_content", sealed)  # another key


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert seal(KEY, "k", "r", "f", "same") != seal(KEY, "k", "r", "f", "same")


def test_plaintext_is_not_an_envelope() -> None:
    assert envelope_key_id("user: legacy plaintext") is None


def test_data_keys_unwrap_only_with_the_master_key_and_for_their_tenant() -> None:
    master = new_data_key()
    wrapped = wrap_data_key(master, "k1", "acme", KEY)
    assert unwrap_data_key(master, "k1", "acme", wrapped) == KEY
    with pytest.raises(GatewayError, match="master key"):
        unwrap_data_key(new_data_key(), "k1", "acme", wrapped)
    with pytest.raises(GatewayError):
        unwrap_data_key(master, "k1", "globex", wrapped)
