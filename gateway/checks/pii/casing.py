"""Case restored for NER and the name rules: text typed all in lower case or all in capitals.

The small NER model, and the rules that look for capitalised words, find "Samuel Okoro" but not
"samuel okoro" nor "SAMUEL OKORO". Detection therefore runs on a view where, in every line
written in one case, each word gets the case it would have in ordinary text: everyday English
words in lower case, names (lexicon) and words no English word list knows capitalised
("ask sneha about it" -> "ask Sneha about it"). In lines of mixed case only words in
capitals that are names are recased ("ATTN: KIM JI-HOON, please sign" -> "Kim Ji-Hoon").
Only letters change, never their number, so offsets stay those of the text.
"""

from __future__ import annotations

import re

from gateway.checks.pii.lexicon import Lexicon

# A word of letters (with inner hyphens or apostrophes) that is not part of an address, a
# domain or an identifier.
_WORD = re.compile(r"(?<![\w@.+\-])[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*(?![\w@]|\.\w)")
_LINE = re.compile(r"[^\n]+")


def truecase(text: str, lexicon: Lexicon) -> str:
    if not any(c.isalpha() for c in text):
        return text
    out = list(text)
    for line in _LINE.finditer(text):
        segment = line.group()
        words = list(_WORD.finditer(segment))
        if segment.islower() or segment.isupper():
            cased = [_in_one_case(word.group(), lexicon) for word in words]
        else:
            cased = _capitals_in_mixed_case(segment, words, lexicon)
        for word, new in zip(words, cased, strict=True):
            token = word.group()
            if new != token and len(new) == len(token):  # "ß".upper() is "SS": such words stay
                start = line.start() + word.start()
                out[start : start + len(token)] = new
    return "".join(out)


def _capitals_in_mixed_case(segment: str, words: list[re.Match[str]], lexicon: Lexicon) -> list[str]:
    """Words in capitals that are names are recased; so is a run of words in capitals (next to
    each other, as in "owner: FLOOR CAPDEVILA") that holds a name, everyday words included."""
    cased = [word.group() for word in words]
    index = 0
    while index < len(words):
        end = index
        while (
            end + 1 < len(words)
            and _capitals(words[end + 1].group())
            and _capitals(words[end].group())
            and segment[words[end].end() : words[end + 1].start()].strip(" \t") == ""
        ):
            end += 1
        run = [word.group() for word in words[index : end + 1]]
        names = [lexicon.is_name(token) and not lexicon.is_everyday(token) for token in run]
        # a run of capitals none of which is an English word is a name more often than not, and
        # so is one that holds a name and a word no English list knows ("PARK JI-WOO")
        foreign = [not (lexicon.is_english(t) or lexicon.is_everyday(t)) for t in run]
        named = any(lexicon.is_name(t) for t in run) and any(foreign)
        if _capitals(run[0]) and (any(names) or (len(run) > 1 and (all(foreign) or named))):
            for offset, token in enumerate(run):
                if len(run) > 1 or names[offset]:
                    cased[index + offset] = _capitalised(token)
        index = end + 1
    return cased


def _capitals(token: str) -> bool:
    return len(token) > 1 and token.isupper()


def _in_one_case(token: str, lexicon: Lexicon) -> str:
    if lexicon.is_everyday(token):
        return token.lower()
    if lexicon.is_name(token) or (len(token) > 3 and not lexicon.is_english(token)):
        return _capitalised(token)
    return token.lower()


def _capitalised(token: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in token.split("-"))
