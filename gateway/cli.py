"""The `gateway` command: serve, db, policy, keys, audit, bias. Every subcommand sees the same
settings (flags over `GATEWAY_*` env vars), so `serve` and `audit verify` share one database."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from gateway.audit_cli import register as register_audit
from gateway.bias_cli import register as register_bias
from gateway.errors import GatewayError, PolicyError
from gateway.settings import Settings


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", dest="policies_dir", help="policy folder [GATEWAY_POLICIES_DIR]")
    parser.add_argument("--database-url", help="SQLAlchemy URL [GATEWAY_DATABASE_URL]")


def _settings(args: argparse.Namespace, environ: dict[str, str] | None = None, **extra: object) -> Settings:
    return Settings.from_env(environ, policies_dir=args.policies_dir, database_url=args.database_url, **extra)


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway.db.engine import upgrade
    from gateway.server import run

    workers = args.workers or int(os.environ.get("GATEWAY_WORKERS", "1"))
    # The server analyses PII in worker processes, one per core shared by the server processes,
    # unless told otherwise: NER is CPU-bound, and on one thread it caps what one core analyses.
    pii_workers = max(1, (os.cpu_count() or 1) // max(1, workers))
    environ = {"GATEWAY_PII_WORKERS": str(pii_workers), **os.environ}
    settings = _settings(args, environ, host=args.host, port=args.port, workers=args.workers)
    if not args.no_upgrade:
        upgrade(settings.database_url)  # once, before any worker starts
    run(settings)
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


def cmd_policy_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a policy file, or write both schema files to a folder."""
    from pathlib import Path

    from gateway.policy.json_schema import SCHEMA_FILES, rendered

    if args.write:
        folder = Path(args.write)
        folder.mkdir(parents=True, exist_ok=True)
        for name in SCHEMA_FILES:
            (folder / name).write_text(rendered(name), encoding="utf-8")
            print(folder / name)
        return 0
    sys.stdout.write(rendered(f"{args.kind}.schema.json"))
    return 0


def cmd_policy_test(args: argparse.Namespace) -> int:
    """Run a prompt through a tenant's input checks and routing, as the gateway would, without
    calling a model: what is found, what is forwarded, where it would run, and why."""
    from gateway.exchange import CompletionRequest, prompt_text
    from gateway.policy.store import PolicyStore
    from gateway.routing import decide
    from gateway.services import input_checks

    settings = _settings(args)
    store = PolicyStore(settings.policies_dir, settings.environ)
    if args.tenant not in store.current.tenants:
        print(f"unknown tenant {args.tenant!r}", file=sys.stderr)
        return 2
    policy = store.current.tenants[args.tenant]
    body = {"model": args.model, "messages": [{"role": "user", "content": args.prompt}]}
    checks, detection = input_checks(settings, store)
    try:
        scan = asyncio.run(checks.scan_input(policy, CompletionRequest("chat", args.model, False, body)))
        route = decide(store.current.gateway, policy, args.model, scan)
    except GatewayError as error:  # a block is a result here, not a failure of the command
        print(
            json.dumps(
                {
                    "tenant": args.tenant,
                    "blocked": {
                        "status": error.status_code,
                        "code": error.code,
                        "param": error.param,
                        "message": error.message,
                    },
                },
                indent=2,
            )
        )
        return 0
    finally:
        detection.close()
    result = {
        "tenant": args.tenant,
        "policy_version": store.current.version,
        "route": {"location": route.location, "model": route.model, "reasons": list(route.reasons)},
        "findings": [_fields(finding) for finding in scan.findings],
        "checks": [_fields(outcome) for outcome in scan.outcomes],
        "forwarded": prompt_text(scan.request),
    }
    print(json.dumps(result, indent=2))
    return 0


def _fields(value: object) -> dict[str, object]:
    return {name: getattr(value, name) for name in getattr(value, "__slots__", ())}


def cmd_keys_create(args: argparse.Namespace) -> int:
    from gateway.tenancy.keys import key_digest, new_key

    key = new_key()
    print(key)
    print(f"# add to policies/tenants/{args.tenant}.yaml under api_keys:")
    print(f'  - {{name: {args.name}, sha256: "{key_digest(key)}"}}')
    return 0


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
    serve.add_argument("--workers", type=int, help="server processes on this machine [GATEWAY_WORKERS]")
    serve.add_argument("--no-upgrade", action="store_true", help="do not run migrations on start")

    db = command("db", cmd_db, help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("--revision")

    policy = sub.add_parser("policy", help="validate and test policies").add_subparsers(
        dest="action", required=True
    )
    validate = command("validate", cmd_policy_validate, policy)
    validate.add_argument("directory", nargs="?")
    schema = command("schema", cmd_policy_schema, policy, help="the policy files' JSON Schema")
    schema.add_argument("kind", nargs="?", choices=["tenant", "gateway"], default="tenant")
    schema.add_argument("--write", metavar="DIR", help="write tenant.schema.json and gateway.schema.json")
    test = command("test", cmd_policy_test, policy)
    test.add_argument("--tenant", required=True)
    test.add_argument("--model", required=True)
    test.add_argument("--prompt", required=True)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    create = command("create", cmd_keys_create, keys)
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", default="app")

    register_audit(sub, command)
    register_bias(sub, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("gateway").setLevel(logging.INFO)
    for chatty in ("httpx", "httpx2"):  # one line per upstream call: 8 % of the CPU, no value
        logging.getLogger(chatty).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except PolicyError as error:
        print(f"policy error: {error}", file=sys.stderr)
        return 2
    except GatewayError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
