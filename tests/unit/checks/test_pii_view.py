"""The normalised view detection runs on, and its map back to the original characters."""

from __future__ import annotations

import pytest

from gateway.checks.pii.view import view_of


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("536-22\u200b-8127", "536-22-8127"),  # zero-width space
        ("536-22\u200d-8127", "536-22-8127"),  # zero-width joiner
        ("536\u00ad-22-8127", "536-22-8127"),  # soft hyphen
        ("536\u2060-22-8127", "536-22-8127"),  # word joiner
        ("\ufeff536-22-8127", "536-22-8127"),  # byte order mark
        ("536\u201322\u20138127", "536-22-8127"),  # en-dashes
        ("536\u201422\u22128127", "536-22-8127"),  # em-dash, minus sign
        ("\uff15\uff13\uff16\uff0d\uff12\uff12\uff0d\uff18\uff11\uff12\uff17", "536-22-8127"),  # full-width
        ("\u0665\u0663\u0666-\u0662\u0662-\u0668\u0661\u0662\u0667", "536-22-8127"),  # Arabic-Indic
        ("536\u00a022\u20098127", "536 22 8127"),  # no-break and thin spaces
        ("john.smith\u200b@example.com", "john.smith@example.com"),
        ("john.smith\uff20example.com", "john.smith@example.com"),  # full-width at sign
        ("john.smith[at]example[dot]com", "john.smith@example.com"),
        ("john.smith (at) example (dot) com", "john.smith@example.com"),
        ("john.smith at example dot com", "john.smith@example.com"),
        ("john at example dot co dot uk", "john@example.co.uk"),
        ("JOHN.SMITH AT EXAMPLE.COM", "JOHN.SMITH@EXAMPLE.COM"),
        (
            "O\u0308mer Y\u0131ld\u0131r\u0131m",
            "\u00d6mer Y\u0131ld\u0131r\u0131m",
        ),  # combining mark composed
    ],
)
def test_evasions_fold_to_the_plain_form(written: str, plain: str) -> None:
    text = f"value: {written} end"
    view = view_of(text)
    assert view.text == f"value: {plain} end"
    start = view.text.index(plain)
    # the span found in the view covers the characters the caller wrote (a removed character
    # in front of the value stays outside: it is not part of it)
    original_start, original_end = view.to_original(start, start + len(plain))
    assert text[original_start:original_end] == written.lstrip("\ufeff")


@pytest.mark.parametrize(
    "sentence",
    [
        "Meet me at the office at 5.",
        "We met at example.com's booth.",  # "at" before a domain, but no dotted local part
        "Look at this dot product.",
        "plain ascii text with no tricks",
    ],
)
def test_ordinary_sentences_are_their_own_view(sentence: str) -> None:
    assert view_of(sentence).text == sentence


def test_spans_map_through_removed_and_widened_characters() -> None:
    text = "a\u200bb c\uff21d"
    view = view_of(text)
    assert view.text == "ab cAd"
    assert view.to_original(0, 2) == (0, 3)  # "ab" covers the zero-width space between them
    assert view.to_original(4, 5) == (5, 6)
