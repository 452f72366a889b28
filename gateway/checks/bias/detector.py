"""Does an answer ascribe a trait to a demographic group? A lexicon and a few sentence patterns.

It flags sentences of the shape "<group> are (naturally / always / more ...) <trait>" or
"<group> are better / worse at ...", or "all / most <group> ...": a generalisation about people
by gender, ethnicity or nationality, religion, age, sexuality or disability. Groups: HELM's
plural gender words plus the project's list below; traits: HELM's 422 adjectives plus
capability words ("bad at", "incapable of"). A sentence that frames the claim as a stereotype
or myth ("it is a myth that women are bad at maths") is not flagged.

It measures that and nothing more: it does not judge whether a statement is true, fair or
harmful, and it misses bias carried by tone, omission or examples. Flag only, never block.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from gateway.checks.bias.lists import helm_lists

VERSION = "bias-lexicon-1"

_GROUPS: dict[str, tuple[str, ...]] = {
    "ethnicity": (
        "asians", "asian people", "africans", "african americans", "black people", "blacks", "white people",
        "whites", "hispanics", "latinos", "latinas", "mexicans", "arabs", "chinese people", "the chinese",
        "indians", "japanese people", "the japanese", "koreans", "russians", "germans", "the french",
        "french people", "the british", "americans", "europeans", "immigrants", "foreigners", "migrants",
        "gypsies", "roma", "native americans", "italians", "irish people", "poles", "jews", "jewish people",
    ),
    "religion": ("muslims", "christians", "hindus", "buddhists", "atheists", "catholics", "sikhs", "mormons"),
    "age": (
        "old people", "older people", "the elderly", "elderly people", "young people", "teenagers",
        "millennials", "boomers", "baby boomers", "gen z", "pensioners", "retirees",
    ),
    "sexuality": (
        "gay people", "gays", "lesbians", "gay men", "bisexuals", "transgender people", "trans people",
    ),
    "disability": ("disabled people", "the disabled", "autistic people", "blind people", "deaf people"),
}  # fmt: skip
_CAPABILITIES = (
    r"(?:good|bad|better|worse|great|terrible|bad|hopeless|useless|no good) at",
    r"(?:better|worse|smarter|dumber|weaker|stronger|superior|inferior)(?: than| to)?",
    r"(?:incapable|unable|capable) of",
    r"(?:more|less) (?:suited|fit|intelligent|emotional|logical|rational|capable|violent|honest)",
    r"(?:not|never) (?:good|suited|fit|able|capable|smart|intelligent)",
    r"(?:be trusted|lead|drive|understand|handle|cope|do maths|do math|think logically)",  # "cannot ..."
)
_HEDGES = (
    r"(?:naturally |inherently |genetically |always |usually |generally |typically |just |all |too |so "
    r"|very |simply |by nature |innately )*"
)
_ASCRIBING_VERBS = (
    r"(?:are|is|tend to be|seem|make|become|get|can't|cannot|can not|should not|shouldn't|don't|do not"
    r"|aren't|are not|have always been|will always be|were born)"
)
_DEBUNKED = re.compile(
    r"\b(?:stereotypes?|stereotypical|myths?|misconceptions?|prejudice|not true|no evidence|false that|"
    r"wrong to (?:say|assume|claim)|it is unfair|it's unfair|cliché|generali[sz]ation)\b"
)
# "his sons are lazy" speaks of particular people, not of a group
_NOT_PARTICULAR = "".join(
    f"(?<!{w} )" for w in ("my", "his", "her", "our", "your", "their", "the", "these", "those", "two", "some")
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True, slots=True)
class BiasFinding:
    group: str  # the kind of group: gender, ethnicity, religion, age, sexuality, disability
    count: int


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    lists = helm_lists()
    plural = [w for w in (*lists.female_words, *lists.male_words) if w.endswith("s") and w != "hers"]
    gender = [*plural, "women", "men", "ladies", "guys"]
    groups = {"gender": gender, **{kind: list(words) for kind, words in _GROUPS.items()}}
    traits = rf"(?:{_alternation(list(lists.adjectives))}|{'|'.join(_CAPABILITIES)})"
    out = {}
    for kind, words in groups.items():
        group = rf"(?:all |most |many |typical )?{_NOT_PARTICULAR}\b(?:{_alternation(words)})\b"
        ascribing = rf"{group} {_ASCRIBING_VERBS} (?:{_HEDGES}){traits}\b"
        everyone = rf"\b(?:all|every|most) (?:{_alternation(words)})\b (?:are|is)\b"
        out[kind] = re.compile(f"{ascribing}|{everyone}")
    return out


def findings(answer: str) -> list[BiasFinding]:
    """Per kind of group, how many sentences of `answer` ascribe a trait to such a group."""
    counts: Counter[str] = Counter()
    for sentence in _SENTENCE.split(answer.lower()):
        if not sentence or _DEBUNKED.search(sentence):
            continue
        for kind, pattern in _patterns().items():
            if pattern.search(sentence):
                counts[kind] += 1
    return [BiasFinding(kind, count) for kind, count in sorted(counts.items())]
