"""Every written form of the structured types, and the normalisation tricks, with the real
detector: the span found must cover the value exactly as the caller wrote it."""

from __future__ import annotations

import pytest

from gateway.checks.pii.actions import resolve
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.scope import scope_of
from gateway.policy.schema import PiiPolicy

FORMS = {
    "US_SSN": [
        "536-22-8127",
        "536 22 8127",
        "536.22.8127",
        "536-22\u200b-8127",  # zero-width space
        "536-22\u200c-8127",  # zero-width non-joiner
        "536-22\u200d-8127",  # zero-width joiner
        "536\u00ad-22-8127",  # soft hyphen
        "536\u2060-22-8127",  # word joiner
        "536\u201322\u20138127",  # en-dashes
        "536\u201422\u20148127",  # em-dashes
        "536\u221222\u22128127",  # minus signs
        "536\u201122\u20118127",  # non-breaking hyphens
        "\uff15\uff13\uff16\uff0d\uff12\uff12\uff0d\uff18\uff11\uff12\uff17",  # full-width
        "\u0665\u0663\u0666-\u0662\u0662-\u0668\u0661\u0662\u0667",  # Arabic-Indic digits
        "\u0665\u0663\u0666\u200b-\u0662\u0662-\u0668\u0661\u0662\u0667",  # both tricks
    ],
    "EMAIL_ADDRESS": [
        "john.smith@example.com",
        "JOHN.SMITH@EXAMPLE.COM",
        "john.smith\u200b@example.com",
        "john.smith@\u200bexample.com",
        "john.smith\uff20example.com",  # full-width at
        "john.smith\ufe6bexample.com",  # small commercial at
        "john.smith[at]example[dot]com",
        "john.smith[at]example.com",
        "john.smith (at) example (dot) com",
        "john.smith{at}example{dot}com",
        "john.smith at example dot com",
        "john smith at example dot com".replace("john smith", "jsmith"),
        "john.smith at example.com",
        "JOHN.SMITH AT EXAMPLE DOT COM",
        "".join(chr(ord(c) + 0xFEE0) for c in "john.smith@example.com"),  # full-width throughout
    ],
    "CREDIT_CARD": [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111.1111.1111.1111",
        "4111\u200b1111 1111 1111",
        "4111\u20131111\u20131111\u20131111",
        "\uff14\uff11\uff11\uff11 1111 1111 1111",
        "3782 822463 10005",  # Amex 4-6-5
        "5555 5555 5555 4444",
        "2223 0031 2200 3222",  # Mastercard 2-series
    ],
    "IBAN_CODE": [
        "ES91 2100 0418 4502 0005 1332",
        "ES9121000418450200051332",
        "es91 2100 0418 4502 0005 1332",
        "ES91-2100-0418-4502-0005-1332",
        "ES91.2100.0418.4502.0005.1332",
        "LU28 0019 4006 4475 0000",
        "LU280019400644750000",
        "SE45 5000 0000 0583 9825 7466",
        "SE4550000000058398257466",
        "DE89 3704 0044 0532 0130 00",
        "GB29 NWBK 6016 1331 9268 19",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "ES91\u200b2100 0418 4502 0005 1332",
    ],
    "PHONE_NUMBER": [
        "(415) 555-0132",
        "415-555-0132",
        "415.555.0132",
        "415 555 0132",
        "+1 415 555 0132",
        "+1-415-555-0132",
        "+1 (415) 555-0132",
        "+44 20 7946 0958",
        "+49 30 901820",
        "020 7946 0958",
        "06 12 34 56 78",
        "415\u2013555\u20130132",
        "\uff14\uff11\uff15-555-0132",
        "415-555\u200b-0132",
        "(0799)-408922",
        "(020) 7946 0958",
    ],
    "IP_ADDRESS": [
        "192.168.10.24",
        "10.0.0.1",
        "2001:db8::8a2e:370:7334",
        "fe80::1ff:fe23:4567:890a",
        "\uff11\uff19\uff12.168.10.24",
    ],
}
CASES = [(entity, value) for entity, values in FORMS.items() for value in values]


@pytest.mark.parametrize(("entity", "value"), CASES, ids=[f"{e}-{i}" for i, (e, _) in enumerate(CASES)])
def test_each_written_form_is_found_whole(presidio: PresidioDetector, entity: str, value: str) -> None:
    text = f"Please note this down: {value} and reply by Friday."
    (spans,) = presidio.detect([text], scope_of(PiiPolicy()))
    start, end = text.index(value), text.index(value) + len(value)
    covering = [s for s in resolve(spans) if s.start <= start and s.end >= end]
    assert covering, (entity, value, [(s.entity, text[s.start : s.end]) for s in spans])
    (span,) = covering
    assert span.entity == entity
    assert "Friday" not in text[span.start : span.end] and "Please" not in text[span.start : span.end]


@pytest.mark.parametrize(
    "text",
    [
        "Look at this dot product: it is zero.",
        "Meet me at the office at 5 and bring the report.",
        "Order 12345 was shipped on 2024-03-04 in 3 boxes.",
        "Version 10.2.3 fixes bug 4521.",
    ],
)
def test_ordinary_text_is_not_taken_for_a_value(presidio: PresidioDetector, text: str) -> None:
    (spans,) = presidio.detect([text], scope_of(PiiPolicy()))
    assert [(s.entity, text[s.start : s.end]) for s in spans] == []


@pytest.mark.parametrize(
    "text",
    [
        "confirm by phone 346762607 please",
        "text the confirmation to 33085436306.",
        "call me on 4155550132 tonight",
        "Regards,\nJane\nOrion Labs\n341651606",
        "Regards,\nJane\n+44 7700 900123",
    ],
)
def test_bare_phone_numbers_with_a_cue(presidio: PresidioDetector, text: str) -> None:
    (spans,) = presidio.detect([text], scope_of(PiiPolicy()))
    digits = [text[s.start : s.end] for s in resolve(spans) if s.entity == "PHONE_NUMBER"]
    assert digits and any(c.isdigit() for c in digits[0]), (text, spans)
