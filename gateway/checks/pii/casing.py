"""Case restored for NER and the name rules: text typed all in lower case or all in capitals.

The small NER model, and the rules that look for capitalised words, find "Samuel Okoro" but not
"samuel okoro" nor "SAMUEL OKORO". Detection therefore runs on a view where, in every line
written in one case, each word gets the case it would have in ordinary text: everyday English
words in lower case, names (lexicon) and words no English word list knows capitalised
("ask sneha about it" -> "ask Sneha about it"), and so are a word that could be a name right
next to one ("phyllis luna": "luna" is an English noun, but no everyday word) and the word after
a title ("mr. pei"). In lines of mixed case only words in capitals that look like names are
recased ("ATTN: KIM JI-HOON, please sign" -> "Kim Ji-Hoon"; "remind MIN DUAN that": two words
in capitals, neither an everyday one, one no English word). Only letters change, never their
number, so offsets stay those of the text.
"""

from __future__ import annotations

import re

from gateway.checks.pii.lexicon import Lexicon

# A word of letters (with inner hyphens or apostrophes) that is not part of an address, a
# domain or an identifier.
_WORD = re.compile(r"(?<![\w@.+\-])[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*(?![\w@]|\.\w)")
_LINE = re.compile(r"[^\n]+")
_TITLES = "mr mrs ms miss mx dr prof sir dame herr frau mme mlle sr sra"
_TITLE_WORDS = frozenset(_TITLES.split())
# Words that sit next to names without being part of them, though no everyday word.
_NEIGHBOURS = (
    "asked told ping pinged thanks hello dear remind email mail text invite met regards cheers "
    "sincerely best apologies attendees members via per cc bcc attn account manager client customer "
    "holder cardholder owner contact user tenant member colleague team staff partner vendor supplier"
)
_NOT_NEIGHBOURS = frozenset(_NEIGHBOURS.split())
# A name does not follow these ("the maersk depot" is a place, not "Maersk Depot" the person).
_DETERMINER_WORDS = "the a an this that these those our your their its my his her"
_DETERMINERS = frozenset(_DETERMINER_WORDS.split())


def truecase(text: str, lexicon: Lexicon) -> str:
    if not any(c.isalpha() for c in text):
        return text
    out = list(text)
    for line in _LINE.finditer(text):
        segment = line.group()
        words = list(_WORD.finditer(segment))
        if segment.islower() or segment.isupper():
            cased = _one_case_line(segment, words, lexicon)
        else:
            cased = _capitals_in_mixed_case(segment, words, lexicon)
        for word, new in zip(words, cased, strict=True):
            token = word.group()
            if new != token and len(new) == len(token):  # "ß".upper() is "SS": such words stay
                start = line.start() + word.start()
                out[start : start + len(token)] = new
    return "".join(out)


def _one_case_line(segment: str, words: list[re.Match[str]], lexicon: Lexicon) -> list[str]:
    tokens = [word.group() for word in words]
    cased = [_in_one_case(token, lexicon) for token in tokens]
    seeds = [new != token.lower() for new, token in zip(cased, tokens, strict=True)]
    # A neighbour of a seed is recased when it is an English noun ("phyllis luna"), not a word
    # the lists lack because it is inflected ("porto got cancelled"); after a title, any word.
    for index, token in enumerate(tokens):
        if seeds[index] or not _neighbour_of_name(token, lexicon):
            continue
        listed = lexicon.is_english(token) or lexicon.is_name(token)
        after_title = (
            index > 0
            and tokens[index - 1].lower() in _TITLE_WORDS
            and _joined(segment, words[index - 1], words[index], ".")
        )
        beside = any(
            0 <= other < len(tokens)
            and seeds[other]
            and _joined(segment, words[min(index, other)], words[max(index, other)])
            and not (min(index, other) > 0 and tokens[min(index, other) - 1].lower() in _DETERMINERS)
            for other in (index - 1, index + 1)
        )
        if after_title:  # "mr. pei" -> "Mr. Pei": the title rule reads capitalised titles
            cased[index - 1] = _capitalised(tokens[index - 1])
        if after_title or (beside and listed):
            cased[index] = _capitalised(token)
    return cased


def _neighbour_of_name(token: str, lexicon: Lexicon) -> bool:
    lower = token.lower()
    return (
        len(token) > 1
        and lower not in _NOT_NEIGHBOURS
        and lower.removesuffix("s") not in _NOT_NEIGHBOURS
        and lexicon.could_be_name(token)
    )


def _joined(segment: str, first: re.Match[str], second: re.Match[str], allowed: str = "") -> bool:
    """Only blanks (and `allowed`) between two words of a line."""
    return segment[first.end() : second.start()].strip(" \t" + allowed) == "" and first.end() < second.start()


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
        # two or three words in capitals, none an everyday word or an abbreviation and one of
        # them no English word: a name written in capitals, as in "remind MIN DUAN that"
        shaped = 2 <= len(run) <= 3 and any(foreign) and all(_name_shaped(t, lexicon) for t in run)
        syllables = len(run) == 1 and _SYLLABLES.fullmatch(run[0]) is not None  # "SEO-JUN"
        if _capitals(run[0]) and (
            any(names) or syllables or (len(run) > 1 and (all(foreign) or named or shaped))
        ):
            for offset, token in enumerate(run):
                if len(run) > 1 or names[offset] or syllables:
                    cased[index + offset] = _capitalised(token)
        index = end + 1
    return cased


_SYLLABLES = re.compile(r"[^\W\d_]{1,4}(?:-[^\W\d_]{1,4}){1,2}")
_VOWEL = re.compile(r"[aeiouy]|[^\x00-\x7f]", re.IGNORECASE)


def _name_shaped(token: str, lexicon: Lexicon) -> bool:
    return (
        not lexicon.is_everyday(token)
        and _VOWEL.search(token) is not None  # "GDPR", "HTTP": abbreviations
        and lexicon.could_be_name(token)
    )


def _capitals(token: str) -> bool:
    return len(token) > 1 and token.isupper()


def _in_one_case(token: str, lexicon: Lexicon) -> str:
    if lexicon.is_everyday(token):
        return token.lower()
    # short words count when they hold a letter English does not use ("lê", "bùi", "vũ")
    unknown = (len(token) > 3 or not token.isascii()) and not lexicon.is_english(token)
    if lexicon.is_name(token) or unknown:
        return _capitalised(token)
    return token.lower()


def _capitalised(token: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in token.split("-"))
