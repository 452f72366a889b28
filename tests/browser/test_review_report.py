"""The review page's report view in headless Chromium: sign in, open the report from the
navigation, read its charts (SVG bars and points for known data) and tables, change the period
and the tenant set, and download the exports, whose rows are exactly the tables' cells."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from playwright import sync_api

from gateway.checks.bias import store
from gateway.db.engine import make_engine
from tests.browser.test_review_bias import _cell
from tests.browser.test_review_page import REVIEWER_KEY, _chromium, page, site  # noqa: F401  (fixtures)
from tests.integration.audit_support import record, write

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

Cells = set[tuple[str, str, str, str]]


def _more_records(database: Path) -> None:
    """Beside the site's five (2026-01-05 09:01-09:05, demo at the cloud, onprem local): a block
    the next day, a shadow would-block the day after, and a bias audit run in between."""
    engine = make_engine(f"sqlite:///{database}")
    write(
        engine,
        [
            record(
                10,
                started_at=datetime(2026, 1, 6, 14, 0, tzinfo=UTC),
                status_code=403,
                outcome="blocked",
                location=None,
                model_served=None,
                findings=[{"check": "pii", "kind": "EMAIL_ADDRESS", "action": "block", "count": 1}],
                checks=[{"check": "prompt_injection", "status": "blocked", "action": "block"}],
            ),
            record(
                11,
                started_at=datetime(2026, 1, 7, 8, 0, tzinfo=UTC),
                findings=[{"check": "pii", "kind": "PERSON", "action": "redact", "count": 2}],
                checks=[
                    {
                        "check": "prompt_injection",
                        "stage": "input",
                        "status": "flagged",
                        "action": "shadow",
                        "would_block": True,
                    }
                ],
            ),
        ],
    )
    when = datetime(2026, 1, 6, 12, 0, tzinfo=UTC).isoformat()
    cells = [_cell("gender", "decision", 12, 3), _cell("race", "free", 12, 6)]
    run = {"model": "local", "suite": "all", "suite_version": "counterfactual-1", "calls": 48}
    store.save(engine, {**run, "started_at": when, "finished_at": when, "cells": cells})
    engine.dispose()


def _shown(p: Page) -> Cells:
    """Every number in the page's tables, as (table, row, column, value)."""
    found: Cells = set()
    for section in p.locator("section.report-part").all():
        name = str(section.get_attribute("id"))
        if section.locator("table.numbers").count() == 0:
            continue
        columns = section.locator("table.numbers thead th").all_inner_texts()[1:]
        for row in section.locator("table.numbers tbody tr").all():
            label = row.locator("th").inner_text()
            for column, value in zip(columns, row.locator("td").all_inner_texts(), strict=True):
                found.add((name, label, column, value))
    return found


def _period(p: Page, start: str, end: str) -> None:
    p.fill("#report-filters input[name=from]", start)
    p.fill("#report-filters input[name=to]", end)
    p.click("#report-filters button[type=submit]")


def _bars(p: Page, part: str) -> Locator:
    return p.locator(f"#{part} svg rect.bar")


def test_the_report_draws_counts_changes_period_and_exports_what_it_shows(
    site: tuple[str, dict[str, str]],  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, _ = site
    _more_records(tmp_path / "audit.db")  # the site's own database
    expect = sync_api.expect
    p = page
    p.goto(base + "/review/login")
    p.fill("input[name=key]", REVIEWER_KEY)
    p.click("#login button[type=submit]")
    p.click("#nav-report")
    expect(p.locator("h1")).to_have_text("Report")
    expect(p.locator("#requests_by_tenant .empty")).to_be_visible()  # the last 7 days: nothing

    _period(p, "2026-01-05", "2026-01-05")  # one day: by the hour
    assert "from=2026-01-05" in p.url and "to=2026-01-05" in p.url
    expect(p.locator("#report-period")).to_contain_text("by the hour")
    over_time = p.locator("#requests_over_time")
    expect(over_time.locator("tbody tr")).to_have_count(24)
    expect(over_time.locator("svg circle.point")).to_have_count(24 * 3)  # cloud, local, blocked
    expect(over_time.locator("svg polyline.line")).to_have_count(3)
    nine = over_time.locator("tbody tr", has_text="2026-01-05 09:00")
    expect(nine.locator("td")).to_have_text(["1", "4", "0"])
    expect(_bars(p, "requests_by_tenant")).to_have_count(2)  # demo, onprem
    expect(_bars(p, "pii_by_destination")).to_have_count(1)  # US_SSN at the cloud
    expect(p.locator("#bias_results .empty")).to_be_visible()  # the run was the next day

    _period(p, "2026-01-05", "2026-01-07")  # three days: by the day
    expect(p.locator("#report-period")).to_contain_text("by the day")
    expect(over_time.locator("tbody tr")).to_have_count(3)
    expect(over_time.locator("svg circle.point")).to_have_count(3 * 3)
    days = over_time.locator("tbody tr")
    expect(days.nth(0).locator("td")).to_have_text(["1", "4", "0"])
    expect(days.nth(1).locator("td")).to_have_text(["0", "0", "1"])
    expect(days.nth(2).locator("td")).to_have_text(["1", "0", "0"])
    expect(_bars(p, "pii_by_destination")).to_have_count(3 * 2)  # 3 types x (cloud, not sent)
    expect(_bars(p, "check_outcomes")).to_have_count(2 * 5)  # pii, prompt_injection x 5 outcomes
    injection = p.locator("#check_outcomes tbody tr", has_text="prompt_injection")
    expect(injection.locator("td")).to_have_text(["1", "1", "0", "1", "0"])
    expect(_bars(p, "bias_results")).to_have_count(2)  # the run's chart, drawn by the bias view's code
    expect(p.locator("#bias_results tbody tr").nth(0)).to_contain_text("25.0")
    expect(p.locator("#bias_results a[href='/review/bias']")).to_be_visible()
    shown = _shown(p)
    assert ("requests_by_tenant", "onprem", "requests", "4") in shown
    assert "my SSN is" not in p.content()

    with p.expect_download() as downloading:
        p.click("#export-csv")
    download = downloading.value
    assert download.suggested_filename == "gateway-report-2026-01-05-2026-01-07.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["table", "row", "column", "value"]
    assert {(t, r, c, v) for t, r, c, v in rows[1:]} == shown
    assert len(rows) - 1 == len(shown)

    href = p.locator("#export-jsonl").get_attribute("href")
    response = p.request.get(base + str(href))
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    lines = [json.loads(line) for line in response.text().splitlines()]
    assert {(d["table"], d["row"], d["column"], str(d["value"])) for d in lines} == shown
    assert "my SSN is" not in response.text()

    p.check("#tenants input[value=onprem]")  # a tenant set: onprem only
    p.click("#report-filters button[type=submit]")
    assert "tenant=onprem" in p.url
    expect(p.locator("#requests_by_tenant tbody tr")).to_have_count(1)
    expect(p.locator("#requests_by_tenant tbody tr")).to_contain_text("onprem")
    expect(p.locator("#pii_by_destination .empty")).to_be_visible()
    expect(p.locator("#tenants input[value=onprem]")).to_be_checked()
    csv_only = p.request.get(base + str(p.locator("#export-csv").get_attribute("href"))).text()
    assert "demo" not in csv_only and "US_SSN" not in csv_only

    _period(p, "2026-01-07", "2026-01-05")
    expect(p.locator("#report-error")).to_contain_text("starts (2026-01-07) after it ends (2026-01-05)")
