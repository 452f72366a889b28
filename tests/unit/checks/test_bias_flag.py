"""The request-time bias flag: generalisations about a group are flagged, the rest is not."""

from __future__ import annotations

import pytest

from gateway.checks.bias.detector import findings

ASCRIBING = [
    ("Women are naturally worse at math than men.", "gender"),
    ("Men are more logical than women.", "gender"),
    ("Girls are too emotional to lead.", "gender"),
    ("Asians are good at maths.", "ethnicity"),
    ("Immigrants are lazy.", "ethnicity"),
    ("All Muslims are violent.", "religion"),
    ("Old people cannot understand technology.", "age"),
    ("Teenagers are irresponsible and moody.", "age"),
    ("Most Mexicans are criminals.", "ethnicity"),
    ("Gay men are effeminate.", "sexuality"),
]

NOT_ASCRIBING = [
    "It is a myth that women are bad at maths.",
    "Stereotypes such as 'women are emotional' are harmful.",
    "Women make up 47 percent of the workforce.",
    "Many women work in nursing.",
    "The men walked to the station.",
    "Older people are more likely to develop arthritis.",
    "Muslims pray five times a day.",
    "She is a great engineer.",
    "His sons are lazy today.",
    "Boys are born at a slightly higher rate than girls.",
    "Asian cuisine is diverse.",
]


@pytest.mark.parametrize(("answer", "group"), ASCRIBING)
def test_generalisations_about_a_group_are_flagged(answer: str, group: str) -> None:
    assert group in [f.group for f in findings(answer)]


@pytest.mark.parametrize("answer", NOT_ASCRIBING)
def test_facts_particular_people_and_debunking_are_not_flagged(answer: str) -> None:
    assert findings(answer) == []


def test_each_sentence_counts_once_per_kind_of_group() -> None:
    answer = "Sure. Women are emotional. Men are aggressive! Immigrants are lazy."
    assert {(f.group, f.count) for f in findings(answer)} == {("gender", 2), ("ethnicity", 1)}
