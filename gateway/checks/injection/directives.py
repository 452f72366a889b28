"""Phrases that are an attack wherever they appear: an order to drop the instructions in force,
or to hand over the hidden prompt. The classifier scores how a text reads as a whole; these catch
the one sentence planted in a long benign document. Matched on the normal form
(`text.normal_form`), so spacing, case, look-alike letters and invisible characters do not hide
them. Each was checked against the benign rows of the validation splits (no match).
"""

from __future__ import annotations

import re

_EARLIER = (
    r"(?:all |any |the |your |my |of )*"
    r"(?:previous|prior|earlier|above|preceding|former|original|initial)"
)
_ORDERS = r"(?:instructions?|directions?|directives?|prompts?|rules|guidelines|commands|context)"
_ADDRESSEE = r"(?:ai|assistant|language model|llm|chatbot|bot|agent|model)s?"
_PROMPT = r"(?:system prompt|system message|hidden prompt|initial prompt|pre-?prompt)"
_QUOTES = "'\"\u2018\u201c"
_UNQUOTED = rf"(?<![{_QUOTES}])"  # "why did 'ignore previous instructions' become common?" is a question

PATTERNS = tuple(
    re.compile(p)
    for p in (
        rf"{_UNQUOTED}\b(?:ignore|disregard|forget|override|bypass|skip)\b,? {_EARLIER} {_ORDERS}\b",
        r"\b(?:ignore|disregard|forget)\b (?:all |everything )?"
        r"(?:you were told|you have been told|(?:stated |written )?above)\b",
        rf"{_UNQUOTED}\b(?:reveal|print|show|output|repeat|display|leak|dump)\b (?:me )?(?:your|the) "
        rf"(?:full |hidden |secret |initial |original |entire )*{_PROMPT}\b",
        r"\byou are now (?:dan\b|in (?:developer|god|jailbreak) mode"
        r"|an? (?:unrestricted|unfiltered|uncensored))",
        rf"\b(?:note|message|instructions?|directive|attention) (?:to|for) (?:the |any |all )?"
        rf"{_ADDRESSEE}\b(?: [a-z]+)?\s*[:,-]",
    )
)


# Digits and signs standing for letters ("1gn0re"), and words spelt out letter by letter.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "|": "i"}
)
_SPELT = re.compile(r"\b(?:\w ){2,}\w\b")


def _unspelt(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def views(normal_text: str) -> tuple[str, ...]:
    """The text, with leetspeak undone, and with letter-by-letter words joined up."""
    joined = _SPELT.sub(_unspelt, re.sub(r"\s{2,}", "  ", normal_text))
    return normal_text, normal_text.translate(_LEET), re.sub(r"\s+", " ", joined)


def matched(normal_text: str) -> bool:
    """Whether a text in normal form carries one of the phrases, in any of its views."""
    return any(pattern.search(view) for view in views(normal_text) for pattern in PATTERNS)
