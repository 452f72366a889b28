"""The registry is the one list of checks: each entry's class exists and owns its model."""

from __future__ import annotations

import pytest

from gateway.checks.base import CheckOutcome, InputCheck, OutputCheck, score_bucket
from gateway.checks.registry import REGISTRY, Registered, section_model


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: f"{e.stage}.{e.name}")
def test_each_registered_check_has_its_class_and_that_class_owns_the_config_model(entry: Registered) -> None:
    check_class = entry.implementation_class()
    base = InputCheck if entry.stage == "input" else OutputCheck
    assert issubclass(check_class, base)
    assert check_class.name == entry.name and check_class.config_model is entry.config
    assert entry.config.model_config.get("extra") == "forbid"


def test_names_are_unique_per_stage_and_each_is_a_field_of_its_section() -> None:
    for stage in ("input", "output"):
        names = [entry.name for entry in REGISTRY if entry.stage == stage]
        assert len(names) == len(set(names))
        assert list(section_model(stage).model_fields) == names


@pytest.mark.parametrize(
    ("score", "bucket"),
    [(None, None), (0.0, "0.0-0.1"), (0.85, "0.8-0.9"), (0.9, "0.9-1.0"), (1.0, "0.9-1.0")],
)
def test_scores_are_audited_as_their_tenth(score: float | None, bucket: str | None) -> None:
    assert score_bucket(score) == bucket


def test_an_outcome_as_audited_carries_types_counts_and_bucket_never_text() -> None:
    outcome = CheckOutcome(
        "pii", "rewritten", stage="output", action="redact", version="v1", score=0.95, types=(("PERSON", 2),)
    )
    assert outcome.as_audit() == {
        "check": "pii",
        "stage": "output",
        "status": "rewritten",
        "action": "redact",
        "version": "v1",
        "score_bucket": "0.9-1.0",
        "types": {"PERSON": 2},
        "would_block": False,
        "detail": "",
    }
