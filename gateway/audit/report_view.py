"""The reviewers' report view: a period and a tenant set -> tables of counts.

The counting is `report.build_report`'s (one row a request, its latest entry); this module only
shapes its counters into the tables the /review report shows, draws nothing, and exports exactly
those tables. A table holds counts, entity types, check names, tenants and times: never content.

Export rows are one table cell each (`table`, `row`, `column`, `value`), so a CSV or JSONL file
reads back into the same tables the page shows, zero cells included.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, select

from gateway.audit.report import Bucket, Report
from gateway.db.models import AuditRecordRow
from gateway.exchange import JsonObject

MAX_DAYS = 366
HOURLY_UP_TO_DAYS = 2  # a period of up to two days is drawn by the hour, longer ones by the day
PII_CHECKS = {"pii": "", "output_pii": " (answer)", "image_pii": " (image)"}  # findings check -> label
OUTCOMES = ("blocked", "flagged", "failed", "would block (shadow)", "rewritten")
FIRST_DESTINATIONS = ("cloud", "local", "blocked")  # always shown, in this order; others after

Cell = int | float


@dataclass(frozen=True, slots=True)
class Period:
    start: date  # first day, inclusive (UTC)
    end: date  # last day, inclusive

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> Period:
        """From `from`/`to` query values (YYYY-MM-DD); the last 7 days when both are empty.
        Raises ValueError with a message for the reviewer."""
        try:
            last = date.fromisoformat(end.strip()) if end and end.strip() else today
            first = date.fromisoformat(start.strip()) if start and start.strip() else last - timedelta(days=6)
        except ValueError:
            raise ValueError("Invalid period: dates are YYYY-MM-DD, e.g. 2026-01-31.") from None
        if first > last:
            raise ValueError(f"Invalid period: it starts ({first}) after it ends ({last}).")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError(f"Invalid period: at most {MAX_DAYS} days at a time.")
        return cls(first, last)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:  # exclusive: the day after the last
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    @property
    def bucket(self) -> Bucket:
        return "hour" if (self.end - self.start).days + 1 <= HOURLY_UP_TO_DAYS else "day"

    def buckets(self) -> list[datetime]:
        step = timedelta(hours=1) if self.bucket == "hour" else timedelta(days=1)
        count = int((self.until - self.since) / step)
        return [self.since + i * step for i in range(count)]

    def label(self, start: datetime) -> str:
        return start.strftime("%Y-%m-%d %H:00" if self.bucket == "hour" else "%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # the export's `table` value and the page's element id
    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]

    def column(self, name: str) -> list[Cell]:
        index = self.columns.index(name)
        return [values[index] for _, values in self.rows]


def tenant_choices(engine: Engine, known: Iterable[str], scope: tuple[str, ...] | None) -> list[str]:
    """The tenants a reviewer may pick: their own, or (seeing all) every tenant in the policy or
    the log."""
    if scope is not None:
        return sorted(scope)
    with engine.connect() as connection:
        logged = connection.execute(select(AuditRecordRow.tenant).distinct()).scalars().all()
    return sorted({*known, *(t for t in logged if t)})


def _destinations(found: Iterable[str]) -> tuple[str, ...]:
    rest = sorted(set(found) - set(FIRST_DESTINATIONS))
    return (*FIRST_DESTINATIONS, *rest)


def requests_over_time(report: Report, period: Period) -> Table:
    columns = _destinations(where for _, where in report.by_time)
    rows = tuple(
        (period.label(start), tuple(report.by_time[(start, where)] for where in columns))
        for start in period.buckets()
    )
    header = "hour (UTC)" if period.bucket == "hour" else "day (UTC)"
    return Table("requests_over_time", "Requests by destination", header, columns, rows)


def requests_by_tenant(report: Report) -> Table:
    rows = tuple((tenant, (count,)) for tenant, count in sorted(report.by_tenant.items()))
    return Table("requests_by_tenant", "Requests by tenant", "tenant", ("requests",), rows)


def pii_by_destination(report: Report) -> Table:
    """Requests whose data carried each PII type, at each place the data reached."""
    counts: Counter[tuple[str, str]] = Counter()
    for (check, kind, location, _action), records in report.finding_records.items():
        if check in PII_CHECKS:
            where = "not sent" if location == "(not routed)" else location
            counts[(kind + PII_CHECKS[check], where)] += records
    columns = tuple(sorted({where for _, where in counts}, key=lambda w: (w not in ("cloud", "local"), w)))
    kinds = sorted({kind for kind, _ in counts})
    rows = tuple((kind, tuple(counts[(kind, where)] for where in columns)) for kind in kinds)
    return Table("pii_by_destination", "PII entity types by destination", "entity type", columns, rows)


def check_outcomes(report: Report) -> Table:
    counts: Counter[tuple[str, str]] = Counter()
    for (check, stage, _tenant, status), n in report.check_outcomes.items():
        counts[(f"{check} ({stage})", status)] += n
    for (check, stage, _tenant), n in report.shadow_would_block.items():
        counts[(f"{check} ({stage})", "would block (shadow)")] += n
    names = sorted({name for name, _ in counts})
    rows = tuple((name, tuple(counts[(name, status)] for status in OUTCOMES)) for name in names)
    return Table("check_outcomes", "Outcomes per check", "check (stage)", OUTCOMES, rows)


def bias_results(runs: Sequence[JsonObject]) -> Table:
    columns = ("items", "changed", "flip rate (%)", "95 % CI low (%)", "95 % CI high (%)")
    rows = []
    for run in runs:
        for c in run["cells"]:
            low, high = c["rate_ci"]
            label = f"run {run['id']} {run['model']} / {run['suite']}: {c['axis']} / {c['kind']}"
            percents = (round(100 * c["rate"], 1), round(100 * low, 1), round(100 * high, 1))
            rows.append((label, (int(c["items"]), int(c["flips"]), *percents)))
    return Table("bias_results", "Bias audit runs in the period", "run: axis / kind", columns, tuple(rows))


def report_tables(report: Report, period: Period, bias_runs: Sequence[JsonObject]) -> list[Table]:
    return [
        requests_by_tenant(report),
        requests_over_time(report, period),
        pii_by_destination(report),
        check_outcomes(report),
        bias_results(bias_runs),
    ]


def export_rows(tables: Sequence[Table]) -> Iterator[dict[str, str | Cell]]:
    for table in tables:
        for row, values in table.rows:
            for column, value in zip(table.columns, values, strict=True):
                yield {"table": table.name, "row": row, "column": column, "value": value}


def _safe(text: str | Cell) -> str | Cell:
    """No spreadsheet formulas from a label (a tenant could be named "=cmd"): quote them."""
    return "'" + text if isinstance(text, str) and text[:1] in ("=", "+", "-", "@") else text


def to_csv(tables: Sequence[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("table", "row", "column", "value"))
    for row in export_rows(tables):
        writer.writerow([_safe(v) for v in row.values()])
    return out.getvalue()


def to_jsonl(tables: Sequence[Table]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in export_rows(tables))
