"""The output stage: a chain of guards between the model's answer and the caller.

    registered output checks (toxicity, bias, ...)  ->  PII scan + pseudonym restore (last)

Each guard sees what the guard before it let through, whole answers and streams alike. In a
stream each guard holds back at most a bounded window (a sentence, or a token's length), so the
first byte never waits for the whole answer. Output checks run on what the model produced
(pseudonym tokens are not PII); the caller's own values are restored last.

A whole answer is first offered to every guard (`start`): a guard whose work can begin on the
answer as the model gave it (the PII scan, in its worker processes) begins it there, while the
guards before it run, and uses it only if the answer reaches it unchanged.

`OutputGuard` is per request. Its methods are coroutines because scanning an answer may wait for
a detector (a worker process, with a time budget).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol

from gateway.checks.answer import ChoiceTexts, chunk_like, set_text, text_of
from gateway.checks.base import CheckContext, CheckOutcome, Finding, InputScan, OutputCheck
from gateway.checks.registry import build_checks
from gateway.checks.runner import BatchDetector, BatchRunner, JobT, ResultT, RunnerSettings, unavailable
from gateway.checks.sentences import Segmenter
from gateway.exchange import Completion, Endpoint, JsonObject

if TYPE_CHECKING:
    from gateway.policy.schema import TenantPolicy

RESTORES = "pii"  # the registered output check that also restores pseudonyms: always last


class OutputGuard(Protocol):
    def start(self, completion: Completion) -> None:
        """Begin, on the answer as the model gave it, what `on_completion` will need if the
        guards before this one let the answer through unchanged. It must not change it."""
        ...

    async def on_completion(self, completion: Completion) -> Completion: ...

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]: ...

    async def finish(self) -> list[JsonObject]:
        """Chunks still held back when the stream ends."""
        ...

    def redacted_answer(self) -> str | None:
        """The answer as it may be audited (redacted), or None when it was not scanned."""
        ...

    def findings(self) -> tuple[Finding, ...]:
        """What the output scan found that the model produced: types and counts, no values."""
        ...

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        """What each output check did to this answer."""
        ...


class PassThrough:
    def start(self, completion: Completion) -> None:
        return None

    async def on_completion(self, completion: Completion) -> Completion:
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        return [chunk]

    async def finish(self) -> list[JsonObject]:
        return []

    def redacted_answer(self) -> str | None:
        return None

    def findings(self) -> tuple[Finding, ...]:
        return ()

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return ()


class GuardChain:
    """Guards in order; each one's output is the next one's input."""

    def __init__(self, guards: Sequence[OutputGuard]) -> None:
        self._guards = tuple(guards)

    def start(self, completion: Completion) -> None:
        for guard in self._guards:
            guard.start(completion)

    async def on_completion(self, completion: Completion) -> Completion:
        self.start(completion)
        for guard in self._guards:
            completion = await guard.on_completion(completion)
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        return await _through(self._guards, [chunk])

    async def finish(self) -> list[JsonObject]:
        out: list[JsonObject] = []
        for position, guard in enumerate(self._guards):
            out += await _through(self._guards[position + 1 :], await guard.finish())
        return out

    def redacted_answer(self) -> str | None:
        # The last guard that keeps an audit copy saw what every guard before it rewrote.
        return next((a for g in reversed(self._guards) if (a := g.redacted_answer()) is not None), None)

    def findings(self) -> tuple[Finding, ...]:
        return tuple(finding for guard in self._guards for finding in guard.findings())

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return tuple(outcome for guard in self._guards for outcome in guard.outcomes())


async def _through(guards: Sequence[OutputGuard], chunks: list[JsonObject]) -> list[JsonObject]:
    for guard in guards:
        passed: list[JsonObject] = []
        for chunk in chunks:
            passed += await guard.on_chunk(chunk)
        chunks = passed
    return chunks


class OutputStage:
    """The registered output checks, built once per process; `guard` builds a request's chain."""

    def __init__(self, checks: Mapping[str, OutputCheck]) -> None:
        self.checks = dict(checks)

    @classmethod
    def build(cls, context: CheckContext) -> OutputStage:
        """One instance of each registered output check; `UnavailableOutputCheck` for one that
        fails to build."""
        # OutputCheck, an ABC, is only what each registered class is checked against.
        return cls(build_checks("output", OutputCheck, context, UnavailableOutputCheck))  # type: ignore[type-abstract]

    def guard(self, policy: TenantPolicy, scan: InputScan | None) -> OutputGuard:
        if scan is None:
            return PassThrough()
        configured = policy.checks.output.configured()
        order = [name for name in self.checks if name != RESTORES] + [RESTORES]
        guards = [
            self.checks[name].guard(configured.get(name), policy, scan)
            for name in order
            if name in self.checks
        ]
        return GuardChain(guards)

    def close(self) -> None:
        for check in self.checks.values():
            check.close()


