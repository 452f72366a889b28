"""Per-entity actions on one text: mask, overlaps, pseudonyms, keyed hashes."""

from __future__ import annotations

from functools import partial

from gateway.checks.pii.actions import Pseudonyms, apply, mask, resolve
from gateway.checks.pii.detector import Span
from gateway.checks.pii.hashing import Hasher


def test_mask_keeps_the_last_four_characters() -> None:
    assert mask("+1 415 555 0132") == "***********0132"
    assert mask("1234") == "****"  # a short value is starred whole: keeping 4 would keep it all
    assert mask("ab") == "**"


def test_overlapping_spans_become_one_span_named_after_the_longest() -> None:
    spans = (
        Span("PERSON", 0, 4, 0.85),
        Span("PERSON", 0, 10, 0.7),  # "Jane" and "Jane Smith": one span, the wider
        Span("PHONE_NUMBER", 20, 31, 0.5),
        Span("US_SSN", 20, 31, 0.95),  # same length: the higher score names it
        Span("PHONE_NUMBER", 40, 55, 0.6),
        Span("UK_NHS", 43, 55, 1.0),  # "+1-830-453-6161": the longer phone number wins
    )
    assert resolve(spans) == [
        Span("PERSON", 0, 10, 0.7),
        Span("US_SSN", 20, 31, 0.95),
        Span("PHONE_NUMBER", 40, 55, 0.6),
    ]
    # A partial overlap is covered whole, so no end of either value is left out.
    assert resolve((Span("A", 0, 10, 0.9), Span("B", 5, 20, 0.5))) == [Span("B", 0, 20, 0.5)]


def test_pseudonyms_are_consistent_and_numbered_per_entity() -> None:
    names = Pseudonyms()
    assert names.token("PERSON", "Jane") == "<PERSON_1>"
    assert names.token("PERSON", "Omar") == "<PERSON_2>"
    assert names.token("PERSON", "Jane") == "<PERSON_1>"
    assert names.token("EMAIL_ADDRESS", "j@x.io") == "<EMAIL_ADDRESS_1>"
    assert dict(names.pairs()) == {"<PERSON_1>": "Jane", "<PERSON_2>": "Omar", "<EMAIL_ADDRESS_1>": "j@x.io"}


def test_a_token_the_caller_wrote_itself_is_never_issued() -> None:
    names = Pseudonyms(reserved="please keep the literal <PERSON_1> as it is")
    assert names.token("PERSON", "Jane") == "<PERSON_2>"


def test_hash_is_keyed_per_tenant_and_stable() -> None:
    hasher = Hasher("secret")
    acme, globex = hasher.tenant_key("acme"), hasher.tenant_key("globex")
    first = hasher.token(acme, "EMAIL_ADDRESS", "jane@example.com")
    assert first == hasher.token(acme, "EMAIL_ADDRESS", "jane@example.com")
    assert first != hasher.token(globex, "EMAIL_ADDRESS", "jane@example.com")
    assert first != Hasher("other secret").token(
        Hasher("other secret").tenant_key("acme"), "EMAIL_ADDRESS", "jane@example.com"
    )
    assert first.startswith("<EMAIL_ADDRESS:") and "jane" not in first


def test_apply_forwards_one_form_and_audits_another() -> None:
    text = "Jane Smith paid with 4111 1111 1111 1111, call 415-555-0132 or mail jane@example.com"
    spans = [
        Span("PERSON", 0, 10, 0.85),
        Span("CREDIT_CARD", 21, 40, 1.0),
        Span("PHONE_NUMBER", 47, 59, 0.6),
        Span("EMAIL_ADDRESS", 68, 84, 1.0),
    ]
    actions = {
        "PERSON": "pseudonymize",
        "CREDIT_CARD": "local_only",
        "PHONE_NUMBER": "mask",
        "EMAIL_ADDRESS": "hash",
    }
    hasher = Hasher("k")
    applied = apply(text, spans, actions, Pseudonyms(), partial(hasher.token, hasher.tenant_key("t")))  # type: ignore[arg-type]
    assert applied.forwarded.startswith(
        "<PERSON_1> paid with 4111 1111 1111 1111, call ********0132 or mail <EMAIL_ADDRESS:"
    )
    assert "4111" not in applied.audited and "<CREDIT_CARD>" in applied.audited
    assert applied.local_only == {"CREDIT_CARD"}
    assert applied.counts[("PERSON", "pseudonymize")] == 1
    assert "jane@example.com" not in applied.forwarded + applied.audited
