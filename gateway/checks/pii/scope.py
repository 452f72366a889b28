"""What a tenant's policy asks the detector to look for, as one hashable, picklable value.

`DetectionScope` is the cache key for analyses (with the text) and what a worker process
receives, so it holds only plain tuples. Entities a tenant did not ask for are not looked for:

- the entities listed in `pii.entities` with any action but `allow`,
- every `pii.custom` recognizer's entity,
- and, unless `default_action` is `allow`, the identifying entities in `DEFAULT_ENTITIES`.

Presidio's noisy entities (`LOCATION`, `DATE_TIME`, `NRP`, `ORGANIZATION`, `URL`, ...) are in
`DEFAULT_ENTITIES` on purpose not: "Paris" or "next Tuesday" are rarely personal data, and
redacting them by default ruins ordinary prompts. A tenant that wants them lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.policy.schema import PiiAction, PiiPolicy

# Entities that identify a person or an account, looked for whenever `default_action` applies.
DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_BANK_NUMBER",
    "US_DRIVER_LICENSE",
    "US_ITIN",
    "US_PASSPORT",
    "UK_NHS",
    "CRYPTO",
    "MEDICAL_LICENSE",
)

# Entities that only spaCy's NER finds: when a scope wants none of them, the NER step is skipped.
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP", "DATE_TIME", "ORGANIZATION"})


@dataclass(frozen=True, slots=True)
class CustomPattern:
    entity: str
    pattern: str | None
    deny_list: tuple[str, ...]
    context: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class DetectionScope:
    entities: tuple[str, ...]  # sorted, custom entities included
    threshold: float
    custom: tuple[CustomPattern, ...] = ()
    allow: tuple[str, ...] = ()  # case-folded values that are never PII for this tenant

    @property
    def ner_entities(self) -> frozenset[str]:
        return NER_ENTITIES.intersection(self.entities)

    @property
    def needs_ner(self) -> bool:
        return bool(self.ner_entities)

    def allows(self, value: str) -> bool:
        return value.strip().casefold() in self.allow


def actions_of(pii: PiiPolicy) -> dict[str, PiiAction]:
    """Entity type -> action, for every entity the scope looks for."""
    actions: dict[str, PiiAction] = {}
    if pii.default_action != "allow":
        actions.update({entity: pii.default_action for entity in DEFAULT_ENTITIES})
    actions.update({custom.entity: custom.action for custom in pii.custom})
    actions.update(pii.entities)  # an explicit entry wins over the default and a custom action
    return {entity: action for entity, action in actions.items() if action != "allow"}


def scope_of(pii: PiiPolicy) -> DetectionScope:
    custom = tuple(
        CustomPattern(c.entity, c.pattern, tuple(c.deny_list), tuple(c.context), c.score) for c in pii.custom
    )
    return DetectionScope(
        entities=tuple(sorted(actions_of(pii))),
        threshold=pii.score_threshold,
        custom=custom,
        allow=tuple(sorted({value.strip().casefold() for value in pii.allow})),
    )
