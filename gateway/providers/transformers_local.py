"""A local model from a Hugging Face checkpoint directory (`type: transformers` in gateway.yaml).

    transformers_worker   the worker the gateway supervises for one such provider: torch is
                          native code, so the model runs in its own process (providers/worker/),
                          where a segfault, an abort or an out-of-memory kill ends the worker and
                          the gateway restarts it, as for llama.cpp
    TransformersBackend   what runs inside that worker: loads the checkpoint from local files
                          only and answers one request at a time, on the worker's main thread:
                          `complete` and `stream` (a chunk per token)

torch and transformers are an optional extra (`make setup-transformers`): they are imported
in the worker process only, when it loads the model, never by the gateway or the default install.

Tokens are produced by `generate` itself; a stopping criterion, which `generate` calls after
every new token, decodes the text so far, hands on what is safe to show (text that could still
become a stop sequence is held back) and ends generation at a stop sequence or when the
caller has gone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.errors import BadRequest, ServiceUnavailable
from gateway.exchange import Endpoint, JsonObject
from gateway.providers.worker.backend import ChunkSink
from gateway.providers.worker.host import WorkerSpec

if TYPE_CHECKING:  # the worker process, which imports this module, has no use for the policy models
    from gateway.policy.schema import ProviderConfig

log = logging.getLogger(__name__)

_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_TOKENIZER = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")


@dataclass(frozen=True, slots=True)
class TransformersOptions:
    model_path: str
    device: str = "auto"
    dtype: str = "auto"
    max_new_tokens: int = 512
    chat_template: str | None = None
    n_threads: int | None = None

    @classmethod
    def of(cls, config: ProviderConfig) -> TransformersOptions:
        return cls(
            model_path=config.model_path,
            device=config.device,
            dtype=config.dtype,
            max_new_tokens=config.max_new_tokens,
            chat_template=config.chat_template,
            n_threads=config.n_threads,
        )


def missing_files(directory: Path) -> str | None:
    """What a checkpoint directory lacks, in words, or None when it looks complete."""
    if not directory.is_dir():
        return "the directory does not exist"
    if not (directory / "config.json").is_file():
        return "config.json is missing"
    if not any((directory / name).is_file() for name in _WEIGHTS):
        return "no weights (model.safetensors or pytorch_model.bin) are there"
    if not any((directory / name).is_file() for name in _TOKENIZER):
        return "no tokenizer files (tokenizer.json, tokenizer_config.json) are there"
    return None


def transformers_worker(
    name: str, config: ProviderConfig, *, queue_size: int, stall_seconds: float
) -> WorkerSpec:
    """The supervised worker of provider `name`: it calls `load` with the options as JSON."""
    options: JsonObject = dataclasses.asdict(TransformersOptions.of(config))
    return WorkerSpec(name, f"{__name__}:load", options, queue_size, stall_seconds)


def load(options: JsonObject) -> TransformersBackend:
    """The entry point the model worker calls with the options as JSON (see worker/backend.py)."""
    return TransformersBackend(TransformersOptions(**options))


@dataclass(slots=True)
class _Job:
    """One generation: the prompt's tokens, the limits, and what has been produced so far."""

    endpoint: Endpoint
    model_name: str
    input_ids: Any
    max_new_tokens: int
    sampling: dict[str, Any]
    stops: tuple[str, ...]
    tokens: list[int] = field(default_factory=list)
    text: str = ""  # decoded so far
    shown: int = 0  # characters of `text` handed on
    stopped: bool = False  # a stop sequence was reached
    cancelled: bool = False  # the caller has gone


