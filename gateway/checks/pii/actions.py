"""Apply a tenant's per-entity actions to one text, given the spans the detector found.

Each text gets two forms: the one forwarded to the model, and the one the audit may store. They
differ only for `local_only` (the model gets the value, the audit gets `<ENTITY>`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.checks.pii.detector import Span
from gateway.policy.schema import PiiAction

MASK_KEEP = 4


@dataclass(slots=True)
class Pseudonyms:
    """Per request: one token per distinct value, numbered per entity in order of appearance.

    Numbers whose token already appears literally in the caller's text are skipped, so that
    restoring a token can never turn the caller's own "<PERSON_1>" into somebody's name.
    """

    reserved: str = field(default="", repr=False)
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counters: Counter[str] = field(default_factory=Counter)

    def token(self, entity: str, value: str) -> str:
        key = (entity, value)
        if key not in self._tokens:
            while True:
                self._counters[entity] += 1
                token = f"<{entity}_{self._counters[entity]}>"
                if token not in self.reserved:
                    break
            self._tokens[key] = token
        return self._tokens[key]

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """(token, original value) for the output stage."""
        return tuple((token, value) for (_, value), token in self._tokens.items())


@dataclass(frozen=True, slots=True)
class Applied:
    forwarded: str
    audited: str
    counts: Counter[tuple[str, str]]  # (entity, action) -> occurrences
    local_only: frozenset[str]  # entities that keep this request on the local model


def mask(value: str) -> str:
    """Keep the last 4 characters, star the others; a value of 4 or fewer is starred whole."""
    if len(value) <= MASK_KEEP:
        return "*" * len(value)
    return "*" * (len(value) - MASK_KEEP) + value[-MASK_KEEP:]


def resolve(spans: tuple[Span, ...]) -> list[Span]:
    """Non-overlapping spans in text order. Overlapping spans (of any entities) become one span
    covering them all, so that no part of a value is left out; it takes the entity of the
    longest of them, then of the highest score ("+1-830-453-6161" is a PHONE_NUMBER even though
    its last ten digits pass the NHS checksum)."""
    clusters: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if clusters and span.start < max(s.end for s in clusters[-1]):
            clusters[-1].append(span)
        else:
            clusters.append([span])
    resolved = []
    for cluster in clusters:
        winner = max(cluster, key=lambda s: (s.end - s.start, s.score))
        resolved.append(Span(winner.entity, cluster[0].start, max(s.end for s in cluster), winner.score))
    return resolved


def apply(
    text: str,
    spans: list[Span],
    actions: dict[str, PiiAction],
    pseudonyms: Pseudonyms,
    hash_token: Callable[[str, str], str],
) -> Applied:
    forwarded: list[str] = []
    audited: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    local: set[str] = set()
    position = 0
    for span in spans:
        value = text[span.start : span.end]
        action = actions.get(span.entity, "redact")
        counts[(span.entity, action)] += 1
        if action == "local_only":
            local.add(span.entity)
            out, audit = value, f"<{span.entity}>"
        elif action == "pseudonymize":
            out = audit = pseudonyms.token(span.entity, value)
        elif action == "hash":
            out = audit = hash_token(span.entity, value)
        elif action == "mask":
            out = audit = mask(value)
        else:  # redact (block never reaches here: the check refuses the request first)
            out = audit = f"<{span.entity}>"
        gap = text[position : span.start]
        forwarded += (gap, out)
        audited += (gap, audit)
        position = span.end
    forwarded.append(text[position:])
    audited.append(text[position:])
    return Applied("".join(forwarded), "".join(audited), counts, frozenset(local))
