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
  noun ("cardholder Gabino Jove", "taxpayer Ana Ruiz");
- "Surname, Given" as contact lists and CSV pastes write it ("Okonkwo, Chinedu");
- two or three adjacent words that are all names in the lexicon, in either order ("Lee Min-ho",
  "Tanaka Hiroshi"), unless one is an everyday English word;
- a given name standing alone ("ask Sneha", "cc Babatunde"), when it is no English word and the
  NER does not call it a place or an organisation (a cue such as "ask", "cc" or "thanks"
  right before it overrules the NER).

The recognizer runs on the text as `casing.truecase` recased it, so names typed in lower case
or in capitals meet the same rules. Word lists: `lexicon.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.checks.pii.lexicon import Lexicon

# Latin letters with diacritics: Latin-1, Extended-A and -B (both cases: "Ş", "ř") and
# Extended Additional (Vietnamese).
_EXTENDED = "\u0100-\u024f\u1e00-\u1eff"
_UPPER = f"A-ZÀ-ÖØ-Þ{_EXTENDED}"
_LOWER = f"a-zß-öø-ÿ{_EXTENDED}"
# A capitalised word; hyphenated or with an apostrophe ("O'Connor-Byrne"); Korean given names
# have one-letter syllables ("Hyeon-u", "U-jin").
_WORD = (
    rf"[{_UPPER}](?:[{_LOWER}]+(?:[-'\u2019][{_UPPER}{_LOWER}][{_LOWER}]*)*"
    rf"|(?:[-'\u2019][{_UPPER}{_LOWER}][{_LOWER}]+)+)"
)
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
    "pharma media software consulting center centre medical station bridge street avenue road "
    "hotel airport club team teams agency fund trust store market international global "
    "falls lake river mount mountain island islands valley beach bay canyon coast square tower plaza"
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
# NER labels (spaCy's, and Presidio's name for them) that veto lexicon evidence: places. Not
# organisations: the small model calls many unfamiliar names ORG ("Adebayo, Tunde").
_NOT_PEOPLE = frozenset({"GPE", "LOC", "FAC", "LOCATION"})
# "Okonkwo, Chinedu", "Park, Seo-yeon", "Nowak, Agnieszka Maria".
_REVERSED = re.compile(rf"\b({_WORD}(?:[ -]{_WORD})?),[ \t]*({_WORD})(?:[ \t]+({_WORD}))?")
_RUN = re.compile(rf"\b(?=({_WORD})((?:[ \t]+{_WORD}){{1,2}}))")
_LONE = re.compile(rf"(?<![\w'\u2019-])({_WORD})(?![\w-]|['\u2019]\w\w)")
_CUES = (
    "ask|asked|cc|bcc|tell|told|ping|thanks|thank|hi|hello|hey|dear|with|from|to|and|by|per|via|"
    "remind|call|email|mail|message|text|invite|meet|met|for|@"
)
_NON_SPACE = re.compile(r"\S+")
_NAME_CHARS = re.compile(r"[^\W\d_](?:[^\W\d_]|[ \t.,'\u2019\-])*")  # letters, and what names hold
# Words after which a single word is a person whatever the lists say: "cc Thembisile", "@Nutkrita".
_STRONG_CUES = "ask|asked|cc|bcc|tell|told|ping|pinged|thanks|thank you|hi|hello|hey|dear|remind|loop in"
_STRONG_CUE_WORD = re.compile(
    rf"(?:(?i:\b(?:{_STRONG_CUES}))[:,]?[ \t]+|@)([^\W\d_]+(?:['\u2019\-][^\W\d_]+)*)(?![\w@-])"
)
# A word right before a verb that people do: "Girma said the demo moved", "Tigist wrote".
_AGENT_VERBS = (
    "said|says|wrote|writes|asked|asks|told|replied|replies|mentioned|thinks|thought|agreed|confirmed|"
    "suggested|emailed|called|texted|wants|wanted|needs|needed|promised|approved|signed|joined"
)
# ... or one an action item gives a person: "Kiburi will send the slides", "Bronwyn to fix the
# build" (a closed list of verbs: "Kubernetes will evict pods" has no such verb).
_TASK_VERBS = (
    "send|share|fix|update|check|review|prepare|draft|write|call|book|schedule|follow|present|lead|"
    "organise|organize|confirm|finish|handle|join|bring|collect|sign|approve|test|deploy|email|contact|"
    "chase|cover|run|own|take|set|look|reply|circulate"
)
_BEFORE_VERB = re.compile(
    rf"(?<![\w'\u2019-])({_WORD})[ \t]+"
    rf"(?:(?:{_AGENT_VERBS})\b|(?:will|to|should|must)[ \t]+(?:{_TASK_VERBS})\b)"
)
# A label of a person's field in a form, a header or minutes, then one word: "Apologies: Tsubasa".
# Not "From:" and "To:": one word after them is a place as often ("To: Schiphol").
_LABELLED = re.compile(
    r"(?i:\b(?:apologies|absent|present|attendees|participants|members|assignee|reporter|reviewer|"
    r"approver|owner|consignee|payee|driver|dispatcher|cc|attn))[ \t]*:[ \t]*"
    rf"({_WORD})(?![\w'\u2019-]|[ \t]+{_WORD})"
)
# A word joined to a name already found: "cc Girma and Tigist", "Tigist, Abebe and Hanna".
_AND_AFTER = re.compile(rf"[ \t]*(?:[,;|/]|and|&|or)[ \t]+({_WORD})(?![\w'\u2019-])")
_AND_BEFORE = re.compile(rf"(?<![\w'\u2019-])({_WORD})[ \t]*(?:[,;|/]|and|&|or)[ \t]+$")
# A given name written in romanised syllables joined by a hyphen ("Seo-yeon", "Jae-won",
# "Xiao-ming"): two or three short parts, as Korean and Chinese given names are ("Wi-Fi" is not).
_SYLLABLES = re.compile(
    rf"(?<![\w'\u2019-])([{_UPPER}][{_LOWER}]{{1,4}}(?:-[{_LOWER}]{{2,5}}){{1,2}})(?![\w-])"
)
# Two capitalised words side by side, "Surname, Given" or "Given Surname".
_PAIR = re.compile(rf"(?<![\w'\u2019-])({_WORD})(,?[ \t]+)({_WORD})(?![\w'\u2019-])")
_CUE_BEFORE = re.compile(rf"(?i:\b(?:{_CUES})|@)[:,]?[ \t]*$")
# Words that are next to names without being part of them.
_NOT_IN_NAMES = frozenset(
    w.lower()
    for w in re.split(r"[|\s]", f"{_CUES}|{_STRONG_CUES}|{_ROLES}|{_TITLES}|{_AGENT_VERBS}|apologies|best")
    if w.isalpha()
)


class PersonNameRecognizer(LocalRecognizer):  # type: ignore[misc]
    NAME = "GatewayPersonNames"
    SCORE_TITLED = 0.8
    SCORE_KNOWN_FIRST_NAME = 0.7
    SCORE_RESHAPED = 0.6

    SCORE_LONE_GIVEN = 0.6

    def __init__(self, lexicon: Lexicon, stop_words: frozenset[str]) -> None:
        self._lexicon = lexicon
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
        not_people: list[tuple[int, int]] = []
        labelled: list[tuple[int, int]] = []  # what the NER calls anything but a person
        if nlp_artifacts is not None:
            found.extend(self._reshaped(nlp_artifacts))
            not_people = [
                (e.start_char, e.end_char) for e in nlp_artifacts.entities if e.label_ in _NOT_PEOPLE
            ]
            labelled = [
                (e.start_char, e.end_char)
                for e in nlp_artifacts.entities
                if e.label_ not in ("PERSON", "PER")
            ]
        found.extend(self._reversed(text))
        found.extend(self._runs_of_names(text, not_people))
        found.extend(self._lone_given(text, not_people))
        found.extend(self._after_strong_cue(text, not_people))
        found.extend(self._unknown_pairs(text, not_people, labelled))
        found.extend(self._before_agent_verb(text))
        found.extend(self._labelled(text))
        found.extend(self._syllable_names(text))
        found.extend(self._joined_to(text, found))
        return [self._result(start, end, score) for start, end, score in found]

    # --- rules --------------------------------------------------------------------------------

    def _titled(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _TITLED.finditer(text):
            if not self._organisation(match.group(1)):
                yield match.start(1), match.end(1), self.SCORE_TITLED

    def _known_first_names(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _SEQUENCE.finditer(text):
            first, rest = match.group(1), match.group(2).split()
            if not self._lexicon.is_given(first) or first.lower() in self._stop or first.lower() in _CALENDAR:
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
            if not self._touching_name(match.group(1)):
                break
            start = match.start(1)
        return start, self.extend(text, end)

    def _touching_name(self, word: str) -> bool:
        """A capitalised word next to a name is part of it unless it is a stop word, a cue, an
        organisation's word, or an English word with a use other than as a noun: "Phyllis
        Luna", "Glen Floyd" (nouns in the English lists, and names), not "Thanks Maria"."""
        lower = word.lower()
        return not (
            lower in self._stop
            or lower in _NOT_IN_NAMES
            or lower.removesuffix("s") in _NOT_IN_NAMES  # "managers", "members"
            or lower in _CALENDAR
            or not self._lexicon.could_be_name(word)
            or self._organisation(word)
        )

    def pieces(
        self, text: str, start: int, end: int, structured: list[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """The name (or names) in a PERSON span, widened to whole names: without the e-mail
        address, number or other value the NER ran it into ("Wei Meng;wei@example.com"),
        and without words at its edges that cannot be part of a name ("Lada Gromova, ssn")."""
        start, end = self.widen(text, start, end)
        found = []
        for piece_start, piece_end in _outside(start, end, structured):
            for segment in _NAME_CHARS.finditer(text, piece_start, piece_end):
                words = list(re.finditer(r"[^\s,]+", segment.group()))
                while words and not self._part_of_name(words[-1].group()):
                    words.pop()
                while words and not self._part_of_name(words[0].group()):
                    words.pop(0)
                if not words:
                    continue
                first, last = segment.start() + words[0].start(), segment.start() + words[-1].end()
                tail = words[-1].group()
                if len(tail.rstrip(".")) > 1:  # a full stop ends the sentence, unless after an initial
                    last -= len(tail) - len(tail.rstrip(".'\u2019-"))
                if len(words) > 1 and self._organisation(text[first:last]):  # "Niagara Falls"
                    continue
                if len(words) > 1 or self._could_stand_alone(text, first, words[0].group()):
                    found.append((first, last))
        return found

    def _could_stand_alone(self, text: str, start: int, word: str) -> bool:
        """One word alone is a name unless it is an English word that no name list holds
        ("Teams", "Backup": the NER's usual mistakes), with no title or cue before it."""
        if not self._is_word(word) and (self._lexicon.is_name(word) or not self._is_english(word)):
            return True
        before = text[max(0, start - 12) : start]
        return (
            _CUE_BEFORE.search(before) is not None
            or re.search(rf"\b(?:{_TITLES})\.?\s+$", before) is not None
        )

    def _part_of_name(self, word: str) -> bool:
        bare = word.strip(".'\u2019-")
        if not bare or bare.lower() in self._stop or bare.lower() in _CALENDAR:
            return False
        if self._is_word(bare):  # "Call Margaret": an everyday word is part of it only if a name
            return bare[0].isupper() and self._lexicon.is_name(bare)
        return bare[0].isupper() or self._lexicon.is_name(bare)

    def extend(self, text: str, end: int) -> int:
        while match := _NEXT_WORD.match(text, end):
            if not self._touching_name(match.group(1)):
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
            if end and (self._lexicon.is_given(first) or not self._is_english(first)):
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
            if self._lexicon.is_given(words[0]) or not any(self._is_english(w) for w in words):
                yield entity.start_char, entity.end_char, self.SCORE_RESHAPED

    def _reversed(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _REVERSED.finditer(text):
            surname, given = match.group(1), match.group(2)
            parts = re.split(r"[ -]", surname)
            if not all(self._lexicon.is_name(w) or not self._is_english(w) for w in parts):
                continue  # "Senior Engineer, Orion": every word of a surname must be able to be one
            known_surname = self._lexicon.is_name(parts[-1]) and not self._is_english(parts[-1])
            if not self._lexicon.is_given(given) or (self._is_word(given) and not known_surname):
                continue
            if any(self._is_word(w) for w in parts) or self._organisation(surname):
                continue
            middle = match.group(3)
            end = (
                match.end(3)
                if middle and self._lexicon.is_name(middle) and not self._is_word(middle)
                else match.end(2)
            )
            yield match.start(1), end, self.SCORE_KNOWN_FIRST_NAME

    def _runs_of_names(
        self, text: str, not_people: list[tuple[int, int]]
    ) -> Iterator[tuple[int, int, float]]:
        """Adjacent words that are all names, a given name among them, in either order."""
        for match in _RUN.finditer(text):
            words = [match.group(1), *match.group(2).split()]
            while len(words) > 1 and not all(
                self._lexicon.is_name(w) and not self._is_word(w) for w in words
            ):
                words.pop()
            if len(words) < 2 or not any(self._lexicon.is_given(w) for w in words):
                continue
            end = self._run_end(text, match.start(1), len(words))
            if _inside(match.start(1), end, not_people):  # all names, none an everyday word: enough
                continue
            if not self._organisation(text[match.start(1) : end]):
                yield match.start(1), end, self.SCORE_KNOWN_FIRST_NAME

    def _lone_given(self, text: str, not_people: list[tuple[int, int]]) -> Iterator[tuple[int, int, float]]:
        for match in _LONE.finditer(text):
            word = match.group(1)
            if not self._could_be_given(word) or self._organisation(word):
                continue
            cued = _CUE_BEFORE.search(text, max(0, match.start() - 12), match.start()) is not None
            if cued or not (self._is_english(word) or _inside(match.start(), match.end(), not_people)):
                yield match.start(), match.end(), self.SCORE_LONE_GIVEN

    def _after_strong_cue(
        self, text: str, not_people: list[tuple[int, int]]
    ) -> Iterator[tuple[int, int, float]]:
        """A word right after "cc", "ask", "thanks", "@"...: a given name if the lexicon knows
        it (in any case), or if it is capitalised and no English word."""
        for match in _STRONG_CUE_WORD.finditer(text):
            word = match.group(1)
            if self._is_word(word) or self._organisation(word):
                continue
            known = self._lexicon.is_given(word) and not self._is_english(word)
            unknown = word[0].isupper() and len(word) > 2 and not self._is_english(word)
            if known or unknown:  # the cue outweighs what the NER thinks of the word
                yield match.start(1), match.end(1), self.SCORE_LONE_GIVEN

    def _unknown_pairs(
        self, text: str, not_people: list[tuple[int, int]], labelled: list[tuple[int, int]]
    ) -> Iterator[tuple[int, int, float]]:
        """Two capitalised words that no English list holds, side by side or as "X, Y", the way
        names are written ("Ndumiso Mayeza", "Wimolnot, Pachongruk"): names of origins the
        lexicon does not know. Two places the NER recognises are not, unless a name list knows
        one of the words (the small model calls many unfamiliar names places)."""
        for match in _PAIR.finditer(text):
            first, second = match.group(1), match.group(3)
            if any(self._is_word(w) or not self._touching_name(w) for w in (first, second)):
                continue
            # Both words unknown to the English lists; or the first an English noun that is a
            # given name as often ("Riley", "Luna"), where the NER labels neither word a place,
            # an organisation or a thing. An English noun second is how things are named
            # ("Oxycodone Hydrochloride", "Marriott Courtyard"); "Tokyo Haneda" is labelled.
            if self._is_english(second) or (
                self._is_english(first) and _inside(match.start(), match.end(), labelled)
            ):
                continue
            places = _inside(match.start(1), match.end(1), not_people) and _inside(
                match.start(3), match.end(3), not_people
            )
            named = self._lexicon.is_name(first) or self._lexicon.is_name(second)
            # The small model calls "Surname, Given" of two unknown words places ("Krishnan,
            # Girik"): there it is believed only where one of them is a word of the English lists
            # ("Lagos, Nigeria"); side by side, two unknown words it calls places are ("Chiang Mai").
            comma = "," in match.group(2)
            known_place = places and (not comma or any(self._is_english(w) for w in (first, second)))
            if self._organisation(match.group()) or (known_place and not named):
                continue
            yield match.start(), match.end(), self.SCORE_RESHAPED

    def _syllable_names(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _SYLLABLES.finditer(text):
            parts = match.group(1).split("-")
            if self._is_english(match.group(1)) or any(self._is_word(p) for p in parts):
                continue  # "Wi-Fi", "Co-op", "X-ray"
            if sum(not self._is_english(p) for p in parts) >= 1 and all(len(p) > 1 for p in parts):
                yield match.start(1), match.end(1), self.SCORE_LONE_GIVEN

    def _before_agent_verb(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _BEFORE_VERB.finditer(text):
            word = match.group(1)
            if not (self._is_english(word) or self._is_word(word) or self._organisation(word)):
                yield match.start(1), match.end(1), self.SCORE_LONE_GIVEN

    def _labelled(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _LABELLED.finditer(text):
            word = match.group(1)
            if not (self._is_english(word) or self._is_word(word) or self._organisation(word)):
                yield match.start(1), match.end(1), self.SCORE_LONE_GIVEN

    def _joined_to(self, text: str, found: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
        """Unknown capitalised words listed with a name already found."""
        joined = []
        for start, end, _ in found:
            after = _AND_AFTER.match(text, end)
            before = _AND_BEFORE.search(text, max(0, start - 40), start)
            for match in (after, before):
                if match is None:
                    continue
                word = match.group(1)
                if any(len(part) < 2 for part in word.split("-")):  # "T-shirt"
                    continue
                if self._touching_name(word) and not self._is_word(word):
                    joined.append((match.start(1), match.end(1), self.SCORE_LONE_GIVEN))
        return joined

    # --- helpers ------------------------------------------------------------------------------

    def _could_be_given(self, word: str) -> bool:
        return self._lexicon.is_given(word) and not self._is_word(word)

    def _is_word(self, word: str) -> bool:
        """An everyday word, a stop word or a calendar word: never a name on lexicon evidence."""
        lower = word.lower()
        return self._lexicon.is_everyday(word) or lower in self._stop or lower in _CALENDAR

    @staticmethod
    def _run_end(text: str, start: int, count: int) -> int:
        end = start
        for _, word in zip(range(count), _NON_SPACE.finditer(text, start), strict=False):
            end = word.end()
        return end

    def _is_english(self, word: str) -> bool:
        return self._lexicon.is_english(word)

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


def _outside(start: int, end: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [start, end) that no span of `spans` covers."""
    pieces = [(start, end)]
    for cut_start, cut_end in spans:
        pieces = [
            part
            for piece_start, piece_end in pieces
            for part in ((piece_start, min(piece_end, cut_start)), (max(piece_start, cut_end), piece_end))
            if part[0] < part[1]
        ]
    return pieces


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)
