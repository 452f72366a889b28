"""Privacy end to end: the official openai SDK -> the gateway -> loopback stand-ins.

Two real HTTP stand-ins: "the cloud" and an OpenAI-compatible server on the premises
(catalogued `location: local`), so every test can say exactly what reached which. The real
Presidio detector is loaded once per session and shared by every gateway started here.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from gateway.app import create_app
from gateway.audit.record import AuditRecord
from gateway.checks.pii.detector import Detector
from gateway.checks.pii.engine import PresidioDetector
from gateway.db.engine import upgrade
from gateway.policy.schema import ProviderConfig
from gateway.providers.fake import FakeProvider
from gateway.services import Services
from gateway.settings import Settings
from tests.cloud_standin import CloudStandIn
from tests.policy_files import sha
from tests.servers import serve_in_thread
from tests.unit.checks.fakes import DyingDetector, FailingDetector, SlowDetector

KEY = "test-key-privacy"
FALLBACK_KEY = "test-key-privacy-fallback"
BLOCK_IMAGES_KEY = "test-key-privacy-noimages"
OTHER_KEY = "test-key-privacy-other"
OPEN_KEY = "test-key-privacy-open"

NAME, EMAIL, PHONE = "Jane Smith", "jane.smith@example.com", "(415) 555-0132"
CARD, SSN, IP = "4111 1111 1111 1111", "078-05-1120", "192.168.10.24"
PROMPT = f"I am {NAME} ({EMAIL}, phone {PHONE}). My laptop at {IP} will not boot. What should I do?"
ORIGINALS = (NAME, EMAIL, PHONE, CARD, SSN, IP)

PII = {
    "entities": {
        "PERSON": "pseudonymize",
        "EMAIL_ADDRESS": "pseudonymize",
        "PHONE_NUMBER": "mask",
        "CREDIT_CARD": "local_only",
        "US_SSN": "block",
        "IP_ADDRESS": "hash",
    },
    "custom": [{"entity": "EMPLOYEE_ID", "pattern": r"EMP-\d{6}", "action": "pseudonymize"}],
    "allow": ["Acme Corp"],
}


def tenant(name: str, key: str, pii: dict[str, Any] | None = None, **routing: Any) -> dict[str, Any]:
    return {
        "tenant": name,
        "api_keys": [{"name": "app", "sha256": sha(key)}],
        "models": ["gpt-4o", "onprem"],
        "pii": {**PII, **(pii or {})},
        "routing": {"default": "cloud", "local_model": "onprem", "images": "local_only", **routing},
        "checks": {"output": {"pii": {"action": "redact"}}},
        "audit": {"content": "redacted"},
    }


class SplittingStandIn(CloudStandIn):
    """Streams its reply three characters a chunk, so pseudonym tokens arrive split."""

    async def _stream(self, send: Any, request: dict[str, Any], chat: bool) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        pieces = [self.reply[i : i + 3] for i in range(0, len(self.reply), 3)]
        for piece in pieces:
            choice: dict[str, Any] = {"index": 0, "finish_reason": None}
            choice.update({"delta": {"content": piece}} if chat else {"text": piece})
            await send({"type": "http.response.body", "body": _event(request, choice), "more_body": True})
        done = {"index": 0, "finish_reason": "stop", **({"delta": {}} if chat else {"text": ""})}
        await send({"type": "http.response.body", "body": _event(request, done), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def _event(request: dict[str, Any], choice: dict[str, Any]) -> bytes:
    chunk = {
        "id": "s",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": request.get("model"),
        "choices": [choice],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


@dataclass
class Stage:
    url: str
    cloud: CloudStandIn
    onprem: FakeProvider  # stands in for the llama.cpp model, so tests see what it received
    services: Services
    database: Path
    records: list[AuditRecord] = field(default_factory=list)

    def client(self, key: str = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0)

    def everything_stored(self) -> str:
        """Every byte of every table, and every field of every record before it was written."""
        with sqlite3.connect(self.database) as connection:
            dump = "\n".join(connection.iterdump())
        return dump + "\n".join(repr(record) for record in self.records)


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[str, CloudStandIn]]:
    cloud = SplittingStandIn()
    with serve_in_thread(cloud) as cloud_url:
        yield cloud_url, cloud


def start(
    tmp_path: Path,
    standin: tuple[str, CloudStandIn],
    detector: Detector | Callable[[], Detector],
    **env: str,
) -> Iterator[Stage]:
    cloud_url, cloud = standin
    cloud.received.clear()
    cloud.reply = "The capital of France is Paris."
    policies = tmp_path / "policies"
    (policies / "tenants").mkdir(parents=True)
    gateway_yaml = {
        "providers": {
            "openai": {"base_url": cloud_url + "/v1", "api_key": "sk-standin", "timeout_seconds": 5},
            "onprem": {"type": "llama_cpp", "n_ctx": 512},
        },
        "models": {
            "gpt-4o": {"provider": "openai", "location": "cloud"},
            "onprem": {"provider": "onprem", "location": "local"},
        },
    }
    (policies / "gateway.yaml").write_text(yaml.safe_dump(gateway_yaml))
    tenants = {
        "priv": tenant("priv", KEY),
        "fallback": tenant("fallback", FALLBACK_KEY, fallback="local"),
        "noimages": tenant("noimages", BLOCK_IMAGES_KEY, images="block"),
        "other": tenant("other", OTHER_KEY),
        "open": tenant("open", OPEN_KEY, pii={"unknown_fields": "pass"}),
    }
    for name, body in tenants.items():
        (policies / "tenants" / f"{name}.yaml").write_text(yaml.safe_dump(body))
    database = tmp_path / "audit.db"
    upgrade(f"sqlite:///{database}")
    settings = Settings.from_env(env, policies_dir=policies, database_url=f"sqlite:///{database}")
    services = Services.build(settings, detector=detector)
    onprem = FakeProvider(reply="Answered on the premises.")
    services.providers.install("onprem", ProviderConfig(type="llama_cpp", n_ctx=512), onprem)
    stage = Stage("", cloud, onprem, services, database)
    write = services.audit.write

    async def capture(record: AuditRecord) -> None:
        stage.records.append(record)
        await write(record)

    services.audit.write = capture  # type: ignore[method-assign]
    with serve_in_thread(create_app(settings, services)) as url:
        stage.url = url
        yield stage


@pytest.fixture
def stage(tmp_path: Path, standin: Any, presidio: PresidioDetector) -> Iterator[Stage]:
    yield from start(tmp_path, standin, presidio)


@pytest.fixture(scope="module")
def worker_stage(tmp_path_factory: pytest.TempPathFactory, standin: Any) -> Iterator[Stage]:
    """The production path: `gateway serve` detects in worker processes (one here), each
    loading Presidio itself. Shared by the tests of this module: a worker takes seconds to load."""
    yield from start(tmp_path_factory.mktemp("workers"), standin, PresidioDetector, GATEWAY_PII_WORKERS="1")


@pytest.fixture(params=["thread", "workers"])
def any_stage(request: pytest.FixtureRequest, tmp_path: Path, standin: Any) -> Iterator[Stage]:
    """The leak and restore tests run both ways: detection on a thread, and in worker processes."""
    if request.param == "thread":
        yield from start(tmp_path, standin, request.getfixturevalue("presidio"))
        return
    stage: Stage = request.getfixturevalue("worker_stage")
    stage.cloud.received.clear()
    stage.cloud.reply = "The capital of France is Paris."
    stage.onprem.calls.clear()
    stage.records.clear()
    yield stage


def sent_to(app: CloudStandIn | FakeProvider) -> str:
    return repr(app.received if isinstance(app, CloudStandIn) else [call.body for call in app.calls])


# --- rewriting and restoring ------------------------------------------------------------------


def test_pseudonyms_go_out_and_come_back(any_stage: Stage) -> None:
    stage = any_stage
    stage.cloud.reply = "Hello <PERSON_1>, I wrote to <EMAIL_ADDRESS_1>. <PERSON_9> is unknown."
    messages = [{"role": "system", "content": f"You help {NAME}."}, {"role": "user", "content": PROMPT}]
    raw = stage.client().chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
    assert raw.headers["x-gateway-route"] == "cloud"
    forwarded = stage.cloud.received[-1]["messages"]
    assert forwarded[0]["content"] == "You help <PERSON_1>."  # the same token in every message
    user = forwarded[1]["content"]
    assert user.startswith("I am <PERSON_1> (<EMAIL_ADDRESS_1>, phone **********0132)")
    assert "<IP_ADDRESS:" in user
    for value in ORIGINALS:
        assert value not in sent_to(stage.cloud)
    answer = raw.parse().choices[0].message.content
    assert answer == f"Hello {NAME}, I wrote to {EMAIL}. <PERSON_9> is unknown."


def test_stream_restores_tokens_split_across_chunks(any_stage: Stage) -> None:
    stage = any_stage
    stage.cloud.reply = "Hello <PERSON_1>, I wrote to <EMAIL_ADDRESS_1> today."
    stream = stage.client().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == f"Hello {NAME}, I wrote to {EMAIL} today."
    assert NAME not in sent_to(stage.cloud)


def test_model_produced_pii_is_redacted_but_the_callers_own_values_are_not(stage: Stage) -> None:
    stage.cloud.reply = "Ask Maria Gonzalez (maria.gonzalez@corp.example) to call <PERSON_1>. Done."
    expected = f"Ask <PERSON> (<EMAIL_ADDRESS>) to call {NAME}. Done."
    completion = stage.client().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": PROMPT}]
    )
    assert completion.choices[0].message.content == expected
    stream = stage.client().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == expected
    for record in stage.records:
        assert record.response_content is not None and "Maria" not in record.response_content
        produced = {(f["kind"], f["count"]) for f in record.findings if f["check"] == "output_pii"}
        assert produced == {("PERSON", 1), ("EMAIL_ADDRESS", 1)}  # not the caller's own name


def test_text_completions_prompt_list_tool_arguments_and_names(stage: Stage) -> None:
    stage.client().completions.create(model="gpt-4o", prompt=[f"Write to {NAME}", "and to EMP-123456"])
    assert stage.cloud.received[-1]["prompt"] == ["Write to <PERSON_1>", "and to <EMPLOYEE_ID_1>"]
    messages: list[Any] = [
        {"role": "user", "name": "jane", "content": [{"type": "text", "text": f"Email {EMAIL} please"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "send", "arguments": f'{{"to": "{EMAIL}"}}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": f"sent to {EMAIL} for Acme Corp"},
    ]
    stage.client().chat.completions.create(model="gpt-4o", messages=messages)
    forwarded = stage.cloud.received[-1]["messages"]
    assert forwarded[0]["content"][0]["text"] == "Email <EMAIL_ADDRESS_1> please"
    assert forwarded[1]["tool_calls"][0]["function"]["arguments"] == '{"to": "<EMAIL_ADDRESS_1>"}'
    assert forwarded[2]["content"] == "sent to <EMAIL_ADDRESS_1> for Acme Corp"  # allow-listed
    assert EMAIL not in sent_to(stage.cloud)


def test_hash_tokens_are_stable_per_tenant_and_differ_between_tenants(stage: Stage) -> None:
    def token(key: str) -> str:
        stage.client(key).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"host {IP}"}]
        )
        return str(stage.cloud.received[-1]["messages"][0]["content"])

    first, again, other = token(KEY), token(KEY), token(OTHER_KEY)
    assert first == again and first != other and IP not in first + other


# --- routing by sensitivity -----------------------------------------------------------------


def test_local_only_entity_keeps_the_request_on_the_premises(any_stage: Stage) -> None:
    stage = any_stage
    for stream in (False, True):
        raw = stage.client().chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": f"Is card {CARD} still valid?"}],
            stream=stream,
        )
        assert raw.headers["x-gateway-route"] == "local"
    assert stage.cloud.received == []  # nothing, not even the redacted form, left for the cloud
    assert CARD in sent_to(stage.onprem)  # the local model gets the content itself
    assert stage.records[-1].model_served == "onprem"
    assert stage.records[-1].route_reasons == ["pii:CREDIT_CARD"]


def test_block_is_403_naming_the_type_never_the_value(any_stage: Stage) -> None:
    stage = any_stage
    for stream in (False, True):
        with pytest.raises(openai.PermissionDeniedError) as caught:
            stage.client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"My SSN is {SSN}"}], stream=stream
            )
        body = caught.value.body
        assert isinstance(body, dict) and body["code"] == "policy_violation" and body["param"] == "pii:US_SSN"
        assert "US_SSN" in body["message"] and SSN not in str(body) and "078" not in str(body)
    assert stage.cloud.received == [] and stage.onprem.calls == []
    record = stage.records[-1]
    assert (record.status_code, record.outcome) == (403, "blocked")
    assert record.findings == [{"check": "pii", "kind": "US_SSN", "action": "block", "count": 1}]


# --- evasion: normalisation tricks and values split across messages ------------------------

EVADED_SSNS = [
    "536-22\u200b-8127",
    "536-22\u200d-8127",
    "536\u00ad-22-8127",
    "536\u201322\u20138127",
    "\uff15\uff13\uff16\uff0d\uff12\uff12\uff0d\uff18\uff11\uff12\uff17",
    "536 22 8127",
    "536.22.8127",
]
EVADED_EMAILS = [
    "john.smith\u200b@example.com",
    "john.smith\uff20example.com",
    "john.smith[at]example[dot]com",
    "john.smith at example dot com",
    "john.smith (at) example (dot) com",
]


def test_ssn_evasions_are_blocked(any_stage: Stage) -> None:
    for ssn in EVADED_SSNS:
        with pytest.raises(openai.PermissionDeniedError) as caught:
            any_stage.client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"My SSN is {ssn}, file it"}]
            )
        assert caught.value.body["param"] == "pii:US_SSN", ssn  # type: ignore[index]
    assert any_stage.cloud.received == [] and any_stage.onprem.calls == []


def test_email_evasions_are_pseudonymised_and_restored(any_stage: Stage) -> None:
    any_stage.cloud.reply = "I will write to <EMAIL_ADDRESS_1>."
    for email in EVADED_EMAILS:
        completion = any_stage.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"Please email {email} today"}]
        )
        sent = any_stage.cloud.received[-1]["messages"][0]["content"]
        assert sent == "Please email <EMAIL_ADDRESS_1> today", email  # every original character replaced
        assert completion.choices[0].message.content == f"I will write to {email}."  # as the caller wrote it
    for leaked in ("john", "smith", "example"):
        assert leaked not in sent_to(any_stage.cloud)


def test_cards_hidden_or_split_stay_on_the_premises(any_stage: Stage) -> None:
    conversations = [
        ["card 4111\u200b1111 1111 1111 is mine"],
        ["my card is 4111 1111", "1111 1111, can you check it?"],
        ["card 4111\u20131111\u20131111\u20131111"],
    ]
    for contents in conversations:
        raw = any_stage.client().chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": c} for c in contents]
        )
        assert raw.headers["x-gateway-route"] == "local", contents
    assert any_stage.cloud.received == []
    assert all(r.route_reasons == ["pii:CREDIT_CARD"] for r in any_stage.records)


IMAGE = [
    {"type": "text", "text": "What is in this picture?"},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
]


def test_images_follow_routing_images(stage: Stage) -> None:
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        stage.client(BLOCK_IMAGES_KEY).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": IMAGE}]
        )
    assert blocked.value.body["param"] == "images"  # type: ignore[index]
    # local_only, and the local model (llama.cpp, text only) cannot read images: a clear 400.
    with pytest.raises(openai.BadRequestError) as unreadable:
        stage.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": IMAGE}])
    assert "cannot read images" in unreadable.value.body["message"]  # type: ignore[index]
    assert stage.cloud.received == [] and stage.onprem.calls == []
    assert [r.status_code for r in stage.records] == [403, 400]


# --- every field a request carries ---------------------------------------------------------

TOOL = {"type": "function", "function": {"name": "f", "description": f"SSN {SSN}"}}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"description": f"SSN {SSN}"}}}
FIELDS: dict[str, dict[str, Any]] = {
    "user": {"user": SSN},
    "stop": {"stop": [SSN]},
    "tools[].function.description": {"tools": [TOOL]},
    "tools[].function.parameters": {
        "tools": [
            {
                "type": "function",
                "function": {"name": "f", "parameters": {"type": "object", "description": SSN}},
            }
        ]
    },
    "response_format.json_schema": {"response_format": SCHEMA},
    "metadata": {"metadata": {"note": SSN}, "store": True},
    "tool_choice": {
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": {"type": "function", "function": {"name": SSN}},
    },
    "prediction": {"prediction": {"type": "content", "content": SSN}},
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_every_field_the_cloud_sees_is_scanned(stage: Stage, field: str) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        stage.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], **FIELDS[field]
        )
    assert caught.value.body["param"] == "pii:US_SSN"  # type: ignore[index]
    assert stage.cloud.received == []


def test_message_fields_are_scanned_and_unknown_ones_dropped(stage: Stage) -> None:
    messages: list[Any] = [
        {"role": "user", "content": "hi", "metadata": {"ssn": SSN}},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": f"{NAME} is on file"},
    ]
    stage.client().chat.completions.create(model="gpt-4o", messages=messages)
    sent = stage.cloud.received[-1]
    assert "metadata" not in sent["messages"][0] and SSN not in json.dumps(sent)
    assert sent["messages"][2] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "<PERSON_1> is on file",
    }
    with pytest.raises(openai.PermissionDeniedError):
        stage.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "tool", "tool_call_id": SSN, "content": "ok"}]
        )


def test_completions_suffix_is_scanned(stage: Stage) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        stage.client().completions.create(model="gpt-4o", prompt="def f():", suffix=f"# SSN {SSN}")
    assert caught.value.body["param"] == "pii:US_SSN"  # type: ignore[index]
    assert stage.cloud.received == []


def test_unknown_fields_and_unreadable_parts_are_refused(stage: Stage) -> None:
    with pytest.raises(openai.BadRequestError) as unknown:
        stage.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], extra_body={"x_note": SSN}
        )
    assert "x_note" in unknown.value.body["message"] and SSN not in str(unknown.value.body)  # type: ignore[index]
    audio = [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]
    with pytest.raises(openai.BadRequestError) as unreadable:
        stage.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": audio}])
    assert "input_audio" in unreadable.value.body["message"]  # type: ignore[index]
    assert stage.cloud.received == []


def test_a_tenant_may_pass_unknown_fields_which_are_then_scanned(stage: Stage) -> None:
    stage.client(OPEN_KEY).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], extra_body={"x_note": f"for {NAME}"}
    )
    assert stage.cloud.received[-1]["x_note"] == "for <PERSON_1>"


# --- fail closed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "workers"),
    [
        (FailingDetector(), "0"),
        (SlowDetector(2.0), "0"),
        (FailingDetector, "1"),
        (functools.partial(SlowDetector, 2.0), "1"),
    ],
    ids=["raises", "too-slow", "raises-in-a-worker", "too-slow-in-a-worker"],
)
def test_detector_down_never_sends_unscanned_text_to_the_cloud(
    tmp_path: Path, standin: Any, detector: Detector | Callable[[], Detector], workers: str
) -> None:
    env = {"GATEWAY_PII_TIMEOUT_MS": "300", "GATEWAY_PII_WORKERS": workers}
    for stage in start(tmp_path, standin, detector, **env):
        for stream in (False, True):
            with pytest.raises(openai.InternalServerError) as caught:
                stage.client().chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": PROMPT}], stream=stream
                )
            assert caught.value.status_code == 503
            assert caught.value.body["code"] == "pii_detection_unavailable"  # type: ignore[index]
            assert NAME not in str(caught.value.body)
        raw = stage.client(FALLBACK_KEY).chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hello"}]
        )
        assert raw.headers["x-gateway-route"] == "local"
        assert stage.records[-1].route_reasons == ["pii:detector_unavailable"]
        assert stage.cloud.received == []


def test_a_worker_that_dies_mid_analysis_fails_closed_and_the_next_request_is_served(
    tmp_path: Path, standin: Any
) -> None:
    env = {"GATEWAY_PII_TIMEOUT_MS": "20000", "GATEWAY_PII_WORKERS": "1"}
    for stage in start(tmp_path, standin, DyingDetector, **env):
        with pytest.raises(openai.InternalServerError) as caught:
            stage.client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"{NAME} says: die now"}]
            )
        assert caught.value.status_code == 503 and NAME not in str(caught.value.body)
        raw = stage.client(FALLBACK_KEY).chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"{NAME} says: die now"}]
        )
        assert raw.headers["x-gateway-route"] == "local"  # the tenant allows a local answer
        assert stage.cloud.received == []
        stage.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hello"}]
        )
        assert len(stage.cloud.received) == 1  # a new worker serves what comes next
        assert [r.status_code for r in stage.records] == [503, 200, 200]
        refused, kept_local, _ = stage.records
        assert (refused.outcome, refused.error_code) == ("error", "pii_detection_unavailable")
        assert kept_local.route_reasons == ["pii:detector_unavailable"]
        said = [(c["check"], c["stage"], c["status"]) for c in kept_local.checks if c["status"] != "skipped"]
        assert said == [("pii", "input", "failed"), ("pii", "output", "failed")]


# --- audit ----------------------------------------------------------------------------------


def test_no_original_value_is_stored_anywhere(stage: Stage) -> None:
    stage.cloud.reply = "Sure <PERSON_1>, your address <EMAIL_ADDRESS_1> is noted."
    prompt = [{"role": "user", "content": PROMPT}]
    stage.client().chat.completions.create(model="gpt-4o", messages=prompt)
    list(stage.client().chat.completions.create(model="gpt-4o", messages=prompt, stream=True))
    stage.client().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": f"card {CARD}"}]
    )
    with pytest.raises(openai.PermissionDeniedError):
        stage.client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"SSN {SSN}"}]
        )
    stored = stage.everything_stored()
    for value in (*ORIGINALS, "0132", "Jane", "Smith"):
        if value != "0132":
            assert value not in stored, value
    first = stage.records[0]
    assert first.request_content is not None and "<PERSON_1>" in first.request_content
    assert first.response_content == "Sure <PERSON_1>, your address <EMAIL_ADDRESS_1> is noted."
    kinds = {(f["kind"], f["action"]): f["count"] for f in first.findings}
    assert kinds[("PERSON", "pseudonymize")] == 1 and kinds[("EMAIL_ADDRESS", "pseudonymize")] == 1
    assert kinds[("PHONE_NUMBER", "mask")] == 1 and kinds[("IP_ADDRESS", "hash")] == 1
    (pii,) = [c for c in first.checks if c["check"] == "pii" and c["stage"] == "input"]
    assert pii["status"] == "rewritten" and "presidio-analyzer" in pii["version"]
    assert pii["types"]["PERSON"] == 1 and pii["action"] == "policy"
    assert "<CREDIT_CARD>" in (stage.records[2].request_content or "")
