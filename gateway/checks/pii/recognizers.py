"""Pattern recognizers the gateway adds to Presidio's defaults, and the tenants' custom ones.

Presidio's defaults miss formats that callers really send (measured in bench/pii_quality.py):
its phone recognizer scores 0.4 without a context word, below any sane threshold, and drops
numbers `phonenumbers` thinks invalid (every 555 number, many made-up ones); its SSN patterns
score 0.05 unless a context word is near, and it refuses well-known example SSNs; its card
pattern misses the Mastercard 2-series; its e-mail recognizer drops addresses whose domain is
not on the public suffix list (`jane@corp.internal`, `ops@example.test`). A value shaped like
a phone number, an SSN, a card or an address is personal data to the gateway, valid or not.
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

from gateway.checks.pii.scope import CustomPattern

_SEPARATOR = r"[\s.\-]?"

PHONE_PATTERNS = [
    # North American: 415-555-0132, (415) 555-0132, 415.555.0132, +1 415 555 0132, 001-415-..., x123
    Pattern(
        "NANP",
        r"(?<![\w+])(?:(?:\+|00)?1[\s.\-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.\-]?)\d{3}[\s.\-]?\d{4}(?!\d)"
        r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?",
        0.6,
    ),
    # International with a country code: +44 20 7946 0958, +49 (0)30 901820, 0049 30 901820
    Pattern(
        "international",
        r"(?<![\w+])(?:\+|\b00)[1-9]\d{0,2}[\s.\-]?(?:\(0\)[\s.\-]?)?(?:\(?\d{1,5}\)?[\s.\-]?){1,4}\d{2,5}\b",
        0.6,
    ),
    # National trunk prefix: 020 7946 0958, 07700 900123, 08242 32878, 06 12 34 56 78
    # (An area code of three or more digits, so that dates such as 03.04.2024 do not match.)
    Pattern("trunk", r"(?<![\w+])\b0\d{2,4}(?:[\s.\-]\d{2,8}){1,3}\b", 0.5),
    Pattern("trunk in pairs", r"(?<![\w+])\b0\d(?:[\s.\-]\d{2}){4}\b", 0.6),
    # Trunk prefix in brackets, or compact: (020) 7496 0426, (05989) 659609, 01662397876
    Pattern("trunk bracketed", r"(?<![\w+])\(0\d{1,5}\)\s?\d{2,8}(?:[\s.\-]\d{2,6})?\b", 0.6),
    Pattern("trunk compact", r"(?<![\w+.])\b0\d{9,10}\b(?![.,]\d)", 0.5),
    # Bare digits (a country code without "+": 35181388757): a phone number only next to a
    # context word such as "phone" or "call", which lifts 0.3 over the threshold.
    Pattern("bare digits", r"(?<![\w+.])\b\d{10,12}\b(?![.,]\d)", 0.3),
]
PHONE_CONTEXT = ["phone", "tel", "telephone", "cell", "mobile", "call", "fax", "number", "contact", "reach"]

SSN_PATTERNS = [
    Pattern("dashed", r"\b\d{3}-\d{2}-\d{4}\b", 0.6),
    Pattern("spaced or dotted", r"\b\d{3}([ .])\d{2}\1\d{4}\b", 0.4),
    Pattern("bare", r"\b\d{9}\b", 0.2),
]
SSN_CONTEXT = ["ssn", "social", "security", "ss#", "taxpayer", "tin"]

IBAN_PATTERNS = [
    # Country code, check digits, then 11 to 30 letters and digits, compact or grouped by four.
    Pattern("any country", r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b", 0.4),
]
IBAN_CONTEXT = ["iban", "account", "transfer", "wire", "bank", "sepa", "rib"]

EMAIL_PATTERNS = [
    Pattern("any domain", r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", 0.7),
]

CARD_PATTERNS = [
    # 13-19 digits, optionally grouped by spaces or dashes; validated with Luhn below.
    Pattern("grouped digits", r"\b(?:\d[ \-]?){12,18}\d\b", 0.5),
]
CARD_CONTEXT = ["card", "credit", "visa", "mastercard", "amex", "debit", "cc", "payment"]


class LuhnCardRecognizer(PatternRecognizer):  # type: ignore[misc]
    def validate_result(self, pattern_text: str) -> bool | None:
        digits = [int(c) for c in pattern_text if c.isdigit()]
        if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
            return False
        total = 0
        for index, digit in enumerate(reversed(digits)):
            if index % 2:
                digit = digit * 2 - 9 if digit > 4 else digit * 2
            total += digit
        return total % 10 == 0


class Mod97IbanRecognizer(PatternRecognizer):  # type: ignore[misc]
    """Any country's IBAN shape with a valid ISO 7064 checksum. Presidio's own recognizer also
    checks each country's BBAN layout and misses valid numbers (seen with Spanish ones)."""

    def validate_result(self, pattern_text: str) -> bool | None:
        compact = pattern_text.replace(" ", "").upper()
        if not 15 <= len(compact) <= 34:
            return False
        digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
        return True if int(digits) % 97 == 1 else None  # a typo'd IBAN may still be one (context decides)


def gateway_recognizers() -> list[EntityRecognizer]:
    return [
        PatternRecognizer(
            "PHONE_NUMBER", name="GatewayPhone", patterns=PHONE_PATTERNS, context=PHONE_CONTEXT
        ),
        PatternRecognizer("EMAIL_ADDRESS", name="GatewayEmail", patterns=EMAIL_PATTERNS),
        Mod97IbanRecognizer("IBAN_CODE", name="GatewayIban", patterns=IBAN_PATTERNS, context=IBAN_CONTEXT),
        PatternRecognizer("US_SSN", name="GatewaySsn", patterns=SSN_PATTERNS, context=SSN_CONTEXT),
        LuhnCardRecognizer("CREDIT_CARD", name="GatewayCard", patterns=CARD_PATTERNS, context=CARD_CONTEXT),
    ]


def custom_recognizer(custom: CustomPattern, index: int) -> EntityRecognizer:
    """A tenant's `pii.custom` entry: a regex, a deny list, or both, with optional context."""
    options: dict[str, Any] = {}
    if custom.pattern:
        options["patterns"] = [Pattern(f"{custom.entity}-{index}", custom.pattern, custom.score)]
    if custom.deny_list:
        options["deny_list"] = list(custom.deny_list)
    if custom.context:
        options["context"] = list(custom.context)
    return PatternRecognizer(
        supported_entity=custom.entity,
        name=f"Custom{index}_{custom.entity}",
        deny_list_score=custom.score,
        **options,
    )
