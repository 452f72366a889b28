"""Person names the small spaCy model misses, found from structure and a first-name list.

`en_core_web_sm` finds most English names but labels many European ones ORG or nothing at all
("Violetta Flantz", "Lucrezia Barracco"). A leaked name is worse than an over-redacted company,
so this recognizer adds PERSON spans for:

- a courtesy title followed by capitalised words ("Dr. Okafor", "Frau Sabine Rosemann");
- a known first name followed by capitalised surname words ("Shelly Yates"), unless every word
  is an ordinary English word ("Rose Garden");
- a name-shaped span the NER labelled ORG, FAC, PRODUCT or WORK_OF_ART, when its first word is
  a known first name, or none of its words is an English word and none names an organisation;
- a name after "my name is" / "named" / "called", in any case ("my name is jane doe");
- a name with a middle initial ("Tina T. Murphy"), and capitalised words right after a role
  noun ("cardholder Gabino Jove", "taxpayer Ana Ruiz").

First names: US Census 1990 (`data/first_names.txt`). English words: the lemma index that ships
inside the spaCy model package. Both are loaded once, when the analyzer is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_WORD = rf"[{_UPPER}][{_LOWER}]+(?:[-'\u2019][{_UPPER}{_LOWER}][{_LOWER}]+)*"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|dos|das|du|le|la|bin|al|ter|ten|y)"
_NAME = rf"{_WORD}(?:\s+(?:{_PARTICLE}\s+)*{_WORD}){{0,3}}"
_TITLES = (
    "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Monsieur|Madame|Sr|Sra|Srta|Signor|Signora|Dott"
)
_TITLED = re.compile(rf"\b(?:{_TITLES})\.?\s+({_NAME})")
# A lookahead, so that every capitalised word is tried as a first name ("Add Amber Hunt").
_SEQUENCE = re.compile(rf"\b(?=({_WORD})((?:\s+[A-Z]\.)?(?:\s+(?:{_PARTICLE}\s+)*{_WORD}){{1,3}}))")
# "Tina T. Murphy": a capitalised word, an initial, a capitalised word is a name on its own.
_WITH_INITIAL = re.compile(rf"\b{_WORD}\s+[A-Z]\.\s+{_WORD}(?:[-\s]{_WORD})?")
# A role noun right before capitalised words: "cardholder Gabino Jove", "taxpayer Ana Ruiz".
_ROLES = (
    "customer|client|cardholder|holder|taxpayer|employee|contractor|owner|contact|patient|applicant|"
    "candidate|user|tenant|guest|passenger|member|beneficiary|recipient|sender|signatory|manager|colleague|"
    "dear|hi|hello|hey|thanks|regards|cheers|sincerely"  # salutations: "Dear Zara van Bruchem,"
)
# Only the role word ignores case: the name after it must be capitalised.
_ROLE_NAME = re.compile(
    rf"\b(?i:{_ROLES})(?:\s+is)?[:,]?\s+({_WORD}(?:\s+(?:{_PARTICLE}\s+)*{_WORD}){{1,3}})"
)
_INTRODUCED = re.compile(
    r"\b(?:my name is|name is|named|called)\s+([a-zà-ÿ][\w'\u2019-]*(?:\s+[a-zà-ÿ][\w'\u2019-]*){0,2})",
    re.IGNORECASE,
)
_ORGANISATION_WORDS = (
    "inc ltd llc gmbh ag sa corp corporation company co bank group university institute foundation "
    "partners holdings technologies systems solutions services associates plc capital labs hospital "
    "clinic council ministry service support desk department office school college insurance airlines "
    "motors energy "
    "pharma media software consulting center centre medical station bridge street avenue road park "
    "hotel airport club team teams agency fund trust store market international global"
)
_WORDS_OF_ORGANISATIONS = frozenset(_ORGANISATION_WORDS.split())
_CALENDAR_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june "
    "july august september october november december"
)
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
_NEXT_WORD = re.compile(rf"[ \t]+({_WORD})")
_PREVIOUS_WORD = re.compile(rf"\b({_WORD})[ \t]+$")
_FROM_NER = frozenset({"ORGANIZATION", "LOCATION", "PRODUCT", "WORK_OF_ART"})


def load_first_names() -> frozenset[str]:
    text = (resources.files("gateway.checks.pii") / "data" / "first_names.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line and not line.startswith("#"))


class PersonNameRecognizer(LocalRecognizer):  # type: ignore[misc]
    NAME = "GatewayPersonNames"
    SCORE_TITLED = 0.8
    SCORE_KNOWN_FIRST_NAME = 0.7
    SCORE_RESHAPED = 0.6

    def __init__(
        self, first_names: frozenset[str], english_words: frozenset[str], stop_words: frozenset[str]
    ) -> None:
        self._first = first_names
        self._english = english_words
        self._stop = stop_words
        super().__init__(supported_entities=["PERSON"], supported_language="en", name=self.NAME)

    def load(self) -> None:  # the lists are handed in, loaded once by the engine
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        found = [
            *self._titled(text),
            *self._known_first_names(text),
            *self._introduced(text),
            *self._initialled(text),
            *self._after_role(text),
        ]
        if nlp_artifacts is not None:
            found.extend(self._reshaped(nlp_artifacts))
        return [self._result(start, end, score) for start, end, score in found]

    # --- rules --------------------------------------------------------------------------------

    def _titled(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _TITLED.finditer(text):
            if not self._organisation(match.group(1)):
                yield match.start(1), match.end(1), self.SCORE_TITLED

    def _known_first_names(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _SEQUENCE.finditer(text):
            first, rest = match.group(1), match.group(2).split()
            if first not in self._first or first.lower() in self._stop or first.lower() in _CALENDAR:
                continue
            if rest[0].lower() in self._stop or rest[0].lower() in _CALENDAR:
                continue
            words = [first, *rest]
            if self._organisation(match.group(1) + match.group(2)) or all(self._is_english(w) for w in words):
                continue
            yield match.start(1), match.end(2), self.SCORE_KNOWN_FIRST_NAME

    def widen(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Where a name found by any recognizer really starts and ends: the NER often stops one
        word short ("Fiorenzo Rossi" -> "Rossi", "Anna Veiver" -> "Anna"). Capitalised words
        that are neither English nor stop words and touch the name are taken in."""
        while match := _PREVIOUS_WORD.search(text, 0, start):
            word = match.group(1)
            if word.lower() in self._stop or self._is_english(word) or self._organisation(word):
                break
            start = match.start(1)
        return start, self.extend(text, end)

    def extend(self, text: str, end: int) -> int:
        while match := _NEXT_WORD.match(text, end):
            word = match.group(1)
            if word.lower() in self._stop or self._is_english(word) or self._organisation(word):
                break
            end = match.end()
        return end

    def _initialled(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _WITH_INITIAL.finditer(text):
            if not self._organisation(match.group(0)):
                yield match.start(), match.end(), self.SCORE_KNOWN_FIRST_NAME

    def _after_role(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _ROLE_NAME.finditer(text):
            name = match.group(1)
            # The role word is the evidence here, so English-looking surnames count ("Parsons").
            capitalised = all(w[0].isupper() for w in name.split() if not re.fullmatch(_PARTICLE, w))
            if capitalised and not self._organisation(name):
                yield match.start(1), match.end(1), self.SCORE_RESHAPED

    def _introduced(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _INTRODUCED.finditer(text):
            end = 0
            words = list(re.finditer(r"\S+", match.group(1)))
            for word in words:  # up to three words, to the first that cannot be part of a name
                if word.group().lower() in self._stop:
                    break
                end = word.end()
            first = words[0].group() if words else ""
            if end and (first.capitalize() in self._first or not self._is_english(first)):
                yield match.start(1), match.start(1) + end, self.SCORE_KNOWN_FIRST_NAME

    def _reshaped(self, artifacts: NlpArtifacts) -> Iterator[tuple[int, int, float]]:
        for entity in artifacts.entities:
            if entity.label_ not in _FROM_NER:
                continue
            words = entity.text.split()
            if not 2 <= len(words) <= 4 or self._organisation(entity.text):
                continue
            if not all(re.fullmatch(_WORD, w) or re.fullmatch(_PARTICLE, w) for w in words):
                continue
            if words[0] in self._first or not any(self._is_english(w) for w in words):
                yield entity.start_char, entity.end_char, self.SCORE_RESHAPED

    # --- helpers ------------------------------------------------------------------------------

    def _is_english(self, word: str) -> bool:
        lower = word.lower().strip("'\u2019")
        return lower in self._english or (lower.endswith("s") and lower[:-1] in self._english)

    @staticmethod
    def _organisation(text: str) -> bool:
        return any(word.lower().strip(".,") in _WORDS_OF_ORGANISATIONS for word in text.split())

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            entity_type="PERSON",
            start=start,
            end=end,
            score=score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
