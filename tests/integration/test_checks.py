"""Content checks through the official SDK against the loopback cloud: a block is a 403 naming
the check and nothing reaches the cloud; benign traffic passes; every record says, per check,
what happened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import yaml

from gateway.checks.pii.detector import Detector
from gateway.checks.toxicity.check import REDACTED
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_completions import QUESTION, records
from tests.integration.test_policy_reload import wait_for
from tests.policy_files import LOCAL_KEY, STRICT_KEY

INSULT = "You are a worthless fucking idiot, answer me."
TOXIC_REPLY = "Here it is. You are a worthless fucking idiot. Anything else?"


def with_checks(directory: Path) -> None:
    for tenant, checks in {
        "demo": {
            "input": {"toxicity": {"action": "block", "threshold": 0.9}},
            "output": {"toxicity": {"action": "redact"}},
        },
        "strict": {"input": {"toxicity": {"action": "shadow"}}, "output": {"toxicity": {"action": "block"}}},
        "onprem": {"input": {"toxicity": {"action": "flag"}}, "output": {"toxicity": {"action": "flag"}}},
    }.items():
        path = directory / "tenants" / f"{tenant}.yaml"
        policy = yaml.safe_load(path.read_text())
        policy["checks"] = checks
        path.write_text(yaml.safe_dump(policy))


@pytest.fixture
def checked(tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector) -> Iterator[RunningGateway]:
    yield from start_gateway(tmp_path, cloud, sqlite_url, presidio, prepare=with_checks)


@pytest.fixture
def toxic_cloud(cloud: Cloud) -> Iterator[Cloud]:
    before = cloud.app.reply
    cloud.app.reply = TOXIC_REPLY
    yield cloud
    cloud.app.reply = before


def outcome(record: object, check: str, stage: str = "input") -> dict[str, object]:
    (found,) = [c for c in record.checks if c["check"] == check and c["stage"] == stage]  # type: ignore[attr-defined]
    return found


def test_a_toxic_request_is_refused_naming_the_check_and_nothing_reaches_the_cloud(
    checked: RunningGateway, cloud: Cloud
) -> None:
    sent = len(cloud.app.received)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        checked.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": INSULT}]
        )
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "policy_violation" and error["param"] == "toxicity"
    assert "idiot" not in str(error)
    assert len(cloud.app.received) == sent
    (record,) = records(checked)
    assert record.outcome == "blocked"
    assert outcome(record, "toxicity")["status"] == "blocked"
    assert outcome(record, "toxicity")["score_bucket"] == "0.9-1.0"


def test_benign_traffic_passes_and_every_check_says_what_it_did(
    checked: RunningGateway, cloud: Cloud
) -> None:
    answer = checked.client().chat.completions.create(model="gpt-4o", messages=QUESTION)
    assert answer.choices[0].message.content == cloud.app.reply
    (record,) = records(checked)
    assert outcome(record, "toxicity")["status"] == "passed"
    assert outcome(record, "toxicity", "output")["status"] == "passed"
    assert outcome(record, "pii")["status"] == "passed"


def test_a_toxic_sentence_of_the_answer_is_replaced(checked: RunningGateway, toxic_cloud: Cloud) -> None:
    answer = checked.client().chat.completions.create(model="gpt-4o", messages=QUESTION)
    assert answer.choices[0].message.content == f"Here it is. {REDACTED}Anything else?"
    streamed = checked.client().chat.completions.create(model="gpt-4o", messages=QUESTION, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
    assert text == f"Here it is. {REDACTED}Anything else?"
    assert [outcome(r, "toxicity", "output")["status"] for r in records(checked)] == ["rewritten"] * 2


def test_block_ends_a_stream_with_an_in_band_error_and_the_record_says_blocked(
    checked: RunningGateway, toxic_cloud: Cloud
) -> None:
    stream = checked.client(STRICT_KEY).chat.completions.create(
        model="gpt-4o", messages=QUESTION, stream=True
    )
    received: list[str] = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received += [chunk.choices[0].delta.content or ""] if chunk.choices else []
    assert "".join(received) == "Here it is. "  # what came before the offending sentence
    wait_for(lambda: records(checked))  # a stream's record is committed as its generator ends
    (record,) = records(checked)
    assert (record.outcome, record.error_code) == ("blocked", "policy_violation")
    assert outcome(record, "toxicity", "output")["status"] == "blocked"


def test_shadow_lets_the_request_through_and_audits_that_it_would_have_blocked(
    checked: RunningGateway, cloud: Cloud
) -> None:
    sent = len(cloud.app.received)
    checked.client(STRICT_KEY).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": INSULT}]
    )
    assert len(cloud.app.received) == sent + 1
    (record,) = records(checked)
    shadow = outcome(record, "toxicity")
    assert (shadow["status"], shadow["action"], shadow["would_block"]) == ("flagged", "shadow", True)


def test_flag_lets_it_through_and_names_the_check_in_x_gateway_flags(checked: RunningGateway) -> None:
    raw = checked.client(LOCAL_KEY).chat.completions.with_raw_response.create(
        model="local", messages=[{"role": "user", "content": INSULT}], max_tokens=8
    )
    assert raw.headers["x-gateway-flags"] == "toxicity"
    quiet = checked.client(STRICT_KEY).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=QUESTION
    )
    assert "x-gateway-flags" not in quiet.headers
