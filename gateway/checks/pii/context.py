"""Presidio's context-word step, with its results unchanged and a quarter of its cost.

Presidio's `LemmaContextAwareEnhancer` raises a result's score when a context word ("phone",
"email") stands near it. Two things made it the costliest step after NER (measured over the
bench prompt, `cProfile`): it deep-copies every result first, and it finds each result's token
by walking the spaCy `Doc`, which builds a Python `Token` object per step. The analyzer drops
the list it passes in right after the call, so results are updated in place; the token is found
by bisecting the token ends, read from the doc's arrays once per text. What counts as context
(the same windows, the same lemmas, the same substring match) is Presidio's own code.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.attrs import IDX, LENGTH
from spacy.tokens import Doc

_RECOGNIZER = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
_ENHANCED = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY


class ContextEnhancer(LemmaContextAwareEnhancer):  # type: ignore[misc]
    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return raw_results
        by_id = {recognizer.id: recognizer for recognizer in recognizers}
        extra = [word.lower() for word in context or ()]
        ends = _token_ends(nlp_artifacts.tokens)
        for result in raw_results:
            metadata = result.recognition_metadata
            recognizer = by_id.get(metadata[_RECOGNIZER]) if metadata and _RECOGNIZER in metadata else None
            if recognizer is None or not recognizer.context or metadata.get(_ENHANCED):
                continue
            words = self._words_around(nlp_artifacts, ends, result.start)
            words.extend(extra)
            supportive = self._find_supportive_word_in_context(
                words, recognizer.context, self.context_matching_mode
            )
            if supportive != "":
                result.score += self.context_similarity_factor
                result.score = max(result.score, self.min_score_with_context_similarity)
                result.score = min(result.score, ContextAwareEnhancer.MAX_SCORE)
                result.analysis_explanation.set_supportive_context_word(supportive)
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results

    def _words_around(self, artifacts: NlpArtifacts, ends: Sequence[int], start: int) -> list[str]:
        """`_extract_surrounding_words`, the token found by bisection."""
        if not ends:
            return [""]
        # The first token that covers `start` or starts at it: the first whose end lies past it.
        index = bisect_right(ends, start)
        if index == len(ends):
            raise ValueError("a match lies past the last token")  # never the word: it may be PII
        keywords = artifacts.keywords
        backward = self._add_n_words_backward(index, self.context_prefix_count, artifacts.lemmas, keywords)
        forward = self._add_n_words_forward(index, self.context_suffix_count, artifacts.lemmas, keywords)
        return list({*backward, *forward})


def _token_ends(doc: Doc) -> list[int]:
    return [int(start + length) for start, length in doc.to_array([IDX, LENGTH])]
