"""Signed checkpoints and key configuration."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.audit.checkpoint import checkpoint_from_json, sign_checkpoint, signature_problem
from gateway.audit.keys import AuditKeys, generate_keys
from gateway.errors import GatewayError

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def keys(**environ: str) -> AuditKeys:
    return AuditKeys.from_environ({**generate_keys(), **environ})


def test_a_checkpoint_verifies_with_the_public_key_alone() -> None:
    production = generate_keys()
    signer = AuditKeys.from_environ(production)
    reviewer = AuditKeys.from_environ(
        {"GATEWAY_AUDIT_VERIFY_KEYS": production["GATEWAY_AUDIT_VERIFY_KEYS"]}  # no signing key
    )
    checkpoint = sign_checkpoint(signer.signing_key, 10, 10, "req_10", "a" * 64, NOW)
    assert signature_problem(checkpoint, reviewer) is None
    assert reviewer.uses_dev_signing_key and checkpoint.key_id in reviewer.trusted


@pytest.mark.parametrize(
    "change", [{"size": 11}, {"head_hash": "b" * 64}, {"head_request_id": "req_x"}, {"head_seq": 9}]
)
def test_any_changed_field_breaks_the_signature(change: dict[str, object]) -> None:
    signer = keys()
    checkpoint = sign_checkpoint(signer.signing_key, 10, 10, "req_10", "a" * 64, NOW)
    assert "does not verify" in (signature_problem(replace(checkpoint, **change), signer) or "")  # type: ignore[arg-type]


def test_a_checkpoint_from_another_key_is_not_trusted() -> None:
    checkpoint = sign_checkpoint(keys().signing_key, 10, 10, "req_10", "a" * 64, NOW)
    assert "not a trusted" in (signature_problem(checkpoint, keys()) or "")


def test_the_json_form_round_trips() -> None:
    signer = keys()
    checkpoint = sign_checkpoint(signer.signing_key, 3, 5, "req_5", "c" * 64, NOW)
    again = checkpoint_from_json(checkpoint.as_json())
    assert again == checkpoint and signature_problem(again, signer) is None


def test_keys_are_read_as_hex_or_base64() -> None:
    raw = bytes(range(32))
    for text in (
        raw.hex(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ):
        assert AuditKeys.from_environ({"GATEWAY_AUDIT_MASTER_KEY": text}).master_key == raw


def test_a_short_key_is_a_clear_error() -> None:
    with pytest.raises(GatewayError, match="GATEWAY_AUDIT_MASTER_KEY must be 32 bytes"):
        AuditKeys.from_environ({"GATEWAY_AUDIT_MASTER_KEY": "c2hvcnQ="})


def test_without_keys_the_development_keys_are_used_loudly(caplog: pytest.LogCaptureFixture) -> None:
    dev = AuditKeys.from_environ({})
    assert dev.uses_dev_signing_key and dev.uses_dev_master_key
    assert "PUBLIC development key" in caplog.text
