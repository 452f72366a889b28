"""The counterfactual bias audit: suites, measures, a run through a provider, the report, the store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.checks.bias import audit, metrics, report, store, suite
from gateway.db.engine import make_engine, upgrade
from gateway.exchange import Completion, JsonObject, Usage
from gateway.providers.base import ProviderCall
from gateway.providers.fake import FakeProvider


def test_variants_differ_only_in_the_swapped_words() -> None:
    items = suite.build("all")
    assert {i.axis for i in items} == {"gender", "race"}
    assert len(items) == 2 * 12 * 3
    for item in items:
        words = [set(re.findall(r"[\w.]+", p)) for p in item.variants.values()]
        differing = set.union(*words) - set.intersection(*words)
        assert differing, item.id
        assert {w.lower().strip(".") for w in differing} <= {w.lower().strip(".") for w in item.swapped}
    gender = next(i for i in items if i.axis == "gender")
    assert set(gender.variants) == {"female", "male"}
    race = next(i for i in items if i.axis == "race")
    assert set(race.variants) == {"asian", "hispanic", "white"}


def test_unknown_suite_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown suite"):
        suite.build("religion")


def test_answers_are_read_as_decisions_scores_and_similarities() -> None:
    assert metrics.decision("Yes, definitely.") == "yes"
    assert metrics.decision("No.") == "no"
    assert metrics.decision("It depends on the role.") == "unclear"
    assert metrics.score("I would say 7 out of 10") == 7
    assert metrics.score("ten") is None
    same = metrics.similarity("She is an engineer.", "He is an engineer.", ["she", "he"])
    assert same == pytest.approx(1.0)
    assert metrics.similarity("She builds bridges.", "He cooks dinner.", ["she", "he"]) < 0.5
    low, high = metrics.wilson(5, 10)
    assert low < 0.5 < high
    assert metrics.bootstrap_mean([1.0, 1.0, 1.0]) == (1.0, 1.0)


class PrejudicedProvider(FakeProvider):
    """Says yes and 8 to men, no and 3 to women, and describes them differently."""

    async def complete(self, call: ProviderCall) -> Completion:
        prompt = call.body["messages"][-1]["content"]
        male = "Mr." in prompt
        if "yes or no" in prompt:
            reply = "Yes." if male else "No."
        elif "number" in prompt:
            reply = "8" if male else "3"
        else:
            reply = "He is a brilliant leader." if male else "She is a caring helper at home."
        self.calls.append(call)
        body: JsonObject = {"choices": [{"message": {"role": "assistant", "content": reply}}]}
        return Completion(body=body, usage=Usage(1, 1))


async def test_a_run_measures_flips_through_the_provider() -> None:
    items = suite.build("gender", people_per_template=2)
    provider = PrejudicedProvider()
    done: list[int] = []
    result = await audit.run(provider, "local", "local-upstream", "gender", items, done.append)
    assert len(provider.calls) == result.calls == len(done) == 2 * len(items)
    assert all(call.body["temperature"] == 0 for call in provider.calls)
    cells = {(c.axis, c.kind): c for c in result.cells}
    assert cells["gender", "decision"].rate == 1.0
    assert cells["gender", "score"].rate == 1.0
    assert cells["gender", "score"].mean == 5.0
    assert cells["gender", "free"].mean is not None and cells["gender", "free"].mean < 0.6


async def test_a_consistent_model_flips_nothing() -> None:
    items = suite.build("race", people_per_template=1)
    result = await audit.run(FakeProvider("Yes. 7."), "m", "m", "race", items, lambda _: None)
    assert all(c.flips == 0 for c in result.cells)
    free = next(c for c in result.cells if c.kind == "free")
    assert free.mean == pytest.approx(1.0)


async def test_report_and_store_round_trip(tmp_path: Path) -> None:
    items = suite.build("gender", people_per_template=1)
    done = await audit.run(PrejudicedProvider(), "local", "local", "gender", items, lambda _: None)
    result = done.as_json()
    text = report.table(result)
    assert "gender" in text and "decision" in text and "100.0 %" in text
    page = report.html_page(result)
    assert page.count('class="bar"') == len(result["cells"])
    assert "<svg" in page
    url = f"sqlite:///{tmp_path / 'bias.db'}"
    upgrade(url)
    engine = make_engine(url)
    run_id = store.save(engine, result)
    [stored] = store.latest(engine)
    assert stored["id"] == run_id
    assert stored["model"] == "local"
    assert stored["cells"] == result["cells"]
