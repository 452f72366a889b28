"""`PiiGuard`: the output stage of the PII check, per request, whole answers and streams.

Order (DESIGN, "Output order"): the answer is scanned as the model produced it, where the
caller's values are still pseudonym tokens (tokens are not PII); then the tokens are restored.

- Scanning (`checks.output.pii`): PII the model produced is redacted (`<PERSON>`) before the
  caller sees it; values the caller itself sent are left alone, the caller knows them. The
  audit's copy of the answer redacts every value, the caller's own included.
- Streams: when the answer is scanned, text is held until a sentence ends (or 512 characters
  pile up), so that a name is never scanned in halves; otherwise only a partial token is held.
  Either way the first byte does not wait for the whole answer.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field

from gateway.checks.answer import ChoiceTexts, chunk_like, set_text, text_of
from gateway.checks.base import CheckOutcome, Finding, InputScan, Restoration
from gateway.checks.output import OutputGuard, PassThrough
from gateway.checks.pii.actions import resolve
from gateway.checks.pii.check import DETECTOR_UNAVAILABLE
from gateway.checks.pii.detection import Detection
from gateway.checks.pii.detector import Span
from gateway.checks.pii.restore import Restorer, StreamRestorer
from gateway.checks.pii.scope import DetectionScope, scope_of
from gateway.checks.sentences import Segmenter
from gateway.errors import PolicyViolation
from gateway.exchange import Completion, Endpoint, JsonObject
from gateway.policy.schema import TenantPolicy

# Anything the gateway itself put in a text: <PERSON>, <PERSON_1>, <EMAIL_ADDRESS:9f86d081...>.
_GATEWAY_TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*(?:_\d+|:[0-9a-f]+)?>")
Pieces = list[tuple[str, str | None]]  # text, and the entity type when it is a PII value


class AnswerScanner:
    def __init__(self, detection: Detection, scope: DetectionScope, action: str, supplied: str):
        self._detection = detection
        self._scope = scope
        self._action = self.action = action
        self._supplied = supplied
        self.counts: Counter[str] = Counter()
        # Detections begun before the text reached this guard (`start`), by text. The task
        # returns what it raised rather than raising it, so one nobody awaits (an earlier guard
        # rewrote the text) is never an unretrieved exception.
        self._early: dict[str, asyncio.Task[list[tuple[Span, ...]] | Exception]] = {}

    def start(self, text: str) -> None:
        """Begin detecting `text` now; `scan(text)` then waits for this instead of starting."""
        if text.strip() and text not in self._early:
            self._early[text] = asyncio.ensure_future(self._detect(text))

    async def _detect(self, text: str) -> list[tuple[Span, ...]] | Exception:
        try:
            return await self._detection.detect([text], self._scope)
        except Exception as raised:  # handed to `scan`, which raises it
            return raised

    async def scan(self, text: str) -> tuple[str, str, Pieces]:
        """(the text for the caller, the text for the audit, the caller's text as pieces)."""
        if not text.strip():
            return text, text, [(text, None)]
        early = self._early.pop(text, None)
        detected = await early if early is not None else await self._detect(text)
        if isinstance(detected, Exception):
            raise detected
        (found,) = detected
        tokens = [match.span() for match in _GATEWAY_TOKEN.finditer(text)]
        spans = [s for s in resolve(found) if all(s.end <= a or s.start >= b for a, b in tokens)]
        caller: list[str] = []
        audit: list[str] = []
        pieces: Pieces = []
        position = 0
        for span in spans:
            value = text[span.start : span.end]
            label = f"<{span.entity}>"
            own = value.strip() in self._supplied
            if not own:
                self.counts[span.entity] += 1
                if self._action == "block":
                    raise PolicyViolation(
                        f"The answer was withheld by policy: it contains {span.entity} "
                        f"(check output pii:{span.entity}).",
                        param=f"output:pii:{span.entity}",
                    )
            gap = text[position : span.start]
            kept = own or self._action == "flag"
            caller += (gap, value if kept else label)
            audit += (gap, label)
            pieces += [(gap, None), (value, span.entity) if kept else (label, None)]
            position = span.end
        caller.append(text[position:])
        audit.append(text[position:])
        pieces.append((text[position:], None))
        return "".join(caller), "".join(audit), pieces

    def remember_answer(self, restorer: Restorer, pieces: Pieces) -> None:
        """Cache the spans of the answer as the caller received it. Chat clients send it back
        as history; its PII is known here (the values kept, the tokens restored), so the next
        turn need not analyse it again and costs what its new message costs."""
        text: list[str] = []
        spans: list[Span] = []
        length = 0
        for piece, entity in pieces:
            parts = restorer.restore_pieces(piece) if entity is None else [(piece, entity)]
            for part, part_entity in parts:
                if part_entity is not None and part_entity in self._scope.entities:
                    spans.append(Span(part_entity, length, length + len(part), 1.0))
                text.append(part)
                length += len(part)
        self._detection.remember("".join(text), self._scope, tuple(spans))


@dataclass
class _Channel:
    """One choice's text in a stream: its segmenter (when scanned) and its restorer."""

    restorer: StreamRestorer
    scanner: AnswerScanner | None
    # Sentences (titles and initials stay with their name), and never a word cut in two: a
    # value is scanned whole, however long the text held before it (`sentences.Segmenter`).
    segmenter: Segmenter = field(default_factory=lambda: Segmenter(whole_words=True))
    audit: list[str] = field(default_factory=list)
    pieces: Pieces = field(default_factory=list)
    # Streamed tool-call arguments, per call index: restored like text, never scanned (they go
    # to the caller's own code, which gets back the values it sent).
    arguments: dict[int, StreamRestorer] = field(default_factory=dict)

    def feed_arguments(self, choice: JsonObject) -> None:
        for call in (choice.get("delta") or {}).get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                index = int(call.get("index") or 0)
                restorer = self.arguments.setdefault(index, self.restorer.restorer.stream())
                function["arguments"] = restorer.feed(function["arguments"])

    def flush_arguments(self) -> list[JsonObject]:
        """Tool-call deltas for argument tails still held (a token cut off at the end)."""
        tails = [(index, restorer.flush()) for index, restorer in sorted(self.arguments.items())]
        self.arguments = {}
        return [{"index": index, "function": {"arguments": tail}} for index, tail in tails if tail]

    async def feed(self, piece: str) -> str:
        if self.scanner is None:
            return self.restorer.feed(piece)
        return await self._scanned(self.segmenter.push(piece))

    async def flush(self) -> str:
        if self.scanner is None:
            return self.restorer.flush()
        out = await self._scanned(self.segmenter.flush())
        self.scanner.remember_answer(self.restorer.restorer, self.pieces)
        self.pieces = []
        return out + self.restorer.flush()

    async def _scanned(self, ready: str) -> str:
        if not ready or self.scanner is None:
            return ""
        caller, audit, pieces = await self.scanner.scan(ready)
        self.audit.append(audit)
        self.pieces += pieces
        return self.restorer.feed(caller)


class PiiGuard:
    def __init__(self, endpoint: Endpoint, restorer: Restorer, scanner: AnswerScanner | None) -> None:
        self._endpoint = endpoint
        self._restorer = restorer
        self._scanner = scanner
        self._channels: dict[int, _Channel] = {}
        self._template: JsonObject | None = None
        self._audit: list[str] = []

    # --- whole answers ------------------------------------------------------------------------

    def start(self, completion: Completion) -> None:
        if self._scanner is None:
            return
        for choice in completion.body.get("choices") or ():
            text = text_of(self._endpoint, choice)
            if isinstance(text, str):
                self._scanner.start(text)

    async def on_completion(self, completion: Completion) -> Completion:
        for choice in completion.body.get("choices") or ():
            text = text_of(self._endpoint, choice)
            if isinstance(text, str):
                set_text(self._endpoint, choice, await self._whole(text))
            message = choice.get("message") or {}
            for call in message.get("tool_calls") or ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    function["arguments"] = self._restorer.restore(function["arguments"])
        return completion

    async def _whole(self, text: str) -> str:
        if self._scanner is not None:
            text, audit, pieces = await self._scanner.scan(text)
            self._audit.append(audit)
            self._scanner.remember_answer(self._restorer, pieces)
        return self._restorer.restore(text)

    # --- streams ------------------------------------------------------------------------------

    async def on_chunk(self, chunk: JsonObject) -> list[JsonObject]:
        texts = ChoiceTexts(self._endpoint, chunk)
        for index, choice, piece in texts:
            self._template = chunk  # the shape of what `finish` sends, from a chunk with choices
            channel = self._channel(index)
            out = await channel.feed(piece) if piece else ""
            channel.feed_arguments(choice)
            if choice.get("finish_reason"):
                out += await channel.flush()
                if tails := channel.flush_arguments():
                    choice.setdefault("delta", {}).setdefault("tool_calls", []).extend(tails)
            texts.put(choice, piece, out)
        return texts.passed()

    async def finish(self) -> list[JsonObject]:
        out: list[JsonObject] = []
        for index, channel in self._channels.items():
            rest = await channel.flush()
            if rest and self._template is not None:
                out.append(chunk_like(self._template, self._endpoint, index, rest))
            tails = channel.flush_arguments()
            if tails and self._template is not None:
                held = chunk_like(self._template, self._endpoint, index, "")
                held["choices"][0]["delta"] = {"tool_calls": tails}
                out.append(held)
        return out

    def redacted_answer(self) -> str | None:
        if self._scanner is None:
            return None
        if self._channels:
            return "\n".join("".join(channel.audit) for channel in self._channels.values())
        return "\n".join(self._audit)

    def findings(self) -> tuple[Finding, ...]:
        if self._scanner is None:
            return ()
        action = self._scanner.action
        return tuple(
            Finding("output_pii", kind, action, n) for kind, n in sorted(self._scanner.counts.items())
        )

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return ()  # said by `output_check.OutputPii`, which knows the policy's action

    def _channel(self, index: int) -> _Channel:
        if index not in self._channels:
            self._channels[index] = _Channel(self._restorer.stream(), self._scanner)
        return self._channels[index]


def guard_for(policy: TenantPolicy, scan: InputScan | None, detection: Detection | None) -> OutputGuard:
    """The output guard a request needs: `PassThrough` when there is nothing to scan or restore."""
    output = policy.checks.output.get("pii")
    scans = detection is not None and output is not None and policy.pii.enabled
    if scan is not None and DETECTOR_UNAVAILABLE in scan.must_stay_local:
        # Detection was down and the policy kept the request local rather than refuse it: the
        # answer comes from the local model and goes only to the caller, unscanned (its audit
        # copy is then not stored, and the record says the check failed).
        scans = False
    restoration = scan.restoration if scan is not None else Restoration()
    if scan is None or (not scans and not restoration.pseudonyms):
        return PassThrough()
    scanner = None
    if scans and detection is not None and output is not None:
        action = "flag" if output.shadow else output.action  # shadow: let through, audit would-block
        scanner = AnswerScanner(detection, scope_of(policy.pii), action, restoration.supplied)
    return PiiGuard(scan.request.endpoint, Restorer(restoration.originals()), scanner)
