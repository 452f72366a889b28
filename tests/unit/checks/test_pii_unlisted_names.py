"""Names that no name list holds, one test per kind of rule that finds them: the recasing of
one-case and capitalised text, names next to names, lists, labels and action items. Each
test takes the test's own names out of the lexicon (`PresidioDetector(unlisted=...)`), so a
pass says that the rule found the name, not the list. Ordinary text stays untouched."""

from __future__ import annotations

import re

import pytest

from gateway.checks.pii.actions import resolve
from gateway.checks.pii.casing import truecase
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.lexicon import Lexicon
from gateway.checks.pii.scope import scope_of
from gateway.policy.schema import PiiPolicy
from tests.unit.checks.test_pii_names import names_in

# Every word of every name below: the detector of this module knows none of them.
NAMES = [
    "vân bùi", "tú lê", "phyllis luna", "ann hahn", "pei", "MIN DUAN", "SEO-JUN", "Krishnan, Girik",
    "Santoso, Gading", "Glen Floyd", "Riley Thuranira", "Berta", "Nkiruka", "Kiburi", "Bronwyn",
    "Akobir", "Tsubasa", "Okwuosa", "Nkemdirim", "Luna",
]  # fmt: skip


@pytest.fixture(scope="module")
def unlisted() -> PresidioDetector:
    words = {w for name in NAMES for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)?", name)}
    words |= {part for w in set(words) for part in w.split("-")}
    return PresidioDetector(unlisted=frozenset(words))


def assert_whole(detector: PresidioDetector, text: str, *names: str) -> None:
    """Every word of each name is inside a PERSON span (half a name is a leak)."""
    (spans,) = detector.detect([text], scope_of(PiiPolicy()))
    people = [(s.start, s.end) for s in resolve(spans) if s.entity == "PERSON"]
    for name in names:
        start = text.index(name)
        for word in re.finditer(r"[^\W\d_]{2,}", name):
            at = start + word.start()
            assert any(s <= at < e for s, e in people), (text, name, word.group(), names_in(detector, text))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("ticket 4821: vân bùi cannot log in since tuesday", ["vân bùi"]),  # short words, diacritics
        ("the quote for tú lê is ready", ["tú lê"]),
        ("ask phyllis luna to call me", ["phyllis luna"]),  # "luna": an English noun next to a name
        ("mr. pei says the boiler is broken again", ["pei"]),  # after a title
    ],
)
def test_names_in_lower_case_no_list_holds(unlisted: PresidioDetector, text: str, names: list[str]) -> None:
    assert_whole(unlisted, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Compose a polite reminder to MIN DUAN that the bill is overdue.", ["MIN DUAN"]),
        ("Action items: SEO-JUN to update the docs.", ["SEO-JUN"]),  # syllables in capitals
    ],
)
def test_names_in_capitals_in_mixed_text(unlisted: PresidioDetector, text: str, names: list[str]) -> None:
    assert_whole(unlisted, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # the small model calls both words places; neither is a word of the English lists
        ("Please draft a reply to Krishnan, Girik (jc@example.org) thanking them.", ["Krishnan, Girik"]),
        ("Ticket 4821: Santoso, Okwuosa cannot log in to the portal.", ["Santoso, Okwuosa"]),
    ],
)
def test_surname_comma_given_no_list_holds(unlisted: PresidioDetector, text: str, names: list[str]) -> None:
    assert_whole(unlisted, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Owner is Luna Okwuosa, call her.", ["Luna Okwuosa"]),  # "Luna": a noun, and here a name
        ("Our partner is Riley Thuranira from the Nairobi office.", ["Riley Thuranira"]),
    ],
)
def test_a_word_next_to_a_name_belongs_to_it(unlisted: PresidioDetector, text: str, names: list[str]) -> None:
    assert_whole(unlisted, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Members: Okwuosa, Nkemdirim; Nkiruka", ["Okwuosa, Nkemdirim", "Nkiruka"]),  # a list, ";"
        ("Reviewer: Okwuosa Nkemdirim | Berta", ["Berta"]),
        ("Present: Okwuosa Nkemdirim. Apologies: Tsubasa.", ["Tsubasa"]),  # a label of people
        ("Meeting notes: Kiburi will send the slides.", ["Kiburi"]),  # an action item
        ("Action items: Bronwyn to fix the build, Akobir to update the docs.", ["Bronwyn", "Akobir"]),
    ],
)
def test_lone_given_names_in_lists_labels_and_tasks(
    unlisted: PresidioDetector, text: str, names: list[str]
) -> None:
    assert_whole(unlisted, text, *names)


@pytest.mark.parametrize(
    "text",
    [
        "Kubernetes will evict pods when memory runs out.",
        "Next stop: the maersk depot in antwerp.",
        "client list for the lisbon office, with account managers accenture and kpmg.",
        "Ships from Lagos, Nigeria and Accra, Ghana.",
        "To: Finance\nFrom: Payroll\nRoom: Paris 2",
        "PLEASE NOTE: THE HTTP API IS DOWN",
        # an unknown word and an English noun after it: how things and places are named
        "Book the Marriott Courtyard near Changi Airport for three nights.",
        "Oxycodone Hydrochloride 5 mg, twice daily.",
        "Tokyo Haneda to Osaka Itami by train.",
        "To: Schiphol",  # one word after "To:" is a place as often as a person
    ],
)
def test_ordinary_text_stays_ordinary(presidio: PresidioDetector, text: str) -> None:
    assert names_in(presidio, text) == []


def test_recasing_of_neighbours_titles_and_capitals() -> None:
    lexicon = Lexicon(
        given=frozenset({"phyllis"}),
        surnames=frozenset(),
        english=frozenset({"ask", "to", "the", "luna", "depot", "call", "remind", "bill", "that", "min"}),
        everyday=frozenset({"ask", "to", "the", "that", "bill"}),
        not_nouns=frozenset({"call", "remind"}),
    )
    assert truecase("ask phyllis luna to call", lexicon) == "ask Phyllis Luna to call"
    assert truecase("the maersk depot", lexicon) == "the Maersk depot"  # no name after "the"
    assert truecase("mr. pei", lexicon) == "Mr. Pei"
    assert truecase("tú lê", lexicon) == "Tú Lê"
    assert truecase("remind MIN DUAN that the bill", lexicon) == "remind Min Duan that the bill"
    assert truecase("remind THE BILL", lexicon) == "remind THE BILL"  # everyday words stay


def test_lexicon_without_names_and_nouns_that_could_be_names() -> None:
    lexicon = Lexicon(
        given=frozenset({"riley", "ann"}),
        surnames=frozenset({"hahn"}),
        english=frozenset({"riley", "grant", "slack"}),
        everyday=frozenset({"the"}),
        not_nouns=frozenset({"grant", "slack"}),
    )
    smaller = lexicon.without(frozenset({"Riley", "Hahn"}))
    assert not smaller.is_name("riley") and not smaller.is_name("HAHN") and smaller.is_given("Ann")
    assert lexicon.without(frozenset()) is lexicon
    assert lexicon.could_be_name("Riley") and lexicon.could_be_name("Okoro")
    assert not lexicon.could_be_name("grant") and not lexicon.could_be_name("slacks")
    assert not lexicon.could_be_name("the")
