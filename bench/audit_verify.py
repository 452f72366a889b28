"""How long `gateway audit verify` takes over a large chain (target: 1,000,000 records < 60 s).

    .venv/bin/python bench/audit_verify.py                      # PostgreSQL, 1,000,000 records
    .venv/bin/python bench/audit_verify.py --database sqlite --records 200000

Fills a fresh database through the real appender (sealing, hashing, a signed checkpoint every
1000 records) in large batches, then times the same verification the CLI runs (full walk from
genesis: content hash, link and checkpoint of every record). Then, as the CLI runs them in a
subprocess: `gateway audit export` of the whole range to /dev/null (time and peak RSS: memory
must stay flat whatever the range) and `gateway audit report` over the whole range.
Prints Markdown table rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.audit_common import bench_database, bench_environ, bench_record
from gateway.audit.appender import append
from gateway.audit.keyring import Keyring
from gateway.audit.keys import AuditKeys
from gateway.audit.verify import verify_chain
from gateway.db.engine import make_engine


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    keys = AuditKeys.from_environ(bench_environ())
    keyring = Keyring(keys.master_key, keys.master_key_id)
    with bench_database(args.database, keep=args.keep) as url:
        engine = make_engine(url)
        started = time.perf_counter()
        for start in range(0, args.records, args.batch):
            rows = [bench_record(i).as_row() for i in range(start, min(start + args.batch, args.records))]
            with engine.begin() as connection:
                append(connection, rows, keys, keyring)
            done = min(start + args.batch, args.records)
            if done % 100_000 == 0:
                print(f"  filled {done} records", file=sys.stderr)
        fill_s = time.perf_counter() - started

        started = time.perf_counter()
        result = verify_chain(engine, keys)
        verify_s = time.perf_counter() - started
        engine.dispose()
        export_s, export_rss = _cli(
            url, "export", "--format", "jsonl", "--output", os.devnull, "--no-progress"
        )
        report_s, _ = _cli(url, "report")

    assert result.ok, (result.first_bad_request_id, result.problem)
    assert result.records == args.records
    print(
        f"| {args.database} | {args.records:,} | {fill_s:.1f} s ({args.records / fill_s:,.0f} rec/s) "
        f"| {verify_s:.1f} s ({args.records / verify_s:,.0f} rec/s) | {result.checkpoints_matched} |"
    )
    print(
        f"| {args.database} | {args.records:,} | export JSONL {export_s:.1f} s "
        f"({args.records / export_s:,.0f} rec/s), peak RSS {export_rss / 1024:.0f} MiB "
        f"| report {report_s:.1f} s |"
    )
    return 0


def _cli(url: str, *args: str) -> tuple[float, int]:
    """Run `gateway audit ...` as a reviewer would; wall time and the child's peak RSS (KiB)."""
    env = {**os.environ, **bench_environ(), "GATEWAY_DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "gateway", "audit", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - started
    return elapsed, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


if __name__ == "__main__":
    raise SystemExit(main())
