# ruff: noqa: RUF001  (names written as people write them: dotless i and all)
"""Person names of every kind the detector once missed, with the real detector (one test per
kind), and ordinary text that must stay untouched."""

from __future__ import annotations

import pytest

from gateway.checks.pii.actions import resolve
from gateway.checks.pii.casing import truecase
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.lexicon import Lexicon
from gateway.checks.pii.scope import scope_of
from gateway.policy.schema import PiiPolicy


def names_in(detector: PresidioDetector, text: str) -> list[str]:
    (spans,) = detector.detect([text], scope_of(PiiPolicy()))
    return [text[s.start : s.end] for s in resolve(spans) if s.entity == "PERSON"]


def assert_found(detector: PresidioDetector, text: str, *names: str) -> None:
    found = names_in(detector, text)
    for name in names:
        assert any(name in value for value in found), (text, found)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("CHINEDU EZE\nAccounts Payable\nAbuja", ["CHINEDU EZE"]),
        ("ATTN: PARK JI-WOO, please sign page 2.", ["PARK JI-WOO"]),
        ("PLEASE SEND THE CONTRACT TO DANIEL HOFFMANN TODAY", ["DANIEL HOFFMANN"]),
        ("PASSENGER: AYŞE KAYA, SEAT 3A", ["AYŞE KAYA"]),
    ],
)
def test_names_in_capitals(presidio: PresidioDetector, text: str, names: list[str]) -> None:
    assert_found(presidio, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("can you ask emeka nwosu to call me back", ["emeka nwosu"]),
        ("i had lunch with haruka sato yesterday", ["haruka sato"]),
        ("tell priya raghavan the demo moved", ["priya raghavan"]),
        ("send the keys to pavel novak pls", ["pavel novak"]),
    ],
)
def test_names_in_lower_case(presidio: PresidioDetector, text: str, names: list[str]) -> None:
    assert_found(presidio, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Adebayo, Tunde; Eze, Ngozi", ["Adebayo, Tunde", "Eze, Ngozi"]),
        ("Name: Choi, Min-seo\nTeam: Payments", ["Choi, Min-seo"]),
        ("Kowalska, Magdalena,magda@example.pl,Krakow", ["Kowalska, Magdalena"]),
    ],
)
def test_surname_comma_given(presidio: PresidioDetector, text: str, names: list[str]) -> None:
    assert_found(presidio, text, *names)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ask Ananya whether the build passed", "Ananya"),
        ("cc Oluwaseun on the thread please", "Oluwaseun"),
        ("Thanks, Ji-hoon, that fixed it.", "Ji-hoon"),
        ("Could you remind Yusuf about the invoice?", "Yusuf"),
        ("@Kenji the deploy is done", "Kenji"),
        ("cc Girma and Tigist, they own the board", "Tigist"),  # names no list holds
        ("Abebech said the demo moved to 3pm", "Abebech"),
        ("Thanks Seo-eon, see you", "Seo-eon"),
        ("ping radek when you are back", "radek"),
    ],
)
def test_a_given_name_standing_alone(presidio: PresidioDetector, text: str, name: str) -> None:
    assert_found(presidio, text, name)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Ömer Yıldırım approved the budget.", ["Ömer Yıldırım"]),
        ("Our partner is Oluwadamilare Ogunbanjo from Ibadan.", ["Oluwadamilare Ogunbanjo"]),
        ("Forward it to Jung Hae-in in the Seoul office.", ["Jung Hae-in"]),
        ("Ask Hiroko Matsumoto about the launch.", ["Hiroko Matsumoto"]),
        ("Venkataraman Iyer signed off on the design.", ["Venkataraman Iyer"]),
        ("The grant went to Přemysl Dvořák.", ["Přemysl Dvořák"]),
        ("Ask Małgorzata Wiśniewska about the audit.", ["Małgorzata Wiśniewska"]),
        ("Trần Thị Mai joined the team.", ["Trần Thị Mai"]),
    ],
)
def test_names_of_many_origins_and_diacritics(
    presidio: PresidioDetector, text: str, names: list[str]
) -> None:
    assert_found(presidio, text, *names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Fiona Gallagher will run the retro on Friday.", ["Fiona Gallagher"]),  # sentence starts with it
        ("Prof. Adeyinka asked for the slides.", ["Adeyinka"]),  # after a title
        ("Write to Helen Marsh (tom.reed@example.com handles her mail).", ["Helen Marsh"]),
    ],
)
def test_names_in_unseen_templates(presidio: PresidioDetector, text: str, names: list[str]) -> None:
    assert_found(presidio, text, *names)


@pytest.mark.parametrize(
    "text",
    [
        "Book a room at the Hilton in Florence for the Chase Bank offsite.",
        "ok so the build for the kubernetes cluster is failing again",
        "ERROR: CONNECTION REFUSED ON PORT 5432, RETRYING IN 5 SECONDS",
        "Sort these: apples, pears, oranges, plums",
        "Compare Victoria Falls and Niagara Falls for a family trip.",
        "Please review the Q3 budget for the Lisbon and Madrid offices.",
        "The Wi-Fi in the lobby is down; bring a T-shirt and the X-ray.",
        "Senior Engineer, Orion Labs",
        "Ships from Lagos, Nigeria and Accra, Ghana.",
    ],
)
def test_ordinary_text_has_no_names(presidio: PresidioDetector, text: str) -> None:
    assert names_in(presidio, text) == []


def test_truecasing_keeps_every_offset_and_recases_only_one_case_lines() -> None:
    lexicon = Lexicon(
        given=frozenset({"samuel", "sneha"}),
        surnames=frozenset({"okoro"}),
        english=frozenset({"ask", "about", "the", "invoice", "please", "sign"}),
        everyday=frozenset({"ask", "about", "the", "please"}),
    )
    assert truecase("ask sneha about the invoice", lexicon) == "ask Sneha about the invoice"
    assert truecase("SAMUEL OKORO\nPlease sign", lexicon) == "Samuel Okoro\nPlease sign"
    assert truecase("Please ask SAMUEL", lexicon) == "Please ask Samuel"
    text = "STRASSE straße ß"
    assert len(truecase(text, lexicon)) == len(text)
