"""Whether a text has a word that spaCy's NER could take for a person's name.

NER is half the cost of a detection, and the small English model finds a name only where it is
capitalised (that is why detection runs on the recased view, `casing.truecase`). A text none
of whose words is capitalised, except "I", the placeholders the gateway itself wrote
(`<PERSON_1>`, `<EMAIL_ADDRESS>`) and a sentence's first word when that is a common English
word no name list holds ("Hello", "Please", "The"), holds no name NER would find, so a scope
whose only NER entity is PERSON skips NER on it: most answers and many prompts are such texts.
Every other capitalised word keeps NER on ("Mark", "Will" and "Python" alike): the rule errs
towards running NER, never towards skipping a name.
"""

from __future__ import annotations

import re

from gateway.checks.pii.lexicon import NAME_WORDS, Lexicon

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
_SENTENCE_END = frozenset(".!?:;")
_OPENERS = frozenset("\"'\u2018\u201c([{*-\u2022>#")  # quotes, brackets and list bullets before a first word
_I = frozenset({"I", "I'm", "I'll", "I've", "I'd", "I\u2019m", "I\u2019ll", "I\u2019ve", "I\u2019d"})


class Capitals:
    def __init__(self, lexicon: Lexicon, stop_words: frozenset[str]) -> None:
        self._lexicon = lexicon
        self._stop_words = stop_words - NAME_WORDS  # "the", "what"; not "will", "may"

    def may_hold_name(self, text: str) -> bool:
        if text.islower() or not any(c.isupper() for c in text):
            return False
        text = _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)
        for match in _WORD.finditer(text):
            word = match.group()
            if word.islower() or word in _I:
                continue
            if not (_starts_sentence(text, match.start()) and self._common(word)):
                return True
        return False

    def _common(self, word: str) -> bool:
        folded = word.casefold()
        lexicon = self._lexicon
        return folded in self._stop_words or (lexicon.is_english(word) and not lexicon.is_name(word))


def _starts_sentence(text: str, start: int) -> bool:
    """Nothing but blanks, quotes, brackets or bullets between the word and the text's start, a
    line break or a sentence's end."""
    index = start - 1
    while index >= 0:
        char = text[index]
        if char == "\n" or char in _SENTENCE_END:
            return True
        if not (char.isspace() or char in _OPENERS):
            return False
        index -= 1
    return True
