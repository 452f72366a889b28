"""The `gateway` command: serve, db, policy, keys, audit. Every subcommand sees the same
settings (flags over `GATEWAY_*` env vars), so `serve` and `audit verify` share one database."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from gateway.errors import GatewayError, PolicyError
from gateway.settings import Settings


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", dest="policies_dir", help="policy folder [GATEWAY_POLICIES_DIR]")
    parser.add_argument("--database-url", help="SQLAlchemy URL [GATEWAY_DATABASE_URL]")


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    return Settings.from_env(None, policies_dir=args.policies_dir, database_url=args.database_url, **extra)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.db.engine import upgrade

    settings = _settings(args, host=args.host, port=args.port)
    if not args.no_upgrade:
        upgrade(settings.database_url)
    app = create_app(settings)  # a broken policy raises PolicyError here: refuse to start
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # access logs would hold URLs and nothing we need; audit has the rest
        loop="uvloop",
        http="httptools",
    )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from gateway.db.engine import downgrade, upgrade

    settings = _settings(args)
    if args.action == "upgrade":
        upgrade(settings.database_url, args.revision or "head")
    else:
        downgrade(settings.database_url, args.revision or "base")
    return 0


def cmd_policy_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gateway.policy.loader import load_policies

    settings = _settings(args)
    directory = Path(args.directory) if args.directory else settings.policies_dir
    policies = load_policies(directory, settings.environ)
    print(
        f"ok: {len(policies.tenants)} tenant(s), {len(policies.gateway.models)} model(s), "
        f"version {policies.version}"
    )
    return 0


def cmd_policy_test(args: argparse.Namespace) -> int:
    from gateway.checks.registry import CheckRegistry
    from gateway.exchange import CompletionRequest
    from gateway.policy.loader import load_policies
    from gateway.routing import decide

    settings = _settings(args)
    policies = load_policies(settings.policies_dir, settings.environ)
    if args.tenant not in policies.tenants:
        print(f"unknown tenant {args.tenant!r}", file=sys.stderr)
        return 2
    policy = policies.tenants[args.tenant]
    body = {"model": args.model, "messages": [{"role": "user", "content": args.prompt}]}
    request = CompletionRequest("chat", args.model, False, body)
    scan = asyncio.run(CheckRegistry().scan_input(policy, request))
    route = decide(policies.gateway, policy, args.model, scan)
    print(
        json.dumps(
            {
                "tenant": args.tenant,
                "policy_version": policies.version,
                "route": {"location": route.location, "model": route.model, "reasons": list(route.reasons)},
                "findings": [f.__dict__ if hasattr(f, "__dict__") else repr(f) for f in scan.findings],
            },
            indent=2,
        )
    )
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from gateway.tenancy.keys import key_digest, new_key

    key = new_key()
    print(key)
    print(f"# add to policies/tenants/{args.tenant}.yaml under api_keys:")
    print(f'  - {{name: {args.name}, sha256: "{key_digest(key)}"}}')
    return 0


def _filter(args: argparse.Namespace) -> object:
    from gateway.audit.export import AuditFilter

    return AuditFilter(
        tenant=args.tenant,
        status_code=args.status,
        outcome=args.outcome,
        location=args.location,
        request_id=args.request_id,
        since=datetime.fromisoformat(args.since) if args.since else None,
        until=datetime.fromisoformat(args.until) if args.until else None,
    )


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from gateway.audit.verify import verify_chain
    from gateway.db.engine import make_engine

    result = verify_chain(make_engine(_settings(args).database_url))
    if result.ok:
        print(f"ok: {result.records} record(s), chain intact")
        return 0
    print(f"FAILED at record {result.first_bad_request_id}: {result.problem}")
    return 1


def cmd_audit_export(args: argparse.Namespace) -> int:
    from gateway.audit.export import iter_records, write_csv, write_jsonl
    from gateway.db.engine import make_engine

    records = iter_records(make_engine(_settings(args).database_url), _filter(args))  # type: ignore[arg-type]
    write = write_csv if args.format == "csv" else write_jsonl
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            count = write(records, out)
    else:
        count = write(records, sys.stdout)
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0


def cmd_audit_query(args: argparse.Namespace) -> int:
    from gateway.audit.export import iter_records
    from gateway.db.engine import make_engine

    engine = make_engine(_settings(args).database_url)
    columns = (
        "request_id",
        "started_at",
        "tenant",
        "endpoint",
        "model_served",
        "location",
        "status_code",
        "outcome",
        "error_code",
    )
    print("\t".join(columns))
    for record in iter_records(engine, _filter(args), limit=args.limit):  # type: ignore[arg-type]
        print("\t".join("" if record[c] is None else str(record[c]) for c in columns))
    return 0


def _audit_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant")
    parser.add_argument("--status", type=int)
    parser.add_argument("--outcome")
    parser.add_argument("--location", choices=["cloud", "local"])
    parser.add_argument("--request-id")
    parser.add_argument("--since", help="ISO-8601 start (inclusive)")
    parser.add_argument("--until", help="ISO-8601 end (exclusive)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str,
        handler: Callable[[argparse.Namespace], int],
        parent: argparse._SubParsersAction = sub,  # type: ignore[type-arg]
        help: str | None = None,
    ) -> argparse.ArgumentParser:
        child: argparse.ArgumentParser = parent.add_parser(name, help=help)
        _common(child)
        child.set_defaults(handler=handler)
        return child

    serve = command("serve", cmd_serve, help="run the gateway")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--no-upgrade", action="store_true", help="do not run migrations on start")

    db = command("db", cmd_db, help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("--revision")

    policy = sub.add_parser("policy", help="validate and test policies").add_subparsers(
        dest="action", required=True
    )
    validate = command("validate", cmd_policy_validate, policy)
    validate.add_argument("directory", nargs="?")
    test = command("test", cmd_policy_test, policy)
    test.add_argument("--tenant", required=True)
    test.add_argument("--model", required=True)
    test.add_argument("--prompt", required=True)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    create = command("create", cmd_keys_create, keys)
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", default="app")

    audit = sub.add_parser("audit", help="verify, query and export the audit log").add_subparsers(
        dest="action", required=True
    )
    command("verify", cmd_audit_verify, audit)
    export = command("export", cmd_audit_export, audit)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output")
    _audit_filters(export)
    query = command("query", cmd_audit_query, audit)
    query.add_argument("--limit", type=int, default=100)
    _audit_filters(query)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("gateway").setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except PolicyError as error:
        print(f"policy error: {error}", file=sys.stderr)
        return 2
    except GatewayError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
