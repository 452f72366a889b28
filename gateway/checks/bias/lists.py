"""Word lists vendored from HELM (crfm-helm 0.5.16, Apache-2.0, Copyright 2022 Stanford
University; data/LICENSE-HELM.txt): gender words and term pairs (Bolukbasi et al. 2016, Garg et
al. 2018), surnames by race (Garg et al. 2018), trait adjectives and professions. Copied
verbatim into data/helm_lists.json, so crfm-helm is not a dependency."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "helm_lists.json"


@dataclass(frozen=True, slots=True)
class HelmLists:
    female_words: tuple[str, ...]
    male_words: tuple[str, ...]
    race_surnames: dict[str, tuple[str, ...]]
    adjectives: tuple[str, ...]
    professions: tuple[str, ...]
    gender_term_mappings: tuple[tuple[str, str, str], ...]  # (neutral, female, male)


@cache
def helm_lists() -> HelmLists:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return HelmLists(
        female_words=tuple(raw["female_words"]),
        male_words=tuple(raw["male_words"]),
        race_surnames={race: tuple(names) for race, names in raw["race_surnames"].items()},
        adjectives=tuple(raw["adjectives"]),
        professions=tuple(raw["professions"]),
        gender_term_mappings=tuple((n, f, m) for n, f, m in raw["gender_term_mappings"]),
    )
