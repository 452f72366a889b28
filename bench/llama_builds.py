"""Tokens/s of llama-cpp-python builds side by side: e.g. a native (-march=native) build
against the portable one the Makefile makes, on the same machine, alternating.

Each --build NAME=DIR is a folder that holds a `llama_cpp` package (e.g. made with
`pip install --no-deps --target DIR llama_cpp_python-*.whl`); it goes first on PYTHONPATH of
a bench/llama_direct.py run, so everything else comes from this venv. Rounds alternate the
builds (A B B A ...); each run is one process: model load, one warm-up, --reps non-streamed
and streamed calls. Prints per build the median tokens/s per mode and what the library
says it was compiled for.

    python bench/llama_builds.py --build native=/tmp/llnative --build portable=/tmp/llportable
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PROMPT = (
    "Write a short, friendly explanation of how a city bicycle sharing program works: finding a "
    "bike, unlocking it with a phone, paying for the trip and returning it to a docking station."
)


def run(build_dir: str, messages_file: Path, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": build_dir}
    command = [
        sys.executable, str(BENCH / "llama_direct.py"), "--messages-file", str(messages_file),
        "--max-tokens", str(args.max_tokens), "--reps", str(args.reps), *extra,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--build", action="append", required=True, help="NAME=DIR (DIR holds llama_cpp)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--no-extra-bufts-too", action="store_true", help="also each build without them")
    args = parser.parse_args()
    builds = dict(item.split("=", 1) for item in args.build)
    variants = [(name, []) for name in builds]
    if args.no_extra_bufts_too:
        variants += [(f"{name}, use_extra_bufts=False", ["--no-extra-bufts"]) for name in builds]
    with tempfile.TemporaryDirectory() as work:
        messages_file = Path(work) / "messages.json"
        messages_file.write_text(json.dumps([{"role": "user", "content": PROMPT}]))
        seen: dict[str, dict[str, list[float]]] = {
            name: {"non_stream": [], "stream": []} for name, _ in variants
        }
        info: dict[str, str] = {}
        for index in range(args.rounds):
            order = variants if index % 2 == 0 else variants[::-1]
            for name, extra in order:
                build = builds[name.split(",")[0]]
                result = run(build, messages_file, args, extra)
                info[name] = result["system_info"]
                for mode in ("non_stream", "stream"):
                    seen[name][mode] += [r["tokens_per_s"] for r in result["runs"][mode]]
                print(f"round {index + 1} {name}: done", file=sys.stderr, flush=True)
    summary = {
        name: {
            "system_info": info[name],
            **{f"{mode}_tok_s_median": round(statistics.median(v), 1) for mode, v in modes.items()},
            "calls_per_mode": len(modes["stream"]),
        }
        for name, modes in seen.items()
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
