"""The reviewers' page in a real headless Chromium (Debian's, driven by Playwright's Python
client): sign in, filter the list, open a record. Skips when /usr/bin/chromium is absent
(fails under CI=true)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from playwright import sync_api

from gateway.app import create_app
from gateway.db.engine import make_engine, upgrade
from gateway.services import Services
from gateway.settings import Settings
from tests.integration.audit_support import key_environ, record, write
from tests.policy_files import sha, write_policies
from tests.servers import serve_in_thread
from tests.services import require

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
REVIEWER_KEY = "gwr-browser-test-reviewer"


@pytest.fixture(autouse=True)
def _chromium() -> None:
    present = CHROMIUM.exists() and shutil.which("chromium") is not None
    require(present, "Debian's chromium at /usr/bin/chromium")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    policies = write_policies(tmp_path / "policies", "http://127.0.0.1:1")
    document = yaml.safe_load((policies / "gateway.yaml").read_text())
    document["reviewers"] = [{"name": "auditor", "sha256": sha(REVIEWER_KEY), "tenants": ["*"]}]
    (policies / "gateway.yaml").write_text(yaml.safe_dump(document))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade(url)
    settings = Settings.from_env(key_environ(), policies_dir=policies, database_url=url)
    services = Services.build(settings)
    engine = make_engine(url)
    ssn = record(
        1,
        findings=[{"check": "pii", "kind": "US_SSN", "action": "redact", "count": 1}],
        checks=[{"check": "pii", "status": "rewritten", "detail": "1 entity redacted"}],
        request_content="user: my SSN is <US_SSN>",
        response_content="assistant: I will not repeat it.",
    )
    others = [record(i, tenant="onprem", location="local", model_served="local") for i in range(2, 6)]
    write(engine, [ssn, *others])
    engine.dispose()
    with serve_in_thread(create_app(settings, services)) as base:
        yield base, {"ssn": ssn.request_id, "policy_version": ssn.policy_version or ""}


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_sign_in_filter_and_open_a_record(site: tuple[str, dict[str, str]], page: Page) -> None:
    base, log = site
    expect = sync_api.expect
    p = page
    p.goto(base + "/review")
    assert p.url.endswith("/review/login")

    p.fill("input[name=key]", "gwr-wrong")
    p.click("#login button[type=submit]")
    expect(p.locator("#login-error")).to_contain_text("may not read the audit log")

    p.fill("input[name=key]", REVIEWER_KEY)
    p.click("#login button[type=submit]")
    expect(p.locator("#chain-status")).to_contain_text("Chain verified")
    expect(p.locator("#records tbody tr")).to_have_count(5)

    p.fill("#filters input[name=entity]", "US_SSN")
    p.select_option("#filters select[name=location]", "cloud")
    p.click("#filters button[type=submit]")
    expect(p.locator("#records tbody tr")).to_have_count(1)
    assert "entity=US_SSN" in p.url and "location=cloud" in p.url

    p.click(f"a.record-link:has-text('{log['ssn']}')")
    expect(p.locator("#record-title")).to_contain_text(log["ssn"])
    expect(p.locator("#record-check")).to_contain_text("Record intact")
    expect(p.locator("#findings")).to_contain_text("US_SSN")
    expect(p.locator("#findings")).to_contain_text("redact")
    expect(p.locator("#where")).to_contain_text("cloud: gpt-4o")
    expect(p.locator("#why")).to_contain_text("model:cloud")
    expect(p.locator("#checks")).to_contain_text("rewritten")
    expect(p.locator("#policy-version")).to_have_text(log["policy_version"])
    expect(p.locator("#request-content")).to_have_text("user: my SSN is <US_SSN>")

    p.click("text=Verify chain")
    expect(p.locator("#chain-status")).to_contain_text("5 record(s) from genesis")
    p.click("header button[type=submit]")
    assert p.url.endswith("/review/login")
