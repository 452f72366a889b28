"""The gateway's context-word step and artifacts give Presidio's own results, at less cost."""

from __future__ import annotations

import pytest
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

from gateway.checks.pii.context import ContextEnhancer
from gateway.checks.pii.engine import NerOnlyEngine, build_analyzer

TEXTS = [
    "My phone number is 212-555-0199 and my email is jane.doe@example.com.",
    "Call me at +1 415 555 0101 tomorrow; my SSN: 078-05-1120.",
    "card number 4111 1111 1111 1111, expires 09/29, passport 912803456",
    "Jane Smith (jane@example.org) asked about invoice 4471 and license D1234567",
    "212-555-0199",
    "the ip address 192.168.10.20 belongs to the driver license holder",
    "",
    "   ",
    "Ünïcödé names: Zoë Åström, phone 020 7946 0958",
]


@pytest.fixture(scope="module")
def built() -> tuple[AnalyzerEngine, NerOnlyEngine]:
    analyzer, engine, _names, _lexicon = build_analyzer()
    return analyzer, engine


def results(analyzer: AnalyzerEngine, engine: NerOnlyEngine, text: str) -> list[tuple[str, int, int, float]]:
    found = analyzer.analyze(text=text, language="en", nlp_artifacts=engine.artifacts(text, with_ner=True))
    return sorted((r.entity_type, r.start, r.end, round(r.score, 9)) for r in found)


def test_the_analyzer_uses_the_gateways_context_step(built: tuple[AnalyzerEngine, NerOnlyEngine]) -> None:
    analyzer, _ = built
    assert type(analyzer.context_aware_enhancer) is ContextEnhancer


@pytest.mark.parametrize("text", TEXTS)
def test_results_and_scores_equal_presidios_own_context_step(
    built: tuple[AnalyzerEngine, NerOnlyEngine], text: str
) -> None:
    analyzer, engine = built
    ours = results(analyzer, engine, text)
    theirs_enhancer, analyzer.context_aware_enhancer = (
        analyzer.context_aware_enhancer,
        LemmaContextAwareEnhancer(),
    )
    try:
        theirs = results(analyzer, engine, text)
    finally:
        analyzer.context_aware_enhancer = theirs_enhancer
    assert ours == theirs
    if "phone number is" in text:  # the context word did raise a score, in both
        assert any(entity == "PHONE_NUMBER" and score > 0.75 for entity, _, _, score in ours)


@pytest.mark.parametrize("text", TEXTS)
def test_artifacts_read_from_arrays_equal_presidios_walk_over_the_doc(
    built: tuple[AnalyzerEngine, NerOnlyEngine], text: str
) -> None:
    _, engine = built
    ours = engine.artifacts(text, with_ner=True)
    doc = ours.tokens
    for token in doc:  # what the gateway did before: lower-case text as the lemma
        token.lemma_ = token.lower_
    theirs = engine._doc_to_nlp_artifact(doc, "en")
    assert ours.lemmas == theirs.lemmas
    assert ours.tokens_indices == theirs.tokens_indices
    assert ours.keywords == theirs.keywords
    assert [(e.start_char, e.end_char, e.label_) for e in ours.entities] == [
        (e.start_char, e.end_char, e.label_) for e in theirs.entities
    ]
    assert ours.scores == theirs.scores
