"""Images under `routing.images: redact`, end to end: the official openai SDK -> the gateway
(real Tesseract, real Presidio) -> the loopback cloud, which records the image it received."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from PIL import Image

from gateway.checks.pii.detector import Detector
from tests.images import CARD, EMAIL, NAME, data_url, drawn, image_from_url, need_tesseract, ocr, png
from tests.integration.conftest import Cloud, RunningGateway, start_gateway
from tests.integration.test_completions import records
from tests.policy_files import sha
from tests.servers import answered_lifespan, serve_in_thread

pytestmark = pytest.mark.ocr

KEY = "test-key-images"
SSN_TEXT = "SSN 078-05-1120"


class ImageHost:
    """A loopback web server with images, a redirect out of the allow-list, and a huge file."""

    def __init__(self, image: bytes) -> None:
        self.image = image
        self.hits: list[str] = []
        self.elsewhere = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if await answered_lifespan(scope, receive, send):
            return
        path = scope["path"]
        self.hits.append(path)
        status, headers, body = 200, [(b"content-type", b"image/png")], self.image
        if path == "/away":
            status, headers, body = 302, [(b"location", self.elsewhere.encode())], b""
        elif path == "/around":
            status, headers, body = 302, [(b"location", b"/form.png")], b""
        elif path == "/huge":
            body = b"\0" * (3 * 1024 * 1024)
        elif path == "/slow":
            await asyncio.sleep(3)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


FORM = png(drawn([f"Customer: {NAME}", f"Email: {EMAIL}", f"Card: {CARD}"]))


@pytest.fixture(scope="module")
def image_host() -> Iterator[tuple[str, ImageHost]]:
    host = ImageHost(FORM)
    with serve_in_thread(host) as url:
        yield url, host


@pytest.fixture
def gateway(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector, image_host: tuple[str, ImageHost]
) -> Iterator[RunningGateway]:
    need_tesseract()
    host_url, _ = image_host

    def add_tenant(policies: Path) -> None:
        tenant = {
            "tenant": "imaging",
            "api_keys": [{"name": "app", "sha256": sha(KEY)}],
            "models": ["gpt-4o"],
            "pii": {"entities": {"PERSON": "pseudonymize", "US_SSN": "block"}},
            "routing": {
                "default": "cloud",
                "images": "redact",
                "images_fetch": "allow",
                # The image host is on loopback: allowed only because the policy says so. Its
                # name `localhost` is allowed too, but not to resolve to loopback.
                "images_fetch_hosts": [host_url, host_url.replace("127.0.0.1", "localhost")],
                "images_fetch_private_hosts": [host_url],
            },
        }
        (policies / "tenants" / "imaging.yaml").write_text(yaml.safe_dump(tenant))

    yield from start_gateway(
        tmp_path, cloud, sqlite_url, presidio, prepare=add_tenant, image_max_bytes=2 * 1024 * 1024
    )


def ask(gateway: RunningGateway, url: str, text: str = f"Is {EMAIL} the address on this form?") -> Any:
    content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
    return gateway.client(KEY).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": content}]
    )


def forwarded_parts(cloud: Cloud) -> list[dict[str, Any]]:
    return list(cloud.app.received[-1]["messages"][0]["content"])


def test_pii_in_an_image_is_painted_over_before_the_cloud(gateway: RunningGateway, cloud: Cloud) -> None:
    original = ocr(image_from_url(data_url(FORM)))
    assert NAME in original and EMAIL in original  # the test image is readable to begin with
    raw = ask(gateway, data_url(FORM))
    assert raw.headers["x-gateway-route"] == "cloud"
    text, image = forwarded_parts(cloud)
    assert text["text"] == "Is <EMAIL_ADDRESS> the address on this form?"  # the text part too
    forwarded = image_from_url(image["image_url"]["url"])
    assert forwarded.size == (900, 300)
    seen = ocr(forwarded)
    for value in (NAME, "Smith", EMAIL, "john.smith", CARD, "4111"):
        assert value not in seen, value
    assert "Customer" in seen  # what is not PII is still there for the model to read
    (record,) = records(gateway)
    found = {(f["check"], f["kind"], f["action"]) for f in record.findings}
    assert {("image_pii", "PERSON", "redact"), ("image_pii", "EMAIL_ADDRESS", "redact")} <= found
    assert ("image_pii", "CREDIT_CARD", "redact") in found
    assert ("pii", "EMAIL_ADDRESS", "redact") in found
    images = [c for c in record.checks if c["check"] == "images"]
    assert images[0]["status"] == "rewritten" and "tesseract" in images[0]["detail"]


def test_a_blocked_type_in_an_image_blocks_the_request(gateway: RunningGateway, cloud: Cloud) -> None:
    before = len(cloud.app.received)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        ask(gateway, data_url(png(drawn([SSN_TEXT]))), text="What is this?")
    assert caught.value.body["param"] == "pii:US_SSN"  # type: ignore[index]
    assert "078" not in str(caught.value.body)
    assert len(cloud.app.received) == before


def test_an_allowed_host_is_fetched_within_limits(
    gateway: RunningGateway, cloud: Cloud, image_host: tuple[str, ImageHost]
) -> None:
    host_url, host = image_host
    ask(gateway, host_url + "/form.png")
    assert "john.smith" not in ocr(image_from_url(forwarded_parts(cloud)[1]["image_url"]["url"]))
    ask(gateway, host_url + "/around")  # a redirect within the allowed origin is followed
    host.elsewhere = "http://127.0.0.2:9/internal"
    with pytest.raises(openai.BadRequestError) as away:
        ask(gateway, host_url + "/away")
    assert "not allowed" in away.value.body["message"]  # type: ignore[index]
    with pytest.raises(openai.APIStatusError) as huge:
        ask(gateway, host_url + "/huge")
    assert huge.value.status_code == 413


def test_an_allowed_name_that_resolves_to_loopback_is_a_400_that_says_why(
    gateway: RunningGateway, cloud: Cloud, image_host: tuple[str, ImageHost]
) -> None:
    host_url, host = image_host
    before, hits = len(cloud.app.received), len(host.hits)
    named = host_url.replace("127.0.0.1", "localhost")
    with pytest.raises(openai.BadRequestError) as caught:
        ask(gateway, f"{named}/{EMAIL}.png")
    body: Any = caught.value.body
    assert body["code"] == "image_url_not_allowed" and "loopback address" in body["message"]
    assert EMAIL not in str(body) and "localhost" not in body["message"]
    host.elsewhere = f"{named}/form.png"  # an allowed origin, but its name resolves to loopback
    with pytest.raises(openai.BadRequestError) as redirected:
        ask(gateway, host_url + "/away")
    assert "loopback address" in redirected.value.body["message"]  # type: ignore[index]
    assert host.hits[hits:] == ["/away"]  # the redirect; never the named host
    assert len(cloud.app.received) == before
    (first, second) = records(gateway)
    assert (first.status_code, second.status_code) == (400, 400)


def test_a_remote_url_of_another_host_is_a_400_that_says_why(gateway: RunningGateway, cloud: Cloud) -> None:
    before = len(cloud.app.received)
    with pytest.raises(openai.BadRequestError) as caught:
        ask(gateway, "https://images.example.com/receipt.png")
    body: Any = caught.value.body
    assert body["code"] == "image_url_not_allowed" and "server-side request forgery" in body["message"]
    assert len(cloud.app.received) == before


def test_malformed_and_oversized_images(gateway: RunningGateway, cloud: Cloud) -> None:
    before = len(cloud.app.received)
    for url in (data_url(FORM)[:-7], data_url(b"this is not an image"), "data:image/png;base64,@@@@"):
        with pytest.raises(openai.BadRequestError):
            ask(gateway, url)
    bomb = png(Image.new("1", (8000, 8000), 1))  # 64 Mpx: over the 10 Mpx default, in a few kB
    with pytest.raises(openai.APIStatusError) as caught:
        ask(gateway, data_url(bomb))
    assert caught.value.status_code == 413
    assert len(cloud.app.received) == before
    assert [r.status_code for r in records(gateway)] == [400, 400, 400, 413]


def test_ocr_past_its_time_limit_fails_closed(
    tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector
) -> None:
    need_tesseract()

    def redact_images(policies: Path) -> None:
        demo = policies / "tenants" / "demo.yaml"
        tenant = yaml.safe_load(demo.read_text())
        tenant["routing"]["images"] = "redact"
        demo.write_text(yaml.safe_dump(tenant))

    for gateway in start_gateway(
        tmp_path, cloud, sqlite_url, presidio, prepare=redact_images, ocr_timeout_seconds=0.001
    ):
        before = len(cloud.app.received)
        content = [{"type": "image_url", "image_url": {"url": data_url(FORM)}}]
        with pytest.raises(openai.InternalServerError) as caught:
            gateway.client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": content}]
            )
        assert caught.value.status_code == 503
        assert caught.value.body["code"] == "image_redaction_unavailable"  # type: ignore[index]
        assert len(cloud.app.received) == before
        (record,) = records(gateway)
        assert record.error_code == "image_redaction_unavailable"
