"""Tokens/s of a transformers model through the gateway vs `generate` called directly on it.

    .venv/bin/python -m bench.transformers_throughput [--tokens 128] [--rounds 5]

The model: a GPT-NeoX with random weights (hidden 768, 12 layers, 12 heads: the shape of
Pythia-160M, with a small vocabulary from a tokenizer trained on a few lines), saved with
`save_pretrained` into a temporary directory; its config has no EOS token, so every call
produces exactly `--tokens` tokens. Both sides decode greedily from the same prompt on the CPU
with the same number of torch threads (`--threads`, default: the CPUs; the provider's
`n_threads`).

- direct: `model.generate(...)` in this process, the model loaded as the provider loads it;
- gateway: `python -m gateway serve` in a child process, the model in the gateway's supervised
  worker process (as every local model runs), a tenant with `residency: local` and PII
  detection off (the check runs once per request, not per token, and is benchmarked on its
  own), called with the official openai SDK, streamed and not; tokens/s = completion tokens
  from `usage` over the wall time of the whole request.

Rounds interleave the three cells so that load from other processes falls on all of them;
printed are the per-round figures and the medians, and the ratio gateway / direct.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openai
import yaml

from tests.transformers_model import LINES, build_checkpoint

KEY = "bench-transformers-key"
MESSAGES = [{"role": "user", "content": "Write about the capital of France and the gateway's audit log."}]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_policies(directory: Path, checkpoint: Path, tokens: int, threads: int) -> Path:
    (directory / "tenants").mkdir(parents=True)
    gateway = {
        "providers": {
            "hf": {
                "type": "transformers",
                "model_path": str(checkpoint),
                "max_new_tokens": tokens,
                "n_threads": threads,
            },
        },
        "models": {"neox": {"provider": "hf", "location": "local"}},
    }
    tenant = {
        "tenant": "bench",
        "api_keys": [{"name": "bench", "sha256": hashlib.sha256(KEY.encode()).hexdigest()}],
        "models": ["neox"],
        "pii": {"enabled": False},
        "routing": {"local_model": "neox", "residency": "local"},
    }
    (directory / "gateway.yaml").write_text(yaml.safe_dump(gateway))
    (directory / "tenants" / "bench.yaml").write_text(yaml.safe_dump(tenant))
    return directory


def direct(backend: Any, tokens: int) -> float:
    """Tokens/s of `generate` alone, on the prompt the gateway's backend renders."""
    import torch

    torch.set_num_threads(backend._threads)  # as many as the provider uses, on this thread
    prompt = backend._prompt("chat", {"messages": MESSAGES})
    ids = backend.tokenizer(prompt, return_tensors="pt")["input_ids"]
    start = time.perf_counter()
    with torch.inference_mode():
        out = backend.model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=tokens,
            do_sample=False,
            pad_token_id=backend._pad,
        )
    seconds = time.perf_counter() - start
    assert out.shape[1] - ids.shape[1] == tokens
    return tokens / seconds


def through_gateway(client: openai.OpenAI, tokens: int, stream: bool) -> float:
    start = time.perf_counter()
    if stream:
        chunks = list(
            client.chat.completions.create(
                model="neox",
                messages=MESSAGES,  # type: ignore[arg-type]
                max_tokens=tokens,
                temperature=0,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        usage = chunks[-1].usage
    else:
        usage = client.chat.completions.create(
            model="neox",
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=tokens,
            temperature=0,
        ).usage
    seconds = time.perf_counter() - start
    assert usage is not None and usage.completion_tokens == tokens, usage
    return tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads, both sides")
    args = parser.parse_args()
    from gateway.providers.transformers_local import TransformersBackend, TransformersOptions

    with tempfile.TemporaryDirectory(prefix="bench-neox-") as work_dir:
        work = Path(work_dir)
        checkpoint = build_checkpoint(
            work / "model", hidden_size=768, layers=12, heads=12, context=2048, vocab_size=1000, eos=False
        )
        options = TransformersOptions(str(checkpoint), max_new_tokens=args.tokens, n_threads=args.threads)
        backend = TransformersBackend(options)
        policies = write_policies(work / "policies", checkpoint, args.tokens, args.threads)
        port = free_port()
        env = {**os.environ, "GATEWAY_PII_WORKERS": "0", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
        server = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--policies", str(policies), "--database-url", f"sqlite:///{work / 'audit.db'}"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(work / "serve.log", "wb"),  # noqa: SIM115
        )  # fmt: skip
        try:
            client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0)
            deadline = time.monotonic() + 120
            while True:
                try:
                    through_gateway(client, 4, stream=False)  # also loads the model in the gateway
                    break
                except (openai.APIConnectionError, AssertionError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit((work / "serve.log").read_text()[-3000:]) from None
                    time.sleep(0.5)
            direct(backend, 8)  # warm-up
            cells: dict[str, list[float]] = {
                "direct generate": [],
                "gateway stream": [],
                "gateway non-stream": [],
            }
            for round_index in range(args.rounds):
                cells["direct generate"].append(direct(backend, args.tokens))
                cells["gateway stream"].append(through_gateway(client, args.tokens, stream=True))
                cells["gateway non-stream"].append(through_gateway(client, args.tokens, stream=False))
                print(f"round {round_index + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in cells.items()))
        finally:
            server.terminate()
            server.wait(30)
    base = statistics.median(cells["direct generate"])
    print(
        f"\n{args.tokens} tokens a call, {args.rounds} rounds, {os.cpu_count()} CPUs, "
        f"torch threads {args.threads}"
    )
    print("| cell | tokens/s p50 | min | max | ratio to direct (p50) |\n|---|---:|---:|---:|---:|")
    for name, values in cells.items():
        p50 = statistics.median(values)
        print(f"| {name} | {p50:.1f} | {min(values):.1f} | {max(values):.1f} | {p50 / base:.3f} |")
    ratios = [g / d for g, d in zip(cells["gateway stream"], cells["direct generate"], strict=True)]
    print(f"per-round stream/direct ratios: {', '.join(f'{r:.3f}' for r in ratios)}")
    print(f"tokenizer trained on {len(LINES)} lines")


if __name__ == "__main__":
    main()
