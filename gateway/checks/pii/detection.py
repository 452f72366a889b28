"""The async front of detection: a bounded cache in front of the shared `BatchRunner`.

- Cache: one entry per (scope, text), least recently used first out. A conversation resends
  its history every turn; only the new messages are analysed again. Keys hold a digest of the
  text, not the text, so the cache keeps no personal data beyond span offsets.
- Execution is the runner's (`gateway.checks.runner`), as for every check: `workers=0` runs the
  detector on one thread of this process (tests, small deployments); `workers>0` runs that many
  worker processes, so detection uses every core instead of contending for the GIL. Requests
  that wait are analysed together: NER over a batch (`nlp.pipe`) costs about half as much per
  text as one text at a time, so throughput grows with the load.
- Time budget: a detection that raises or does not finish in `timeout_seconds` raises
  `DetectorUnavailable`; the caller (the PII check) then fails closed.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gateway.checks.pii.detector import Detector, Span
from gateway.checks.pii.scope import DetectionScope
from gateway.checks.runner import BatchRunner, RunnerSettings
from gateway.errors import DetectorUnavailable

_Key = tuple[DetectionScope, bytes]
_Job = tuple[Sequence[str], DetectionScope]  # one request's uncached texts, under its scope
_Spans = list[tuple[Span, ...]]  # one tuple of spans per text


@dataclass(frozen=True)  # no slots: the class attributes serve as the defaults below
class DetectionSettings(RunnerSettings):
    timeout_seconds: float = 2.0
    cache_entries: int = 4096

    @classmethod
    def from_environ(cls, environ: dict[str, str] | Any, prefix: str = "PII") -> DetectionSettings:
        """`GATEWAY_PII_WORKERS`, `GATEWAY_PII_TIMEOUT_MS`, `GATEWAY_PII_CACHE_ENTRIES`."""
        runner = super().from_environ(environ, prefix)
        return replace(
            runner, cache_entries=int(environ.get(f"GATEWAY_{prefix}_CACHE_ENTRIES", cls.cache_entries))
        )


class Detection:
    def __init__(
        self,
        detector: Detector | Callable[[], Detector],
        settings: DetectionSettings | None = None,
    ) -> None:
        """`detector` is an instance (in-thread) or, with workers, a picklable factory."""
        self._settings = settings = settings or DetectionSettings()
        self._cache: OrderedDict[_Key, tuple[Span, ...]] = OrderedDict()
        self._local: Detector | None = None
        self._runner: BatchRunner[_Job, _Spans]
        if settings.workers > 0:  # each worker process builds its own, from a picklable factory
            factory = detector if not isinstance(detector, Detector) else type(detector)
            self._runner = BatchRunner("pii", factory, settings, _unavailable)
        else:  # the one instance here serves, on the runner's thread
            self._local = local = detector if isinstance(detector, Detector) else detector()
            self._runner = BatchRunner("pii", lambda: local, settings, _unavailable)
        self.version = self._runner.version

    async def detect(self, texts: Sequence[str], scope: DetectionScope) -> _Spans:
        keys = [_cache_key(scope, text) for text in texts]
        found: dict[int, tuple[Span, ...]] = {}
        missing: list[int] = []
        for index, key in enumerate(keys):
            if key in self._cache:
                self._cache.move_to_end(key)
                found[index] = self._cache[key]
            else:
                missing.append(index)
        if missing:
            fresh = await self._runner.run(([texts[i] for i in missing], scope))
            for index, spans in zip(missing, fresh, strict=True):
                found[index] = spans
                self._remember(keys[index], spans)
        return [found[index] for index in range(len(texts))]

    def remember(self, text: str, scope: DetectionScope, spans: tuple[Span, ...]) -> None:
        """Cache spans the gateway already knows for `text` (an answer it restored, which the
        caller will send back as history next turn), so that text is not analysed again."""
        self._remember(_cache_key(scope, text), spans)

    def _remember(self, key: _Key, spans: tuple[Span, ...]) -> None:
        self._cache[key] = spans
        if len(self._cache) > self._settings.cache_entries:
            self._cache.popitem(last=False)

    def close(self) -> None:
        self._runner.close()
        if self._local is not None:
            self._local.close()


def _unavailable(check: str) -> DetectorUnavailable:
    # Its own code (`pii_detection_unavailable`), as before the shared runner: clients and
    # dashboards tell a PII outage from another check's.
    return DetectorUnavailable(
        "PII detection is unavailable; the request was not sent.", retry_after_seconds=2
    )


def _cache_key(scope: DetectionScope, text: str) -> _Key:
    # A digest, not the text: the cache keeps no personal data beyond span offsets.
    return scope, hashlib.blake2b(text.encode(), digest_size=16).digest()
