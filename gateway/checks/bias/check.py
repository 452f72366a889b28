"""`checks.output.bias`: flag answers that generalise about a group; never change them.

Whole answers are scanned before they are returned, so the flag reaches `x-gateway-flags`.
Streams pass through untouched, chunk by chunk (nothing is held back for a flag-only check):
finished sentences are scanned as they arrive and the rest at the end, so a stream's flag is
in its audit record only (its headers left before the answer was written).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from gateway.checks.answer import text_of
from gateway.checks.base import CheckOutcome, Finding, InputScan
from gateway.checks.bias import detector
from gateway.checks.bias.config import BiasConfig
from gateway.checks.output import BatchedOutputCheck, OutputGuard, PassThrough
from gateway.checks.runner import BatchDetector, BatchRunner
from gateway.checks.sentences import SENTENCE_END
from gateway.errors import CheckUnavailable
from gateway.exchange import Completion, Endpoint, JsonObject

SETTINGS_PREFIX = "BIAS"  # GATEWAY_BIAS_WORKERS, GATEWAY_BIAS_TIMEOUT_MS

Job = Sequence[str]
Groups = list[list[str]]  # per text: the kinds of group it generalises about, once per sentence


class BiasDetector:
    version = detector.VERSION

    def many(self, jobs: Sequence[Job]) -> list[Groups]:
        return [
            [[f.group for f in detector.findings(text) for _ in range(f.count)] for text in job]
            for job in jobs
        ]


class OutputBias(BatchedOutputCheck[Job, Groups]):
    name = "bias"
    config_model = BiasConfig
    settings_prefix = SETTINGS_PREFIX

    @classmethod
    def detector(cls) -> Callable[[], BatchDetector[Job, Groups]]:
        return BiasDetector

    def enabled_guard(self, config: BiasConfig, scan: InputScan) -> OutputGuard:
        return BiasGuard(scan.request.endpoint, self._runner)


class BiasGuard(PassThrough):
    def __init__(self, endpoint: Endpoint, runner: BatchRunner[Job, Groups]) -> None:
        self._endpoint = endpoint
        self._runner = runner
        self._groups: Counter[str] = Counter()
        self._pending: dict[int, str] = {}  # per choice: the sentence being written
        self._failed = False

    async def _scan(self, texts: list[str]) -> None:
        texts = [t for t in texts if t.strip()]
        if not texts:
            return
        try:
            found = await self._runner.run(texts)
        except CheckUnavailable:  # fail closed: the answer is withheld, the audit says failed
            self._failed = True
            raise
        for groups in found:
            self._groups.update(groups)

    async def on_completion(self, completion: Completion) -> Completion:
        texts = [text_of(self._endpoint, choice) for choice in completion.body.get("choices") or ()]
        await self._scan([t for t in texts if isinstance(t, str)])
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        finished = []
        for choice in chunk.get("choices") or ():
            piece = text_of(self._endpoint, choice)
            if not isinstance(piece, str):
                continue
            index = int(choice.get("index") or 0)
            held = self._pending.get(index, "") + piece
            cut = max((m.end() for m in SENTENCE_END.finditer(held)), default=0)
            if cut:
                finished.append(held[:cut])
            self._pending[index] = held[cut:]
        await self._scan(finished)
        return [chunk]

    async def finish(self) -> list[JsonObject]:
        rest, self._pending = list(self._pending.values()), {}
        await self._scan(rest)
        return []

    def findings(self) -> tuple[Finding, ...]:
        return tuple(Finding("bias", group, "flag", count) for group, count in sorted(self._groups.items()))

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        status = "failed" if self._failed else "flagged" if self._groups else "passed"
        return (
            CheckOutcome(
                "bias",
                status,  # type: ignore[arg-type]
                stage="output",
                action="flag",
                version=self._runner.version,
                types=tuple(sorted(self._groups.items())),
            ),
        )
