"""`gateway audit ...`: the reviewers' and operators' commands for the audit log.

verify      walk the chain (progress bar), exit 1 naming the first bad record
query       filtered records as a table
export      stream any range as JSONL or CSV (progress bar, constant memory)
report      a period's summary: requests by tenant/location/status, findings by location
purge       tombstone records past their tenant's retention
forget      crypto-shred a tenant's stored content (destroy its data keys)
checkpoint  sign the chain's head now; print it as JSON for anchoring elsewhere
keygen      fresh signing, verify and master keys
reviewer-key  a new reviewer key and its `reviewers:` entry for gateway.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.settings import Settings

Command = Callable[..., argparse.ArgumentParser]

QUERY_COLUMNS = (
    "request_id",
    "started_at",
    "tenant",
    "endpoint",
    "model_served",
    "location",
    "status_code",
    "outcome",
    "findings",
)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(None, policies_dir=args.policies_dir, database_url=args.database_url)


def _engine(args: argparse.Namespace) -> Any:
    from gateway.db.engine import make_engine

    return make_engine(_settings(args).database_url)


def _keys(args: argparse.Namespace) -> Any:
    from gateway.audit.keys import AuditKeys

    return AuditKeys.from_environ(_settings(args).environ)


def _progress(args: argparse.Namespace, total: int | None, what: str) -> Any:
    from tqdm import tqdm

    # disable=None: shown on a terminal, silent when stderr is a file or a pipe
    return tqdm(
        total=total,
        unit=" rec",
        unit_scale=True,
        desc=what,
        file=sys.stderr,
        disable=True if args.no_progress else None,
        mininterval=0.5,
    )


def _filter(args: argparse.Namespace) -> Any:
    from gateway.audit.filters import AuditFilter, parse_time

    return AuditFilter(
        tenant=args.tenant,
        since=parse_time(args.since),
        until=parse_time(args.until),
        status_code=args.status,
        outcome=args.outcome,
        location=args.location,
        endpoint=args.endpoint,
        model=args.model,
        entity=args.entity,
        check=args.check,
        request_id=args.request_id,
        include_purged=getattr(args, "include_purged", False),
        entries=getattr(args, "entries", "latest"),
    )


def cmd_verify(args: argparse.Namespace) -> int:
    from gateway.audit.checkpoint import checkpoint_from_json
    from gateway.audit.filters import parse_time
    from gateway.audit.verify import chain_size, verify_chain

    engine, keys = _engine(args), _keys(args)
    anchors = []
    for path in args.anchor or ():
        with open(path, encoding="utf-8") as source:
            anchors += [checkpoint_from_json(json.loads(line)) for line in source if line.strip()]
    with _progress(args, chain_size(engine), "verify") as bar:
        result = verify_chain(
            engine, keys, since=parse_time(args.since), progress=bar.update, anchors=anchors
        )
        bar.update(max(0, result.records - bar.n))  # the walk reports in steps of 10,000
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not result.ok:
        print(f"FAILED at record {result.first_bad_request_id}: {result.problem}")
        return 1
    print(
        f"ok: {result.records} record(s) verified from {result.started_from}, "
        f"{result.checkpoints_matched} signed checkpoint(s) matched, "
        f"{result.purged} purged record(s) checked by their links only"
    )
    print(
        f"uncovered tail: {result.uncovered} record(s) after the newest signed checkpoint "
        f"(a checkpoint is signed every {keys.checkpoint_every} records or "
        f"{keys.checkpoint_seconds:g} s while records arrive)"
    )
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            if value.tzinfo
            else f"{value:%Y-%m-%d %H:%M:%S}"
        )
    if isinstance(value, list):
        return ",".join(
            f"{f.get('kind')}:{f.get('action')}" if isinstance(f, dict) else str(f) for f in value
        )
    return str(value)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: Any = None) -> None:
    out = out or sys.stdout
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)


def cmd_query(args: argparse.Namespace) -> int:
    from gateway.audit.reader import iter_records

    records = iter_records(_engine(args), _filter(args), limit=args.limit, newest_first=not args.oldest_first)
    if args.format == "jsonl":
        from gateway.audit.export import write_jsonl

        write_jsonl(records, sys.stdout)
        return 0
    rows = [[record[c] for c in QUERY_COLUMNS] for record in records]
    print_table(QUERY_COLUMNS, rows)
    print(f"({len(rows)} record(s){', limit reached' if len(rows) == args.limit else ''})", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from gateway.audit.export import write_csv, write_jsonl
    from gateway.audit.keyring import Keyring
    from gateway.audit.reader import count_records, iter_records

    engine, where = _engine(args), _filter(args)
    keyring = None
    if args.content == "decrypted":
        keys = _keys(args)
        keyring = Keyring(keys.master_key, keys.master_key_id)
    records = iter_records(engine, where, keyring=keyring, mode=args.content)
    write = write_csv if args.format == "csv" else write_jsonl
    with _progress(args, count_records(engine, where), "export") as bar:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                count = write(records, out, bar.update)
        else:
            count = write(records, sys.stdout, bar.update)
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from gateway.audit.filters import describe
    from gateway.audit.report import build_report

    where = _filter(args)
    report = build_report(_engine(args), where)
    print(f"audit report  filter: {describe(where)}")
    print(f"requests: {report.total}\n")
    print_table(("tenant", "requests"), sorted(report.by_tenant.items()))
    print()
    print_table(("location", "requests"), sorted(report.by_location.items()))
    print()
    print_table(("status", "outcome", "requests"), [(*k, n) for k, n in sorted(report.by_status.items())])
    print()
    print_table(
        ("check", "entity", "location", "action", "records", "occurrences"),
        [(*k, n, report.finding_occurrences[k]) for k, n in sorted(report.finding_records.items())],
    )
    print()
    only = args.check.split(":")[0] if args.check else None  # `--check NAME[:STATUS]` filters too
    print_table(
        ("check", "stage", "tenant", "outcome", "requests"),
        [(*k, n) for k, n in sorted(report.check_outcomes.items()) if only in (None, k[0])],
    )
    shadows = [k for k in sorted(report.shadow_runs) if only in (None, k[0])]
    if shadows:
        print("\nshadow runs (action: shadow): would have blocked")
        print_table(
            ("check", "stage", "tenant", "runs", "would block", "rate"),
            [
                (*k, report.shadow_runs[k], report.shadow_would_block[k], f"{report.would_block_rate(k):.1%}")
                for k in shadows
            ],
        )
    exposed = report.exposed(args.location)
    scope = f" to {args.location}" if args.location else ""
    what = args.entity or "detected entities"
    print(f"\n{what} sent unchanged{scope}: {exposed} record(s)")
    for (kind, location), count in sorted(report.sent_unchanged.items()):
        print(f"  {kind} -> {location}: {count}")
    return 1 if args.fail_if_exposed and exposed else 0


def cmd_purge(args: argparse.Namespace) -> int:
    from gateway.audit.filters import parse_time
    from gateway.audit.retention import plan_purge, purge
    from gateway.policy.loader import load_policies
    from gateway.policy.schema import AuditPolicy

    settings = _settings(args)
    policies = load_policies(settings.policies_dir, settings.environ)
    now = parse_time(args.now) or datetime.now(UTC)
    plan = plan_purge(
        {name: policy.audit.retention_days for name, policy in policies.tenants.items()},
        AuditPolicy().retention_days,
        now,
    )
    for tenant in plan.floored:
        print(
            f"warning: {tenant}: retention below the legal minimum, keeping records longer", file=sys.stderr
        )
    counts = purge(_engine(args), plan, now, dry_run=args.dry_run)
    verb = "would purge" if args.dry_run else "purged"
    print_table(("tenant", verb), sorted(counts.items()))
    print(f"{verb} {sum(counts.values())} record(s); the chain keeps their tombstones")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from gateway.audit.erasure import forget_tenant

    if not args.yes:
        print(
            f"This destroys every audit data key of tenant {args.tenant!r}: its stored content becomes "
            "unreadable for good. Repeat with --yes to proceed.",
            file=sys.stderr,
        )
        return 2
    done = forget_tenant(_engine(args), args.tenant, datetime.now(UTC))
    print(
        f"forgot tenant {done.tenant}: {done.keys_destroyed} data key(s) destroyed, "
        f"content of {done.records_unreadable} record(s) is now unreadable; the chain still verifies"
    )
    return 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from gateway.audit.appender import checkpoint_now
    from gateway.audit.verify import load_checkpoints

    engine, keys = _engine(args), _keys(args)
    with engine.begin() as connection:
        signed = checkpoint_now(connection, keys)
    with engine.connect() as connection:
        checkpoints = load_checkpoints(connection)
    latest = signed or (checkpoints[-1] if checkpoints else None)
    if latest is None:
        print("nothing to sign: the chain is empty", file=sys.stderr)
        return 0
    # One JSON line: append it to a file kept outside this database, pass it to verify --anchor.
    print(json.dumps(latest.as_json(), sort_keys=True))
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from gateway.audit.keys import generate_keys

    print("# audit keys: keep SIGNING and MASTER secret; VERIFY_KEYS is public (give it to reviewers)")
    for name, value in generate_keys().items():
        print(f"{name}={value}")
    return 0


def cmd_reviewer_key(args: argparse.Namespace) -> int:
    from gateway.tenancy.keys import key_digest, new_key

    key = "gwr-" + new_key().removeprefix("gw-")
    tenants = ", ".join(json.dumps(t) for t in args.tenants.split(","))
    print(key)
    print("# add to policies/gateway.yaml under reviewers:")
    print(f'  - {{name: {args.name}, sha256: "{key_digest(key)}", tenants: [{tenants}]}}')
    return 0


def _filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--tenant")
    group.add_argument("--since", help="ISO-8601 start, inclusive (UTC when no offset)")
    group.add_argument("--until", help="ISO-8601 end, exclusive")
    group.add_argument("--status", type=int, help="HTTP status, e.g. 403")
    group.add_argument("--outcome", help="ok | blocked | rejected | error | client_disconnected")
    group.add_argument(
        "--location",
        choices=["cloud", "local"],
        help="a place the request's data was sent (failed attempts too)",
    )
    group.add_argument("--endpoint", choices=["chat", "completions", "models"])
    group.add_argument("--model", help="model requested or served")
    group.add_argument("--entity", help="a finding's type, e.g. US_SSN")
    group.add_argument("--check", help="a check that ran, optionally with its status: pii:failed")
    group.add_argument("--request-id")
    group.add_argument(
        "--entries",
        choices=["latest", "all"],
        default="latest",
        help="latest: one row a request (its outcome, or its egress entry if none followed); "
        "all: every chain entry (egress entries too)",
    )


def register(sub: argparse._SubParsersAction, command: Command) -> None:  # type: ignore[type-arg]
    """Add `gateway audit ...` to the main parser; `command` is cli.py's subcommand factory."""
    audit = sub.add_parser("audit", help="verify, query, export and maintain the audit log").add_subparsers(
        dest="action", required=True
    )

    def with_progress(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        return parser

    verify = with_progress(command("verify", cmd_verify, audit, help="verify the hash chain"))
    verify.add_argument("--since", help="start at the last checkpoint signed before this time")
    verify.add_argument("--anchor", action="append", help="JSONL of checkpoints kept outside the database")

    query = command("query", cmd_query, audit, help="list records")
    _filters(query)
    query.add_argument("--limit", type=int, default=100)
    query.add_argument("--oldest-first", action="store_true")
    query.add_argument("--format", choices=["table", "jsonl"], default="table")

    export = with_progress(command("export", cmd_export, audit, help="stream records as JSONL or CSV"))
    _filters(export)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", help="file to write (default: stdout)")
    export.add_argument("--content", choices=["stored", "decrypted", "none"], default="stored")
    export.add_argument("--include-purged", action="store_true", help="include tombstones")

    report = command("report", cmd_report, audit, help="summarise a period")
    _filters(report)
    report.add_argument(
        "--fail-if-exposed", action="store_true", help="exit 1 if a matching entity was sent unchanged"
    )

    purge = command("purge", cmd_purge, audit, help="tombstone records past their retention")
    purge.add_argument("--dry-run", action="store_true")
    purge.add_argument("--now", help=argparse.SUPPRESS)  # tests and drills: pretend it is later

    forget = command("forget", cmd_forget, audit, help="crypto-shred a tenant's stored content")
    forget.add_argument("--tenant", required=True)
    forget.add_argument("--yes", action="store_true")

    command("checkpoint", cmd_checkpoint, audit, help="sign the head now; print it as JSON")
    command("keygen", cmd_keygen, audit, help="print fresh audit keys")
    reviewer = command("reviewer-key", cmd_reviewer_key, audit, help="a new reviewer key")
    reviewer.add_argument("--name", required=True)
    reviewer.add_argument("--tenants", default="*", help='comma-separated, or "*" for all')