class TransformersBackend:
    def __init__(self, options: TransformersOptions) -> None:
        self.options = options
        path = Path(options.model_path)
        if (problem := missing_files(path)) is not None:
            log.error("transformers model %s cannot be loaded: %s", path, problem)
            raise ServiceUnavailable(
                f"The local transformers model cannot be loaded from its model_path: {problem} "
                "(it is read with local_files_only=True: models are never downloaded)."
            )
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ServiceUnavailable(
                "The transformers extra is not installed (make setup-transformers)."
            ) from None
        self._torch = torch
        self._threads = options.n_threads or os.cpu_count() or 1
        self.device = _device(options.device, torch)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                path, local_files_only=True, dtype=_dtype(options.dtype, self.device, torch)
            )
        except (OSError, ValueError) as exc:
            log.error("transformers model %s failed to load: %s", path, type(exc).__name__)
            raise ServiceUnavailable(
                f"The local transformers model cannot be loaded from its model_path ({type(exc).__name__}; "
                "it is read with local_files_only=True: models are never downloaded)."
            ) from None
        self.model = model.to(self.device).eval()
        self._template = options.chat_template or getattr(self.tokenizer, "chat_template", None)
        self._context = int(getattr(model.config, "max_position_embeddings", 0) or 0)
        eos = model.generation_config.eos_token_id
        self._eos = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        self._pad = (
            self.tokenizer.pad_token_id
            if self.tokenizer.pad_token_id is not None
            else next(iter(self._eos), 0)
        )

    def describe(self) -> JsonObject:
        return {
            "model_path": self.options.model_path,
            "device": str(self.device),
            "dtype": str(self.model.dtype),
            "threads": self._threads,
            "chat_template": "configured" if self.options.chat_template else (
                "tokenizer" if self._template else "none: plain prompt"
            ),
        }  # fmt: skip

    # --- one request, on the calling thread ----------------------------------------------

    def complete(self, endpoint: Endpoint, body: JsonObject) -> JsonObject:
        job = self._job(endpoint, body)
        pieces: list[str] = []
        self._generate(job, pieces.append)
        return _completion(job, "".join(pieces), self._finish_reason(job))

    def stream(self, endpoint: Endpoint, body: JsonObject, emit: ChunkSink) -> None:
        """Chunks as `generate` makes them, from its per-token callback on this thread; when
        `emit` says the caller has gone, generation stops after the current token."""
        job = self._job(endpoint, body)
        chunk_id, created = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def hand_on(text: str) -> None:
            if not emit(_chunk(job, chunk_id, created, {"content": text}, None)):
                job.cancelled = True

        if not emit(_chunk(job, chunk_id, created, {"role": "assistant", "content": ""}, None)):
            return
        self._generate(job, hand_on)
        if job.cancelled:
            return
        emit(_chunk(job, chunk_id, created, {}, self._finish_reason(job)))
        emit({
            "id": chunk_id,
            "object": _object(job.endpoint, stream=True),
            "created": created,
            "model": job.model_name,
            "choices": [],
            "usage": _usage(job),
        })  # fmt: skip

    # --- internals ---------------------------------------------------------------------------

    def _job(self, endpoint: Endpoint, body: JsonObject) -> _Job:
        prompt = self._prompt(endpoint, body)
        encoded = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=not self._template)
        input_ids = encoded["input_ids"].to(self.device)
        prompt_tokens = int(input_ids.shape[1])
        if prompt_tokens == 0:
            raise BadRequest("The prompt is empty.", param="messages" if endpoint == "chat" else "prompt")
        wanted = body.get("max_completion_tokens") or body.get("max_tokens") or self.options.max_new_tokens
        limit = min(int(wanted), self.options.max_new_tokens)
        if self._context:
            if prompt_tokens >= self._context:
                raise BadRequest(
                    f"The prompt has {prompt_tokens} tokens; the local model's context is {self._context}."
                )
            limit = min(limit, self._context - prompt_tokens)
        temperature = body.get("temperature")
        temperature = 1.0 if temperature is None else float(temperature)
        sampling: dict[str, Any] = {"do_sample": False}
        if temperature > 0:
            sampling = {
                "do_sample": True,
                "temperature": temperature,
                "top_p": float(body.get("top_p") or 1.0),
            }
        stop = body.get("stop")
        stops = (stop,) if isinstance(stop, str) else tuple(s for s in stop or () if s)
        return _Job(endpoint, str(body.get("model") or "local"), input_ids, limit, sampling, stops)

    def _prompt(self, endpoint: Endpoint, body: JsonObject) -> str:
        if endpoint == "completions":
            prompt = body["prompt"]
            if isinstance(prompt, list):
                if len(prompt) != 1:
                    raise BadRequest("The local model takes one prompt per request.", param="prompt")
                prompt = prompt[0]
            return str(prompt)
        messages = [
            {"role": m["role"], "content": _message_text(i, m)} for i, m in enumerate(body["messages"])
        ]
        if not self._template:
            return plain_prompt(messages)
        try:
            rendered = self.tokenizer.apply_chat_template(
                messages, chat_template=self._template, tokenize=False, add_generation_prompt=True
            )
        except Exception as exc:  # a template may raise on roles it does not know
            raise BadRequest(
                f"The local model's chat template rejected the messages ({type(exc).__name__})."
            ) from None
        return str(rendered)

    def _generate(self, job: _Job, hand_on: Callable[[str], None]) -> None:
        from transformers import StoppingCriteria, StoppingCriteriaList

        backend = self

        class AfterEachToken(StoppingCriteria):  # type: ignore[misc]
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                stop = backend._advance(job, int(input_ids[0, -1]), hand_on)
                return backend._torch.full((input_ids.shape[0],), stop, dtype=backend._torch.bool)

        # torch's thread count is per calling thread (OpenMP): set on the thread that generates.
        self._torch.set_num_threads(self._threads)
        with self._torch.inference_mode():
            self.model.generate(
                input_ids=job.input_ids,
                attention_mask=self._torch.ones_like(job.input_ids),
                max_new_tokens=job.max_new_tokens,
                stopping_criteria=StoppingCriteriaList([AfterEachToken()]),
                pad_token_id=self._pad,
                **job.sampling,
            )
        if not (job.stopped or job.cancelled) and len(job.text) > job.shown:  # held back for stops
            hand_on(job.text[job.shown :])
            job.shown = len(job.text)

    def _advance(self, job: _Job, token: int, hand_on: Callable[[str], None]) -> bool:
        """One new token: decode, hand on what is safe, and say whether to stop."""
        job.tokens.append(token)
        text = str(self.tokenizer.decode(job.tokens, skip_special_tokens=True))
        if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
            return job.cancelled
        job.text = text
        for stop in job.stops:
            at = text.find(stop, max(0, job.shown - len(stop)))
            if at != -1:
                job.text, job.stopped = text[:at], True
                break
        safe = len(job.text) if job.stopped else len(job.text) - _held_back(job.text, job.stops)
        if safe > job.shown:
            hand_on(job.text[job.shown : safe])
            job.shown = safe
        return job.stopped or job.cancelled

    def _finish_reason(self, job: _Job) -> str:
        if job.stopped or (job.tokens and job.tokens[-1] in self._eos):
            return "stop"
        return "length" if len(job.tokens) >= job.max_new_tokens else "stop"


