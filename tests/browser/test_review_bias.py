"""The review page's bias audits view in headless Chromium: a stored run shows as a chart and a table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from playwright import sync_api

from gateway.checks.bias import store
from gateway.db.engine import make_engine
from tests.browser.test_review_page import REVIEWER_KEY, _chromium, page, site  # noqa: F401  (fixtures)

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _cell(axis: str, kind: str, items: int, flips: int) -> dict[str, object]:
    mean = {"decision": None, "score": 1.5, "free": 0.8}[kind]
    return {
        "axis": axis,
        "kind": kind,
        "items": items,
        "flips": flips,
        "rate": flips / items,
        "rate_ci": [0.0, 0.6],
        "mean": mean,
        "mean_ci": None if mean is None else [mean - 0.1, mean + 0.1],
        "changed_items": [],
    }


def test_a_bias_audit_run_is_shown_with_its_chart(
    site: tuple[str, dict[str, str]],  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, _ = site
    now = datetime.now(UTC).isoformat()
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")  # the site's own database
    cells = [
        _cell("gender", "decision", 12, 3),
        _cell("gender", "score", 12, 6),
        _cell("race", "free", 12, 12),
    ]
    run = {"model": "local", "suite": "all", "suite_version": "counterfactual-1", "calls": 60}
    store.save(engine, {**run, "started_at": now, "finished_at": now, "cells": cells})
    engine.dispose()

    expect = sync_api.expect
    page.goto(base + "/review/login")
    page.fill("input[name=key]", REVIEWER_KEY)
    page.click("#login button[type=submit]")
    page.click("text=Bias audits")
    section = page.locator("section.bias-run")
    expect(section).to_have_count(1)
    expect(section.locator("h2")).to_contain_text("local")
    expect(section.locator("svg rect.bar")).to_have_count(3)
    expect(section.locator("tbody tr")).to_have_count(3)
    expect(section.locator("tbody tr").nth(0)).to_contain_text("25.0 %")
