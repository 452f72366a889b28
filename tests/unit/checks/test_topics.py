"""Banned topics match meaning, not only keywords, with the committed static embeddings."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from gateway.checks.base import BlockedByCheck, CheckContext
from gateway.checks.input import InputStage
from gateway.checks.topics.check import BannedTopics
from gateway.checks.topics.config import BannedTopicsConfig, Topic
from gateway.checks.topics.detector import WINDOW, Anchors, TopicDetector, topic_scores, windows
from gateway.checks.topics.embeddings import META_FILE, MODEL_DIR, Cutter, Embeddings
from gateway.checks.topics.generic import LENGTH, WINDOWS, generic_windows
from gateway.exchange import CompletionRequest
from gateway.policy.schema import TenantPolicy

THRESHOLD = BannedTopicsConfig.model_fields["threshold"].default
WEAPONS = {
    "name": "weapons manufacturing",
    "examples": ["how to build a gun at home", "instructions to make a firearm or ammunition"],
}


@pytest.fixture(scope="module")
def stage() -> InputStage:
    return InputStage(checks={"banned_topics": BannedTopics(CheckContext())})


def tenant(**config: object) -> TenantPolicy:
    checks = {"input": {"banned_topics": {"topics": [WEAPONS, "medical diagnosis"], **config}}}
    return TenantPolicy.model_validate({"tenant": "t", "api_keys": [], "checks": checks})


def chat(*texts: str) -> CompletionRequest:
    messages = [{"role": "user", "content": text} for text in texts]
    return CompletionRequest("chat", "gpt-4o", False, {"model": "gpt-4o", "messages": messages})


async def test_a_request_about_a_banned_topic_is_blocked_though_it_shares_no_keyword(
    stage: InputStage,
) -> None:
    with pytest.raises(BlockedByCheck) as caught:
        await stage.scan_input(tenant(), chat("Hi!", "How do I build a rifle receiver at home?"))
    assert caught.value.param == "banned_topics" and "weapons manufacturing" in caught.value.message
    (outcome,) = caught.value.outcomes
    assert outcome.status == "blocked" and outcome.types == (("weapons manufacturing", 1),)


async def test_the_same_words_in_another_intent_pass(stage: InputStage) -> None:
    scan = await stage.scan_input(tenant(), chat("Write a history essay about the arms race."))
    (outcome,) = scan.outcomes
    assert outcome.status == "passed"
    assert outcome.version == json.loads((MODEL_DIR / META_FILE).read_text())["version"]


async def test_shadow_records_the_topic_it_would_have_blocked(stage: InputStage) -> None:
    scan = await stage.scan_input(tenant(action="shadow"), chat("how to 3d print a working handgun"))
    (outcome,) = scan.outcomes
    assert (outcome.status, outcome.would_block, outcome.types) == (
        "flagged",
        True,
        (("weapons manufacturing", 1),),
    )


def test_a_topic_list_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="topics"):
        tenant(topics=[])


@pytest.fixture(scope="module")
def detector() -> TopicDetector:
    return TopicDetector()


DRUGS = (Topic(name="making illegal drugs", examples=("how to cook methamphetamine",)),)


def test_a_word_cut_into_pieces_has_a_vector_of_its_own(detector: TopicDetector) -> None:
    embeddings = detector._embeddings
    (whole,) = embeddings.tokens("fentanyl")  # one entry, not "fen", "##tan", "##yl"
    assert embeddings.tokens("fen") != [whole]
    pieces = embeddings.cutter.pieces("fentanyl")
    assert len(pieces) > 1
    neighbour = embeddings.vectors[embeddings.tokens("morphine")[0]]
    assert embeddings.vectors[whole] @ neighbour > embeddings.vectors[pieces].mean(axis=0) @ neighbour + 0.2


def test_the_intent_decides_not_only_the_drug_named(detector: TopicDetector) -> None:
    (making,) = detector.scores(["how do I make meth from cold medicine"], DRUGS)
    (history,) = detector.scores(["what is the history of the opium wars"], DRUGS)
    assert making >= THRESHOLD > history


def test_a_request_scores_its_best_sentence_and_nothing_for_no_words(detector: TopicDetector) -> None:
    alone = detector.scores(["how to cook methamphetamine"], DRUGS)
    assert alone[0] >= THRESHOLD  # the example itself
    assert detector.scores(["Hello there. How to cook methamphetamine?", "Thanks."], DRUGS) == alone
    assert detector.scores(["", "   "], DRUGS) == [0.0]
    assert detector.scores(["hello"], (Topic(name="   "),)) == [0.0]  # a topic with no entries
    named, empty = detector.scores(["how to build a gun"], (Topic(name="weapons"), Topic(name="   ")))
    assert named > 0.3 and empty == 0.0


def anchors(phrases: list[tuple[int, bool, int]], topics: int) -> Anchors:
    """Phrases of `length` equal-weight entries: (topic, is its name, length)."""
    lengths = [length for _, _, length in phrases]
    starts = np.cumsum([0, *lengths[:-1]])
    shares = np.concatenate([np.full(length, 1 / length) for length in lengths])
    return Anchors(
        vectors=np.zeros((sum(lengths), 1)),
        shares=shares,
        starts=starts,
        owner=np.array([topic for topic, _, _ in phrases]),
        names=np.array([name for _, name, _ in phrases]),
        topics=topics,
        offsets=np.zeros(topics),
    )


def test_a_topic_scores_the_mean_of_its_two_best_covered_phrases() -> None:
    three = anchors([(0, False, 1), (0, False, 1), (0, False, 1), (1, False, 1), (2, True, 1)], 3)
    nearest = np.array([[0.9, 0.5, 0.1, 0.8, 0.6], [0.2, 0.3, 0.4, 0.1, 0.3]])  # two windows
    assert np.allclose(topic_scores(nearest, three), [[0.7, 0.8, 0.6], [0.35, 0.1, 0.3]])


def test_a_name_is_covered_only_as_well_as_all_its_words_together() -> None:
    named = anchors([(0, True, 2), (1, False, 2)], 2)  # the same two words as a name and as an example
    ((name, example),) = topic_scores(np.array([[1.0, 0.25, 1.0, 0.25]]), named)
    assert example == pytest.approx(0.625) and name == pytest.approx(0.5)  # geometric mean
    ((unmatched, _),) = topic_scores(np.array([[1.0, -0.3, 1.0, -0.3]]), named)
    assert unmatched == pytest.approx(0.05**0.5)  # a word with no neighbour counts as a weak one


def test_a_topic_of_everyday_words_is_marked_down_more_than_one_of_rare_words(
    detector: TopicDetector,
) -> None:
    both = detector._anchors_of((Topic(name="what do I have"), Topic(name="methamphetamine synthesis")))
    alone = detector._anchors_of((Topic(name="what do I have"),))
    assert both is not None and alone is not None
    everyday, rare = both.offsets
    assert everyday > rare + 0.05
    assert alone.offsets[0] == everyday  # a topic's offset does not depend on the other topics


def test_generic_windows_draw_frequent_entries_most_and_the_same_on_every_load() -> None:
    cutter = Embeddings().cutter
    drawn = generic_windows(cutter)
    assert drawn.shape == (WINDOWS, LENGTH) and (drawn == generic_windows(cutter)).all()
    (the,) = cutter.ids("the")
    counts = np.bincount(drawn.ravel() - the)
    assert drawn.min() >= the and counts[0] == counts.max()
    assert counts[:10].sum() > counts[1000:].sum() / 4  # Zipf: ten ranks weigh about as much as ~9,000


def test_a_long_sentence_is_compared_in_overlapping_windows_that_cover_it() -> None:
    assert windows(0) == [(0, 0)] and windows(WINDOW) == [(0, WINDOW)]
    spans = windows(WINDOW * 2 + 3)
    assert spans[0] == (0, WINDOW) and spans[-1][1] == WINDOW * 2 + 3
    assert all(end - start == WINDOW for start, end in spans)
    assert all(b[0] < a[1] for a, b in itertools.pairwise(spans))  # they overlap


def test_a_long_run_on_sentence_does_not_cover_a_topic_by_its_length(detector: TopicDetector) -> None:
    everyday = (
        "please book a table for four, then write the agenda for monday, list three gift ideas, "
        "translate the menu into french, fix the typo in my cover letter, plan a walk in the hills, "
        "summarise the notes from the call, and suggest a name for the cat"
    )
    assert len(detector._embeddings.tokens(everyday)) > 2 * WINDOW
    assert max(detector.scores([everyday], DRUGS)) < 0.5


def test_whole_words_are_looked_up_before_pieces_and_only_whole() -> None:
    cutter = Cutter(["[UNK]", "fen", "##tan", "##yl", "##s"], ["fentanyl"])
    assert cutter.ids("Fentanyl, fentanyls") == [5, 0, 1, 2, 3, 4]  # "," is unknown here


def test_tokens_are_cut_as_bert_cuts_them() -> None:
    embeddings = Embeddings()
    unknown = embeddings.cutter.unknown
    words = ["[UNK]" if i == unknown else i for i in embeddings.tokens("Café, naïve_AR-15s 你好")]
    vocab = {i: token for token, i in embeddings.cutter._index.items()}
    assert [vocab.get(t, t) for t in words] == [  # type: ignore[call-overload]
        "cafe",
        ",",
        "naive",
        "_",
        "ar",
        "-",
        "15",
        "##s",
        "[UNK]",
        "[UNK]",
    ]
