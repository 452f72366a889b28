"""`gateway audit report` per check: "how many requests did prompt_injection block last week,
per tenant", and the would-block rate of a check rolled out with `action: shadow`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from tests.integration.audit_support import cli, record, write

WEEK = ("--since", "2026-11-23", "--until", "2026-11-30")


def outcome(check: str, status: str, action: str = "block", would_block: bool = False) -> dict[str, object]:
    return {
        "check": check,
        "stage": "input",
        "status": status,
        "action": action,
        "version": "v1",
        "score_bucket": "0.9-1.0",
        "types": {},
        "would_block": would_block,
        "detail": "",
    }


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 10, 0, tzinfo=UTC)


def test_blocks_per_check_per_tenant_and_the_shadow_would_block_rate(engine: Engine) -> None:
    blocked = {"status_code": 403, "outcome": "blocked", "location": None, "model_served": None}
    write(
        engine,
        [
            record(
                1,
                started_at=at(24),
                tenant="acme",
                checks=[outcome("prompt_injection", "blocked")],
                **blocked,
            ),
            record(
                2,
                started_at=at(25),
                tenant="acme",
                checks=[outcome("prompt_injection", "blocked")],
                **blocked,
            ),
            record(
                3,
                started_at=at(26),
                tenant="demo",
                checks=[outcome("prompt_injection", "blocked")],
                **blocked,
            ),
            record(4, started_at=at(26), tenant="demo", checks=[outcome("prompt_injection", "passed")]),
            record(
                5, started_at=at(2), tenant="demo", checks=[outcome("prompt_injection", "blocked")], **blocked
            ),
            *[
                record(
                    10 + i,
                    started_at=at(27),
                    tenant="demo",
                    checks=[
                        outcome("toxicity", "flagged" if i == 0 else "passed", "shadow", would_block=i == 0),
                        outcome("banned_topics", "skipped", ""),
                    ],
                )
                for i in range(4)
            ],
        ],
    )
    result = cli("audit", "report", *WEEK, "--check", "prompt_injection:blocked")
    assert result.code == 0, result.err
    rows = [line.split() for line in result.out.splitlines()]
    assert ["prompt_injection", "input", "acme", "blocked", "2"] in rows
    assert ["prompt_injection", "input", "demo", "blocked", "1"] in rows  # the one of Nov 2 is not last week
    assert not any(row[:1] == ["toxicity"] for row in rows)

    shadow = cli("audit", "report", *WEEK, "--check", "toxicity")
    rows = [line.split() for line in shadow.out.splitlines()]
    assert ["toxicity", "input", "demo", "4", "1", "25.0%"] in rows
    assert not any(row[:1] == ["banned_topics"] for row in rows)  # skipped is not counted
