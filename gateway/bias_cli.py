"""`gateway bias audit --model M --suite SUITE`: the counterfactual bias audit of a catalogue model.

Prints a table, writes an HTML report with a chart (`--html`, default var/bias-audit-<model>.html),
and stores the result in the database, where the review page shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.settings import Settings

Command = Callable[..., argparse.ArgumentParser]


def cmd_bias_audit(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gateway.checks.bias import audit, report, store, suite
    from gateway.db.engine import make_engine, upgrade
    from gateway.policy.loader import load_policies
    from gateway.providers.registry import ProviderRegistry

    settings = Settings.from_env(None, policies_dir=args.policies_dir, database_url=args.database_url)
    gateway = load_policies(settings.policies_dir, settings.environ).gateway
    if args.model not in gateway.models:
        print(f"unknown model {args.model!r}: one of {', '.join(sorted(gateway.models))}", file=sys.stderr)
        return 2
    entry = gateway.models[args.model]
    items = suite.build(args.suite, people_per_template=args.people)
    if args.limit:  # the first N items of each axis and kind
        items = [
            i
            for key in dict.fromkeys((x.axis, x.kind) for x in items)
            for i in [x for x in items if (x.axis, x.kind) == key][: args.limit]
        ]
    registry = ProviderRegistry(settings)
    provider = registry.get(gateway, entry.provider)
    total = sum(len(i.variants) for i in items)

    async def go() -> Any:
        try:
            with tqdm(total=total, desc=f"bias audit {args.model}", unit="call", disable=None) as bar:
                return await audit.run(
                    provider, args.model, entry.upstream_model or args.model, args.suite, items, bar.update
                )
        finally:
            await registry.aclose()

    result = asyncio.run(go()).as_json()
    print(report.table(result))
    out = Path(args.html or f"var/bias-audit-{args.model}.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html_page(result), encoding="utf-8")
    print(f"report: {out}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not args.no_store:
        upgrade(settings.database_url)
        run_id = store.save(make_engine(settings.database_url), result)
        print(f"stored as bias audit run {run_id}")
    return 0


def register(sub: Any, command: Command) -> None:
    from gateway.checks.bias.suite import SUITES

    bias = sub.add_parser("bias", help="bias audits of catalogue models").add_subparsers(
        dest="action", required=True
    )
    run = command("audit", cmd_bias_audit, bias, help="run a counterfactual suite through a model")
    run.add_argument("--model", required=True, help="a model name from gateway.yaml (e.g. local)")
    run.add_argument("--suite", choices=SUITES, default="all")
    run.add_argument("--people", type=int, default=3, help="people per template and axis")
    run.add_argument("--limit", type=int, help="only the first N items of each axis and kind")
    run.add_argument("--html", help="where to write the HTML report")
    run.add_argument("--json", help="also write the result as JSON here")
    run.add_argument("--no-store", action="store_true", help="do not store the result in the database")
