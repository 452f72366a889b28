"""`GET /metrics` carries real values after real requests: the audit write lag histogram counts
each request's commit with its time, and the local queue depth gauge counts a request while
the bundled local model serves it, and lets it go when it is done."""

from __future__ import annotations

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import RunningGateway
from tests.integration.test_completions import QUESTION
from tests.integration.test_policy_reload import wait_for

LAG = "gateway_audit_write_lag_seconds"
DEPTH = "gateway_local_queue_depth"


def scraped(url: str, sample: str, **labels: str) -> float:
    """One scrape of `url`/metrics: `sample` (e.g. `gateway_requests_total`) summed over its
    series, or over those with `labels`."""
    families = text_string_to_metric_families(httpx.get(url + "/metrics", timeout=10).text)
    return sum(
        found.value
        for family in families
        for found in family.samples
        if found.name == sample and labels.items() <= found.labels.items()
    )


def test_the_audit_write_lag_histogram_observes_every_committed_record(gateway: RunningGateway) -> None:
    count, total = scraped(gateway.url, LAG + "_count"), scraped(gateway.url, LAG + "_sum")
    for _ in range(5):
        gateway.client().chat.completions.create(model="gpt-4o", messages=QUESTION)
    with pytest.raises(openai.AuthenticationError):  # a refused request is audited too
        gateway.client("not-a-key").chat.completions.create(model="gpt-4o", messages=QUESTION)
    # Observed right after the commit, which is after the answer left: wait for the last one.
    wait_for(lambda: scraped(gateway.url, LAG + "_count") - count == 6, seconds=30)
    lag = scraped(gateway.url, LAG + "_sum") - total
    assert 0 < lag < 6 * 5  # real commit times: above zero, each well under its budget
    assert scraped(gateway.url, LAG + "_bucket", le="+Inf") == scraped(gateway.url, LAG + "_count")


def test_the_local_queue_depth_gauge_counts_a_request_while_the_local_model_serves_it(
    gateway: RunningGateway,
) -> None:
    assert scraped(gateway.url, DEPTH) == 0
    counting = [{"role": "user", "content": "Count from 1 to 200, one number a line."}]
    stream = gateway.client().chat.completions.create(
        model="local", messages=counting, max_tokens=96, temperature=0, stream=True
    )
    chunks = iter(stream)
    next(chunks)  # the model has begun: it holds its place until its last token
    during = scraped(gateway.url, DEPTH)
    rest = list(chunks)
    assert during == 1
    assert rest  # the answer went on after the scrape: it was counted while being generated
    wait_for(lambda: scraped(gateway.url, DEPTH) == 0, seconds=30)
