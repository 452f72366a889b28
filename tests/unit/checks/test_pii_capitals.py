"""When detection may skip NER: no word it could take for a name (`gateway.checks.pii.capitals`)."""

from __future__ import annotations

import pytest

from gateway.checks.pii.capitals import Capitals
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.lexicon import Lexicon
from gateway.checks.pii.scope import DEFAULT_ENTITIES, DetectionScope

LEXICON = Lexicon(
    given=frozenset({"jane", "mark", "omar"}),
    surnames=frozenset({"smith", "haddad"}),
    english=frozenset({"hello", "please", "reach", "mark", "python", "smith"}),
    everyday=frozenset({"the", "please"}),
)
CAPITALS = Capitals(LEXICON, stop_words=frozenset({"the", "what", "will"}))
DEFAULT = DetectionScope(entities=tuple(sorted(DEFAULT_ENTITIES)), threshold=0.35)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "all lower case, no name here",
        "Hello, this is <PERSON_1> from finance. Please reach <PERSON_2> at <EMAIL_ADDRESS_1>.",
        "I think I'm done. The end.",
        'What now?\n- Please reach out.\n  "The quote"',
        "1234 <CREDIT_CARD> +* *** ****",
    ],
)
def test_texts_without_a_capitalised_name_word(text: str) -> None:
    assert not CAPITALS.may_hold_name(text)


@pytest.mark.parametrize(
    "text",
    [
        "ask Jane about it",  # capitalised inside a sentence: whatever the word
        "we use Python here",  # not a name, but NER may think so: it runs
        "Mark called.",  # first word of a sentence, but a name too
        "Will called.",  # a stop word that is also a name: "will" is one of NAME_WORDS
        "Sneha called.",  # first word, no English word
        "done. Smith and co",  # first word, English, but a surname
        "Hello <PERSON_1>, meet Omar",
        "a <B>bold</B> claim",  # only the gateway's own placeholders are passed over
    ],
)
def test_texts_with_a_word_that_could_be_a_name(text: str) -> None:
    assert CAPITALS.may_hold_name(text)


def test_the_detector_skips_ner_only_when_person_is_its_only_ner_entity(presidio: PresidioDetector) -> None:
    answer = "Hello, this is <PERSON_1>. Please write to <PERSON_2> at <EMAIL_ADDRESS_1>."
    assert not presidio.runs_ner(answer, DEFAULT)
    assert presidio.runs_ner("please call omar haddad tomorrow", DEFAULT)  # recased first
    dates = DetectionScope(entities=("DATE_TIME", "PERSON"), threshold=0.35)
    assert presidio.runs_ner("meet me next tuesday", dates)  # lower-case dates are NER's too
    assert not presidio.runs_ner("meet me next tuesday", DEFAULT)
    no_ner = DetectionScope(entities=("EMAIL_ADDRESS",), threshold=0.35)
    assert not presidio.runs_ner("ask Jane Smith", no_ner)


def test_skipping_ner_finds_what_ner_everywhere_finds(presidio: PresidioDetector) -> None:
    everywhere = PresidioDetector(ner_everywhere=True)
    texts = [
        "Hello, this is <PERSON_1>. Reach me at jane9@example.com or +1 415 555 0132.",
        "i think the invoice 4411 was paid; call 415-555-0199 if not.",
        "Sneha called about the refund.",
        "The card 4111 1111 1111 1111 expired.",
    ]
    assert [presidio.runs_ner(text, DEFAULT) for text in texts] == [False, False, True, False]
    expected = everywhere.detect(texts, DEFAULT)
    assert presidio.detect(texts, DEFAULT) == expected
    assert [spans for [spans] in presidio.many([([text], DEFAULT) for text in texts])] == expected
