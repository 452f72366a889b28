"""The word lists person-name detection consults, loaded once when the analyzer is built.

- given names and surnames of many origins (`data/given_names.txt`, `data/surnames.txt`:
  built by bench/pii_lexicons.py from the US Census 1990 first names and Faker's person
  providers, MIT; Korean and Cyrillic lists romanised);
- English words: the lemma index that ships inside the spaCy model package (large: it also
  holds many names, "john", "samuel"), and the everyday ones (`data/everyday_words.txt`,
  Faker's en_US lorem list, MIT, plus `NAME_WORDS` below and spaCy's stop words), which a
  name in one-case text must not be ("will", "hope", "grace").

All lookups are case-insensitive (case-folded).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

# Given names and surnames that are everyday English words too: in text that is all lower or
# all upper case, these stay words ("please mark the will"); in normal case NER decides.
_NAME_WORDS = (
    "will may mark bill rose grace hope faith joy june april august summer autumn dawn sky ray "
    "amber ruby pearl iris violet lily daisy holly ivy olive hazel jade crystal sandy rich "
    "frank chase hunter park lee long young white brown green black gray grey king cook price "
    "rice bell hall lane wood woods miles page case cash story drew guy art pat sue rob gene "
    "carol christian major don dean earl duke prince bishop glen dale hill brook brooks ford "
    "mason baker carter porter fisher taylor walker turner cooper marshal marshall golden rust "
    "reed moss stone field fields banks bush cross church house love little small short sharp "
    "wise noble bright gold silver star sun moon river forest lake ocean storm rain snow winter "
    "spring fall an le la de da can tan son ha long han ma bo to ta li lam do ho ok"
)
# Abbreviations people type in one case ("ssn", "SOC", "IBAN"): words, never names.
_ABBREVIATIONS = (
    "ssn ssns iban ibans bic swift sepa rib vpn api apis url urls ip ips id ids pin otp cvv cvc dob eta "
    "faq hr it soc noc cto ceo cfo coo vp pm qa ux ui sla kpi okr roi pdf csv json xml sql aws gcp "
    "cc bcc fyi asap eod eow tbd tba ooo pto wfh btw imo imho lol omg pls plz thx ty np irl dm dms "
    "ok okay hi hey yo re fw fwd attn mr mrs ms dr prof st rd ave ltd inc llc gmbh plc i'm i'll i've i'd "
    "dept tel fax ext nr ref att encl"
)
NAME_WORDS = frozenset(_NAME_WORDS.split()) | frozenset(_ABBREVIATIONS.split())
# Inflections the lemma index does not hold: "exceeded" -> "exceed", "attempts" -> "attempt".
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""),
             ("s", ""), ("ly", ""), ("er", ""), ("est", ""))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Lexicon:
    given: frozenset[str]
    surnames: frozenset[str]
    english: frozenset[str]  # the lemma index: large, names included
    everyday: frozenset[str]  # common words, stop words included: never names in one-case text
    # English words with a use other than as a noun (verbs, adjectives, adverbs): the lemma
    # index's noun list holds many names, these lists hardly any
    not_nouns: frozenset[str] = frozenset()

    def without(self, names: frozenset[str]) -> Lexicon:
        """These lists less `names` (case-folded): the evaluation of names no list holds."""
        if not names:
            return self
        folded = frozenset(name.casefold() for name in names)
        return Lexicon(
            self.given - folded, self.surnames - folded, self.english, self.everyday, self.not_nouns
        )

    def is_given(self, word: str) -> bool:
        return word.casefold() in self.given

    def is_name(self, word: str) -> bool:
        folded = word.casefold()
        return folded in self.given or folded in self.surnames

    def is_everyday(self, word: str) -> bool:
        return word.casefold().strip("'\u2019") in self.everyday

    def could_be_name(self, word: str) -> bool:
        """No everyday word, and English (if at all) only as a noun: "Riley", "Luna", "Adrian"
        but not "grant" or "slack". The test for a word next to a name already found."""
        return not self.is_everyday(word) and not any(
            form in self.not_nouns for form in _forms(word.casefold().strip("'\u2019"))
        )

    def is_english(self, word: str) -> bool:
        return any(form in self.english for form in _forms(word.casefold().strip("'\u2019")))


def _forms(lower: str) -> list[str]:
    """The word and the base forms its inflection may come from ("attempts" -> "attempt")."""
    forms = [lower]
    for suffix, replacement in _SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
            stem = lower[: -len(suffix)]
            forms.append(stem + replacement)
            if stem[-1:] == stem[-2:-1]:
                forms.append(stem[:-1])
    return forms


def _words(name: str) -> frozenset[str]:
    text = (resources.files("gateway.checks.pii") / "data" / name).read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def load_lexicon(
    english: frozenset[str], stop_words: frozenset[str], not_nouns: frozenset[str] = frozenset()
) -> Lexicon:
    everyday = _words("everyday_words.txt") | NAME_WORDS | stop_words
    return Lexicon(_words("given_names.txt"), _words("surnames.txt"), english, everyday, not_nouns)