class AnswerCheck(Protocol):
    """A text-level output check for one request: judges finished sentences of the answer."""

    async def check(self, text: str) -> str:
        """`text` (one or more finished sentences, or a whole answer) as the caller may see it;
        raises `PolicyViolation` to withhold the answer."""
        ...

    def outcome(self) -> CheckOutcome: ...


class Skipped(PassThrough):
    """A registered output check the policy does not enable: passes, and says so."""

    def __init__(self, name: str, version: str) -> None:
        self._outcome = CheckOutcome(name, "skipped", stage="output", version=version)

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return (self._outcome,)


class SentenceGuard(PassThrough):
    """Runs an `AnswerCheck` over whole answers, and over streams one finished sentence at a
    time: it holds back at most the sentence being written (`sentences.MAX_HELD`)."""

    def __init__(self, endpoint: Endpoint, check: AnswerCheck) -> None:
        self._endpoint = endpoint
        self._check = check
        self._segmenters: dict[int, Segmenter] = {}
        self._template: JsonObject | None = None

    async def on_completion(self, completion: Completion) -> Completion:
        for choice in completion.body.get("choices") or ():
            text = text_of(self._endpoint, choice)
            if isinstance(text, str) and text:
                set_text(self._endpoint, choice, await self._check.check(text))
        return completion

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        texts = ChoiceTexts(self._endpoint, chunk)
        for index, choice, piece in texts:
            self._template = chunk  # the shape of what `finish` sends, from a chunk with choices
            segmenter = self._segmenters.setdefault(index, Segmenter())
            ready = segmenter.push(piece) if piece is not None else ""
            if choice.get("finish_reason"):
                ready += segmenter.flush()
            texts.put(choice, piece, await self._check.check(ready) if ready else "")
        return texts.passed()

    async def finish(self) -> list[JsonObject]:
        out: list[JsonObject] = []
        for index, segmenter in self._segmenters.items():
            rest = segmenter.flush()
            if rest and self._template is not None:
                text = await self._check.check(rest)
                out.append(chunk_like(self._template, self._endpoint, index, text))
        return out

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return (self._check.outcome(),)


class BatchedOutputCheck(OutputCheck, Generic[JobT, ResultT]):
    """An output check whose detector runs in a `BatchRunner`, with its settings
    (GATEWAY_<PREFIX>_WORKERS, GATEWAY_<PREFIX>_TIMEOUT_MS). A subclass names its detector
    factory and its settings' prefix, and the guard it runs where the policy enables it."""

    settings_prefix: ClassVar[str]

    def __init__(self, context: CheckContext) -> None:
        super().__init__(context)
        settings = RunnerSettings.from_environ(context.environ, self.settings_prefix)
        self._runner: BatchRunner[JobT, ResultT] = BatchRunner(self.name, self.detector(), settings)
        self.version = self._runner.version

    @classmethod
    @abstractmethod
    def detector(cls) -> Callable[[], BatchDetector[JobT, ResultT]]:
        """A picklable factory of the detector (a class, or a module-level function)."""

    def guard(self, config: Any, policy: TenantPolicy, scan: InputScan) -> OutputGuard:
        if config is None:
            return Skipped(self.name, self.version)
        return self.enabled_guard(config, scan)

    @abstractmethod
    def enabled_guard(self, config: Any, scan: InputScan) -> OutputGuard:
        """The request's guard where the policy enables the check (`config` is its settings)."""

    def close(self) -> None:
        self._runner.close()


class UnavailableOutputCheck(OutputCheck):
    """Stands in for an output check that could not be built: an answer it should scan is
    withheld (503 `check_unavailable`, or an in-band error mid-stream), never sent unchecked."""

    def __init__(self, name: str) -> None:
        super().__init__(CheckContext())
        self.name = name  # type: ignore[misc]
        self.version = "unavailable"

    def guard(self, config: object, policy: TenantPolicy, scan: InputScan) -> OutputGuard:
        if config is None:
            return Skipped(self.name, self.version)
        return _Withholding(self.name)


class _Withholding(PassThrough):
    def __init__(self, name: str) -> None:
        self._name = name

    async def on_completion(self, completion: Completion) -> Completion:
        raise unavailable(self._name)

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        if chunk.get("choices"):
            raise unavailable(self._name)
        return [chunk]

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return (CheckOutcome(self._name, "failed", stage="output", version="unavailable"),)
