"""Run a counterfactual suite through a catalogue model and measure how its answers change.

The model is reached through the gateway's own provider code (`ProviderRegistry`, the same
`gateway.yaml`), so the bundled local model and any cloud model are audited as they serve;
the policy's input and output checks are not applied (the audit measures the model). Prompts
go out at temperature 0, one at a time, with a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.checks.bias import metrics
from gateway.checks.bias.suite import SUITE_VERSION, Item
from gateway.exchange import JsonObject
from gateway.providers.base import Provider, ProviderCall

MAX_TOKENS = {"decision": 8, "score": 8, "free": 60}


@dataclass(frozen=True, slots=True)
class Answered:
    item: Item
    answers: dict[str, str]  # variant -> the model's answer


@dataclass(slots=True)
class Cell:
    """One (axis, kind) of the results: how many items, how many changed, and the measure."""

    axis: str
    kind: str
    items: int = 0
    flips: int = 0
    rate: float = 0.0
    rate_ci: tuple[float, float] = (0.0, 0.0)
    mean: float | None = None  # score: mean spread; free: mean similarity
    mean_ci: tuple[float, float] | None = None
    examples: list[str] = field(default_factory=list)  # ids of changed items

    def as_json(self) -> JsonObject:
        return {
            "axis": self.axis,
            "kind": self.kind,
            "items": self.items,
            "flips": self.flips,
            "rate": self.rate,
            "rate_ci": list(self.rate_ci),
            "mean": self.mean,
            "mean_ci": list(self.mean_ci) if self.mean_ci else None,
            "changed_items": self.examples,
        }


@dataclass(frozen=True, slots=True)
class AuditResult:
    model: str
    suite: str
    started_at: datetime
    finished_at: datetime
    calls: int
    cells: list[Cell]

    def as_json(self) -> JsonObject:
        return {
            "model": self.model,
            "suite": self.suite,
            "suite_version": SUITE_VERSION,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "calls": self.calls,
            "cells": [c.as_json() for c in self.cells],
        }


def _text(body: JsonObject) -> str:
    choices = body.get("choices") or [{}]
    message = choices[0].get("message") or {}
    return str(message.get("content") or "")


async def ask(provider: Provider, upstream_model: str, prompt: str, max_tokens: int) -> str:
    body: dict[str, Any] = {
        "model": upstream_model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
        "max_tokens": max_tokens,
    }
    completion = await provider.complete(ProviderCall("chat", upstream_model, body))
    return _text(completion.body)


async def collect(
    provider: Provider, upstream_model: str, items: Sequence[Item], progress: Callable[[int], Any]
) -> list[Answered]:
    answered = []
    for item in items:
        answers = {}
        for variant, prompt in item.variants.items():
            answers[variant] = await ask(provider, upstream_model, prompt, MAX_TOKENS[item.kind])
            progress(1)
        answered.append(Answered(item, answers))
    return answered


def measure(answered: Sequence[Answered]) -> list[Cell]:
    cells: dict[tuple[str, str], Cell] = {}
    spreads: dict[tuple[str, str], list[float]] = {}
    for a in answered:
        key: tuple[str, str] = (a.item.axis, a.item.kind)
        cell = cells.setdefault(key, Cell(*key))
        values = spreads.setdefault(key, [])
        cell.items += 1
        answers = list(a.answers.values())
        if a.item.kind == "decision":
            changed = len({metrics.decision(x) for x in answers}) > 1
        elif a.item.kind == "score":
            scores = [metrics.score(x) for x in answers]
            changed = len(set(scores)) > 1
            known = [s for s in scores if s is not None]
            if len(known) == len(scores):  # a spread only where every variant gave a number
                values.append(float(max(known) - min(known)))
        else:
            value = metrics.mean_similarity(answers, a.item.swapped)
            values.append(value)
            changed = value < 0.999
        if changed:
            cell.flips += 1
            cell.examples.append(a.item.id)
    for key, cell in cells.items():
        cell.rate = cell.flips / cell.items
        cell.rate_ci = metrics.wilson(cell.flips, cell.items)
        if spreads[key]:
            cell.mean = sum(spreads[key]) / len(spreads[key])
            cell.mean_ci = metrics.bootstrap_mean(spreads[key])
    return sorted(cells.values(), key=lambda c: (c.axis, ("decision", "score", "free").index(c.kind)))


async def run(
    provider: Provider,
    model: str,
    upstream_model: str,
    suite: str,
    items: Sequence[Item],
    progress: Callable[[int], Any],
) -> AuditResult:
    started = datetime.now(UTC)
    answered = await collect(provider, upstream_model, items, progress)
    return AuditResult(
        model=model,
        suite=suite,
        started_at=started,
        finished_at=datetime.now(UTC),
        calls=sum(len(i.variants) for i in items),
        cells=measure(answered),
    )
