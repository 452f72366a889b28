"""Sustained audit records/s into PostgreSQL with the chain intact (floor: 2,000/s).

    .venv/bin/python bench/audit_write.py                        # 2 processes x 128 in flight, 20 s
    .venv/bin/python bench/audit_write.py --processes 4 --concurrency 64 --seconds 30
    .venv/bin/python bench/audit_write.py --two-phase   # as cloud requests write: egress, then outcome

Each process is what a gateway worker is to the audit log: one AuditWriter (its batching
thread) and many requests awaiting their own record's commit (`--concurrency` asyncio tasks,
each writing a record, awaiting its commit, and writing the next). All processes append to one
chain in one database, contending for the chain head lock. After the run the whole chain is
verified and its `seq` checked contiguous. Reports records/s over the measured window and the
commit latency a request waits (p50/p99). With `--two-phase` each request writes what a request
that reaches a provider writes: its egress entry (awaited), then its outcome entry; records/s
then counts both, and requests/s is half of it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.audit_common import bench_database, bench_environ, bench_record


def _worker(
    url: str,
    tag: str,
    concurrency: int,
    warmup: float,
    seconds: float,
    two_phase: bool,
    out: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    from gateway.audit.keys import AuditKeys
    from gateway.audit.writer import AuditWriter
    from gateway.db.engine import make_engine

    writer = AuditWriter(make_engine(url), AuditKeys.from_environ(bench_environ()))
    latencies: list[float] = []
    counted = 0

    async def request_loop(lane: int, start: float, measure_from: float, stop_at: float) -> None:
        nonlocal counted
        index = lane
        while (now := time.perf_counter()) < stop_at:
            record = bench_record(index, tag)
            index += concurrency
            if two_phase:
                egress = dataclasses.replace(record, phase="egress", status_code=None, outcome="sent")
                await writer.write_egress(egress)
                record.phase = "outcome"
            await writer.write(record)
            if now >= measure_from:
                counted += 2 if two_phase else 1
                latencies.append(time.perf_counter() - now)

    async def run() -> None:
        start = time.perf_counter()
        await asyncio.gather(
            *(
                request_loop(lane, start, start + warmup, start + warmup + seconds)
                for lane in range(concurrency)
            )
        )

    asyncio.run(run())
    writer.stop()
    latencies.sort()
    out.put((counted, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=128, help="requests in flight per process")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--two-phase", action="store_true", help="egress entry, then outcome entry")
    args = parser.parse_args()

    from gateway.audit.keys import AuditKeys
    from gateway.audit.verify import verify_chain
    from gateway.db.engine import make_engine

    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    with bench_database(args.database) as url:
        workers = [
            context.Process(
                target=_worker,
                args=(url, f"p{n}_", args.concurrency, args.warmup, args.seconds, args.two_phase, results),
            )
            for n in range(args.processes)
        ]
        for worker in workers:
            worker.start()
        reports = [results.get(timeout=args.warmup + args.seconds + 120) for _ in workers]
        for worker in workers:
            worker.join()
        engine = make_engine(url)
        started = time.perf_counter()
        verification = verify_chain(engine, AuditKeys.from_environ(bench_environ()))
        verify_s = time.perf_counter() - started
        with engine.connect() as connection:
            from sqlalchemy import text

            lo, hi, n = connection.execute(
                text("SELECT min(seq), max(seq), count(*) FROM audit_records")
            ).one()
        engine.dispose()

    total = sum(r[0] for r in reports)
    assert verification.ok, (verification.first_bad_request_id, verification.problem)
    assert (lo, hi) == (1, n), "seq is not contiguous"
    rate = total / args.seconds
    p50 = statistics.median(r[1] for r in reports) * 1000
    p99 = max(r[2] for r in reports) * 1000
    print(
        f"| {args.database}{' two-phase' if args.two_phase else ''} | {args.processes} x {args.concurrency} "
        f"| {rate:,.0f} rec/s "
        f"| {p50:.1f} ms | {p99:.1f} ms | {n:,} records, chain ok ({verify_s:.1f} s) |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