def plain_prompt(messages: list[dict[str, str]]) -> str:
    """Messages as a plain prompt, for base models whose tokenizer has no chat template."""
    lines = [f"{message['role']}: {message['content']}" for message in messages]
    return "\n".join([*lines, "assistant:"])


def _message_text(index: int, message: JsonObject) -> str:
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for part in content:
        if part.get("type") == "text":
            texts.append(str(part.get("text") or ""))
        elif part.get("type") != "refusal":
            raise BadRequest(
                "The local model reads text only; this message has a part it cannot read.",
                param=f"messages[{index}].content",
            )
    return " ".join(texts)


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters of `text` could be the start of a stop sequence."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


def _device(configured: str, torch: Any) -> Any:
    if configured == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(configured)


def _dtype(configured: str, device: Any, torch: Any) -> Any:
    """`auto`: the checkpoint's own dtype on a GPU, float32 on the CPU (where half precision is
    slow or unsupported)."""
    if configured == "auto":
        return "auto" if device.type == "cuda" else torch.float32
    return getattr(torch, configured)


def _object(endpoint: Endpoint, stream: bool) -> str:
    if endpoint == "completions":
        return "text_completion"
    return "chat.completion.chunk" if stream else "chat.completion"


def _usage(job: _Job) -> JsonObject:
    prompt, completion = int(job.input_ids.shape[1]), len(job.tokens)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(job: _Job, text: str, finish_reason: str) -> JsonObject:
    choice: JsonObject = {"index": 0, "finish_reason": finish_reason, "logprobs": None}
    if job.endpoint == "chat":
        choice["message"] = {"role": "assistant", "content": text}
    else:
        choice["text"] = text
    return {
        "id": f"cmpl-{uuid.uuid4().hex[:24]}",
        "object": _object(job.endpoint, stream=False),
        "created": int(time.time()),
        "model": job.model_name,
        "choices": [choice],
        "usage": _usage(job),
    }


def _chunk(
    job: _Job, chunk_id: str, created: int, delta: JsonObject, finish_reason: str | None
) -> JsonObject:
    choice: JsonObject = {"index": 0, "finish_reason": finish_reason}
    if job.endpoint == "chat":
        choice["delta"] = delta
    else:
        choice["text"] = delta.get("content", "")
    return {
        "id": chunk_id,
        "object": _object(job.endpoint, stream=True),
        "created": created,
        "model": job.model_name,
        "choices": [choice],
    }
