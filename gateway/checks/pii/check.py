"""`PiiCheck`: the input check that finds PII in every text of a request and applies the policy.

    texts of the body -> detection (cached, off-loop, time-boxed; values split across two texts
      too) -> block? -> actions per span
      -> rewritten body + audit form + findings + must-stay-local reasons + pseudonym table

Fail closed: when detection is unavailable the request is kept on the local model if the
tenant's policy allows a local answer (`routing.fallback: local` or `residency: local`), and
refused with 503 `pii_detection_unavailable` otherwise. Unscanned text never goes to the cloud.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from functools import partial

from gateway.checks.base import BlockedByCheck, CheckOutcome, Finding, InputScan, Restoration
from gateway.checks.pii.actions import Pseudonyms, apply, resolve
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.detector import Span
from gateway.checks.pii.hashing import Hasher
from gateway.checks.pii.scope import actions_of, scope_of
from gateway.checks.pii.seams import across_seams
from gateway.checks.texts import rewrite, texts_of, unknown_fields, unscannable_parts
from gateway.errors import BadRequest, DetectorUnavailable
from gateway.exchange import Endpoint, JsonObject, prompt_text
from gateway.policy.schema import PiiAction, TenantPolicy

DETECTOR_UNAVAILABLE = "pii:detector_unavailable"
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


class PiiCheck:
    name = "pii"

    def __init__(self, detection: Detection, hasher: Hasher) -> None:
        self._detection = detection
        self._hasher = hasher

    def enabled(self, policy: TenantPolicy) -> bool:
        return policy.pii.enabled

    async def scan(self, policy: TenantPolicy, scan: InputScan) -> InputScan:
        request = scan.request
        _refuse_unscannable(request.endpoint, request.body, policy)
        texts = texts_of(request.endpoint, request.body)
        actions = actions_of(policy.pii)
        scope = scope_of(policy.pii)
        try:
            found = await self._detection.detect(texts, scope)
            found = await across_seams(self._detection.detect, texts, scope, found)
        except DetectorUnavailable:
            if policy.routing.fallback != "local" and policy.routing.residency != "local":
                raise
            failed = CheckOutcome(
                self.name, "failed", "detector unavailable; kept on the local model", action="policy"
            )
            return replace(
                scan,
                outcomes=(*scan.outcomes, failed),
                must_stay_local=(*scan.must_stay_local, DETECTOR_UNAVAILABLE),
            )
        spans = [resolve(text_spans) for text_spans in found]
        self._refuse_blocked(spans, actions)

        pseudonyms = Pseudonyms(reserved="\n".join(texts))
        hash_token = partial(self._hasher.token, self._hasher.tenant_key(policy.tenant))
        counts: Counter[tuple[str, str]] = Counter()
        local: set[str] = set()
        forwarded: list[str] = []
        audited: list[str] = []
        for text, text_spans in zip(texts, spans, strict=True):
            applied = apply(text, text_spans, actions, pseudonyms, hash_token)
            forwarded.append(applied.forwarded)
            audited.append(applied.audited)
            counts.update(applied.counts)
            local |= applied.local_only

        audit_request = request.with_body(rewrite(request.endpoint, request.body, audited))
        outcome = CheckOutcome(
            self.name,
            "rewritten" if counts else "passed",
            self._detection.version,
            action="policy",  # one action per entity type, as the `pii:` section says
            version=self._detection.version,
            types=tuple(sorted(Counter(entity for entity, _ in counts.elements()).items())),
        )
        return replace(
            scan,
            request=request.with_body(rewrite(request.endpoint, request.body, forwarded)),
            findings=(*scan.findings, *_findings(counts)),
            outcomes=(*scan.outcomes, outcome),
            content_redacted=True,
            must_stay_local=(*scan.must_stay_local, *(f"pii:{entity}" for entity in sorted(local))),
            redacted_prompt=prompt_text(audit_request),
            restoration=Restoration(pseudonyms=pseudonyms.pairs(), supplied="\n".join(texts)),
        )

    def _refuse_blocked(self, spans: list[list[Span]], actions: dict[str, PiiAction]) -> None:
        blocked = Counter(
            span.entity for text_spans in spans for span in text_spans if actions.get(span.entity) == "block"
        )
        if not blocked:
            return
        entity = next(iter(blocked))  # the first blocked entity in request order
        raise BlockedByCheck(
            f"The request was blocked by policy: it contains {entity} (check pii:{entity}).",
            param=f"pii:{entity}",
            findings=tuple(Finding(self.name, kind, "block", count) for kind, count in blocked.items()),
        )


def _refuse_unscannable(endpoint: Endpoint, body: JsonObject, policy: TenantPolicy) -> None:
    """What the check cannot vouch for does not go on: fields it does not know (unless the
    tenant passes them, scanned), and content parts it cannot read (audio, files)."""
    unknown = unknown_fields(endpoint, body)
    if unknown and policy.pii.unknown_fields == "reject":
        name = unknown[0] if _FIELD_NAME.fullmatch(unknown[0]) else "a field"  # never echo a value
        raise BadRequest(
            f"The request has a field the gateway does not know ({name}); this tenant does not pass "
            "unknown fields.",
            param=name if name != "a field" else None,
        )
    parts = unscannable_parts(endpoint, body)
    if parts:
        kind = parts[0] if _FIELD_NAME.fullmatch(parts[0]) else "unknown"
        raise BadRequest(
            f"Content parts of type {kind} cannot be scanned for personal data; send text or images.",
            param="messages",
        )


def _findings(counts: Counter[tuple[str, str]]) -> list[Finding]:
    return [Finding("pii", entity, action, count) for (entity, action), count in sorted(counts.items())]
