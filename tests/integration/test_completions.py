"""The seed's own example, through the official openai SDK, against the cloud stand-in."""

from __future__ import annotations

import openai
import pytest
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.db.models import AuditRecordRow
from tests.integration.conftest import Cloud, RunningGateway

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def records(gateway: RunningGateway) -> list[AuditRecordRow]:
    """Each request's last entry (its outcome or single record), in chain order; the egress
    entries before an outcome are checked in test_audit_egress.py."""
    table = AuditRecordRow
    with Session(gateway.engine) as session:
        query = select(table).where(or_(table.phase.is_(None), table.phase != "egress"))
        return list(session.scalars(query.order_by(table.seq)))


def test_chat_completion_reaches_the_cloud(gateway_on: RunningGateway, cloud: Cloud) -> None:
    raw = gateway_on.client().chat.completions.with_raw_response.create(model="gpt-4o", messages=QUESTION)
    completion = raw.parse()
    assert completion.choices[0].message.content == cloud.app.reply
    assert completion.model == "gpt-4o"
    assert raw.headers["x-gateway-route"] == "cloud"
    assert cloud.app.received[-1]["messages"] == QUESTION
    (record,) = records(gateway_on)
    assert record.request_id == raw.headers["x-request-id"]
    assert (record.tenant, record.key_name, record.location, record.status_code) == (
        "demo",
        "app",
        "cloud",
        200,
    )
    assert record.prompt_tokens == 12 and record.completion_tokens == 6
    assert record.route_reasons == ["model:cloud"]
    assert record.policy_version == gateway_on.services.policies.current.version
    # Content is kept only as the PII stage's redacted form, and sealed with the tenant's key.
    assert record.request_content is not None and "France" not in record.request_content


def test_chat_stream_is_passed_through_chunk_by_chunk(gateway_on: RunningGateway, cloud: Cloud) -> None:
    stream = gateway_on.client().chat.completions.create(model="gpt-4o", messages=QUESTION, stream=True)
    chunks = list(stream)
    assert len(chunks) == len(cloud.app.reply.split(" "))  # the usage chunk we asked for is not shown
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == cloud.app.reply
    (record,) = records(gateway_on)
    assert record.stream and record.outcome == "ok" and record.completion_tokens == 6


def test_stream_usage_is_shown_when_the_caller_asks(gateway: RunningGateway) -> None:
    stream = gateway.client().chat.completions.create(
        model="gpt-4o", messages=QUESTION, stream=True, stream_options={"include_usage": True}
    )
    last = list(stream)[-1]
    assert last.usage is not None and last.usage.completion_tokens == 6


def test_text_completion(gateway: RunningGateway, cloud: Cloud) -> None:
    completion = gateway.client().completions.create(model="gpt-4o-mini", prompt="Say hi")
    assert completion.choices[0].text == cloud.app.reply
    assert cloud.app.received[-1]["prompt"] == "Say hi"


def test_models_lists_exactly_the_tenants_models(gateway: RunningGateway) -> None:
    listed = [model.id for model in gateway.client().models.list()]
    assert listed == ["gpt-4o", "gpt-4o-mini", "fail-500", "fail-slow", "auto", "local"]
    onprem = [model.id for model in gateway.client("test-key-onprem").models.list()]
    assert onprem == ["gpt-4o", "local"]


def test_model_outside_the_tenants_list_looks_unknown(gateway: RunningGateway) -> None:
    client = gateway.client("test-key-onprem")
    with pytest.raises(openai.NotFoundError) as not_listed:
        client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="no-such-model", messages=QUESTION)
    assert not_listed.value.body["code"] == unknown.value.body["code"] == "model_not_found"  # type: ignore[index]
    assert [r.status_code for r in records(gateway)] == [404, 404]


def test_unknown_key_is_401_and_audited_without_the_key(gateway: RunningGateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        gateway.client("sk-not-a-real-key").chat.completions.create(model="gpt-4o", messages=QUESTION)
    (record,) = records(gateway)
    assert record.tenant is None and record.status_code == 401 and record.outcome == "rejected"
    assert record.key_fingerprint and len(record.key_fingerprint) == 12
    assert "sk-not-a-real-key" not in repr({c: getattr(record, c) for c in record.__table__.columns.keys()})  # noqa: SIM118
