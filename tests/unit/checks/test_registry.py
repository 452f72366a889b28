"""The registry is the one list of checks: each entry's class exists and owns its model."""

from __future__ import annotations

import pytest

from gateway.checks.base import CheckContext, CheckOutcome, InputCheck, InputScan, OutputCheck, score_bucket
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


class _Stand(InputCheck):
    """A stand-in, as `UnavailableCheck` is: built with the name of the check that failed."""

    def __init__(self, name: str) -> None:
        super().__init__(CheckContext())
        self.stood_for = name

    async def scan(self, config: object, scan: InputScan) -> InputScan:
        raise AssertionError("not run here")


def test_every_registered_check_is_built_and_one_that_fails_to_build_is_stood_in_for(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.checks import registry

    real = next(entry for entry in REGISTRY if entry.stage == "input")
    missing = Registered("input", "missing", real.config, "gateway.nowhere:Check", "cannot import")
    wrong_kind = Registered("input", "wrong_kind", real.config, "gateway.checks.bias.check:OutputBias", "")
    monkeypatch.setattr(registry, "REGISTRY", (real, missing, wrong_kind))
    built = registry.build_checks("input", InputCheck, CheckContext(), _Stand)  # type: ignore[type-abstract]
    assert list(built) == [real.name, "missing", "wrong_kind"]
    assert type(built[real.name]) is real.implementation_class()
    stood_in = {name: check for name, check in built.items() if isinstance(check, _Stand)}
    assert {name: check.stood_for for name, check in stood_in.items()} == {
        "missing": "missing",
        "wrong_kind": "wrong_kind",  # an output check registered as input is never run as one
    }
    logged = [record.getMessage() for record in caplog.records if record.name == registry.__name__]
    assert logged == [
        "input check missing could not be built: ModuleNotFoundError",
        "input check wrong_kind could not be built: AssertionError",
    ]
    built[real.name].close()


def test_both_stages_build_from_the_registry_with_their_own_stand_in() -> None:
    from gateway.checks.input import UnavailableCheck, build_input_checks
    from gateway.checks.output import OutputStage, UnavailableOutputCheck

    inputs = build_input_checks(CheckContext())
    outputs = OutputStage.build(CheckContext())
    try:
        assert list(inputs) == [e.name for e in REGISTRY if e.stage == "input"]
        assert list(outputs.checks) == [e.name for e in REGISTRY if e.stage == "output"]
        assert not any(isinstance(c, UnavailableCheck) for c in inputs.values())
        assert not any(isinstance(c, UnavailableOutputCheck) for c in outputs.checks.values())
    finally:
        for check in inputs.values():
            check.close()
        outputs.close()
