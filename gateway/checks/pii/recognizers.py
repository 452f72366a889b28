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

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

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
    Pattern("trunk bracketed", r"(?<![\w+])\(0\d{1,5}\)[\s.\-]?\d{2,8}(?:[\s.\-]\d{2,6})?\b", 0.6),
    Pattern("trunk compact", r"(?<![\w+.])\b0\d{9,10}\b(?![.,]\d)", 0.5),
    # Bare digits (a country code without "+": 35181388757): a phone number only next to a
    # context word such as "phone" or "call", which lifts 0.3 over the threshold.
    Pattern("bare digits", r"(?<![\w+.])\b\d{9,12}\b(?![.,]\d)", 0.3),
    # A line that holds nothing but a number of 9 to 15 digits: a signature's phone number.
    Pattern("alone on a line", r"(?m)^[ \t]*\+?\d(?:[\s.\-()]?\d){8,14}[ \t]*$", 0.5),
]
PHONE_CONTEXT = [
    "phone", "tel", "telephone", "cell", "mobile", "call", "fax", "number", "contact", "reach", "text", "sms",
    "whatsapp", "signal", "dial", "ring", "callback", "landline", "follow",  # "follow up on 3369..."
]  # fmt: skip

SSN_PATTERNS = [
    Pattern("dashed", r"\b\d{3}-\d{2}-\d{4}\b", 0.6),
    Pattern("spaced or dotted", r"\b\d{3}([ .])\d{2}\1\d{4}\b", 0.4),
    Pattern("bare", r"\b\d{9}\b", 0.2),
]
SSN_CONTEXT = ["ssn", "social", "security", "ss#", "taxpayer", "tin"]

# Country code, check digits, then letters and digits: compact, grouped by four (or any other
# grouping) with spaces, dots or dashes, in any case. The candidate runs on into what follows
# ("... 1332 by Friday"); `Mod97IbanRecognizer` cuts it at the country's length.
IBAN_CANDIDATE = r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ .\-]?[A-Za-z0-9]){11,32}"
IBAN_PATTERNS = [Pattern("any country", IBAN_CANDIDATE, 0.4)]
# IBAN lengths by country (ISO 13616 registry), for the countries whose banks people write to.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
IBAN_CONTEXT = ["iban", "account", "transfer", "wire", "bank", "sepa", "rib"]

EMAIL_PATTERNS = [
    Pattern("any domain", r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", 0.7),
]

CARD_PATTERNS = [
    # 13-19 digits, optionally grouped by spaces or dashes; validated with Luhn below.
    Pattern("grouped digits", r"\b(?:\d[ .\-]?){12,18}\d\b", 0.5),
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
    """Any country's IBAN with a valid ISO 7064 checksum, however it is grouped. Presidio's own
    recognizer also checks each country's BBAN layout and misses valid numbers (seen with
    Spanish ones), and a pattern for groups of four runs on into the next word ("1332 by"),
    which then fails the checksum. Here each candidate is cut at its country's length (or, for
    a country not in the table, at the longest prefix with a valid checksum)."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> list[RecognizerResult]:
        results = []
        for candidate in super().analyze(text, entities, nlp_artifacts, regex_flags):
            cut = _iban_in(text, candidate.start, candidate.end)
            if cut is not None:
                end, valid = cut
                candidate.end = end
                candidate.score = 1.0 if valid else IBAN_PATTERNS[0].score
                results.append(candidate)
        return results

    def validate_result(self, pattern_text: str) -> bool | None:
        return None  # `analyze` validates the cut value, not the candidate


def _iban_in(text: str, start: int, end: int) -> tuple[int, bool] | None:
    """(end of the IBAN that starts at `start`, whether its checksum holds), or None."""
    ends = [index + 1 for index in range(start, end) if text[index].isalnum()]
    compact = "".join(text[index - 1] for index in ends).upper()
    length = IBAN_LENGTHS.get(compact[:2])
    if length is not None:
        return (ends[length - 1], _mod97(compact[:length])) if len(compact) >= length else None
    for size in range(min(len(compact), 34), 14, -1):
        if _mod97(compact[:size]):
            return ends[size - 1], True
    return None


def _mod97(compact: str) -> bool:
    if not compact.isalnum() or not compact.isascii():
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


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
