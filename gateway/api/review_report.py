"""`/review/report`: a period's counts for a tenant set, as SVG charts each with its table, and
the same tables as downloads.

    GET /review/report?from=YYYY-MM-DD&to=YYYY-MM-DD&tenant=A&tenant=B
    GET /review/report.csv?...  and  /review/report.jsonl?...   exactly the tables shown

A reviewer picks among their own tenants only (all tenants for `*`); a tenant outside that set
is answered like an unknown one, so the page never tells a reviewer which other tenants exist.
Bad dates or tenants get the page with the reason and status 400, never a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.response import Template
from markupsafe import Markup

from gateway.api.admin_auth import ReviewerScope
from gateway.audit.filters import AuditFilter
from gateway.audit.report import build_report
from gateway.audit.report_view import Period, Table, report_tables, tenant_choices, to_csv, to_jsonl
from gateway.charts import Bar, bar_chart, line_chart
from gateway.checks.bias import report as bias_report
from gateway.checks.bias import store as bias_store
from gateway.exchange import JsonObject
from gateway.services import Services

BIAS_RUNS = 5  # the latest runs of the period shown; /review/bias lists more
EXPORTS = {"csv": ("text/csv; charset=utf-8", to_csv), "jsonl": ("application/x-ndjson", to_jsonl)}


@dataclass(frozen=True, slots=True)
class Asked:
    start: str
    end: str
    tenants: tuple[str, ...]  # as asked, unvalidated
    choices: list[str]

    def query(self) -> str:
        return urlencode([("from", self.start), ("to", self.end), *(("tenant", t) for t in self.tenants)])


def _asked(request: Request, services: Services, reviewer: ReviewerScope) -> Asked:
    params = request.query_params
    known = services.policies.current.tenants
    scope = None if reviewer.sees_all else reviewer.tenants
    return Asked(
        str(params.get("from") or ""),
        str(params.get("to") or ""),
        tuple(dict.fromkeys(str(t).strip() for t in params.getall("tenant", []) if str(t).strip())),
        tenant_choices(services.audit.engine, known, scope),
    )


def _tables(
    services: Services, reviewer: ReviewerScope, asked: Asked
) -> tuple[Period, list[Table], list[JsonObject]]:
    """Raises ValueError with the reason for a bad period or tenant."""
    period = Period.parse(asked.start, asked.end, datetime.now(UTC).date())
    unknown = [t for t in asked.tenants if t not in asked.choices]
    if unknown:
        choose = ", ".join(asked.choices) or "none"
        raise ValueError(f"Unknown tenant {unknown[0][:64]!r}: choose among {choose}.")
    scope = asked.tenants or (None if reviewer.sees_all else reviewer.tenants)
    engine = services.audit.engine
    where = AuditFilter(since=period.since, until=period.until, scope=scope)
    report = build_report(engine, where, period.bucket)
    runs = bias_store.latest(engine, BIAS_RUNS, period.since, period.until)
    return period, report_tables(report, period, runs), runs


def _bars(table: Table) -> str:
    series = [""] if len(table.columns) == 1 else list(table.columns)  # one column: no legend
    groups = [
        (row, [Bar(float(v), name) for name, v in zip(series, values, strict=True)])
        for row, values in table.rows
    ]
    return bar_chart(groups, table.title)


def _charts(tables: Sequence[Table], runs: Sequence[JsonObject]) -> dict[str, list[Markup]]:
    """Each table's chart(s), drawn from its numbers only (and the bias runs' own chart)."""
    charts: dict[str, list[Markup]] = {}
    for table in tables:
        if not table.rows:
            charts[table.name] = []
        elif table.name == "requests_over_time":
            series = {column: [float(v) for v in table.column(column)] for column in table.columns}
            labels = [row for row, _ in table.rows]
            charts[table.name] = [Markup(line_chart(labels, series, f"{table.title} per {table.row_header}"))]
        elif table.name == "bias_results":
            charts[table.name] = [Markup(bias_report.chart_svg(run["cells"])) for run in runs]
        else:
            charts[table.name] = [Markup(_bars(table))]
    return charts


def _page(reviewer: ReviewerScope, asked: Asked, **context: Any) -> Template:
    error = context.get("error")
    return Template(
        template_name="review/report.html",
        context={"reviewer": reviewer, "asked": asked, "query": asked.query(), "tables": [], **context},
        status_code=400 if error else 200,
    )


@get("/review/report", sync_to_thread=True)
def review_report(request: Request, services: Services, reviewer: ReviewerScope) -> Template:
    asked = _asked(request, services, reviewer)
    try:
        period, tables, runs = _tables(services, reviewer, asked)
    except ValueError as exc:
        return _page(reviewer, asked, error=str(exc))
    shown = Asked(period.start.isoformat(), period.end.isoformat(), asked.tenants, asked.choices)
    return _page(reviewer, shown, period=period, tables=tables, charts=_charts(tables, runs), error=None)


def _export(
    request: Request, services: Services, reviewer: ReviewerScope, kind: str
) -> Response[Any] | Template:
    asked = _asked(request, services, reviewer)
    try:
        period, tables, _ = _tables(services, reviewer, asked)
    except ValueError as exc:
        return _page(reviewer, asked, error=str(exc))
    media_type, encode = EXPORTS[kind]
    name = f"gateway-report-{period.start}-{period.end}.{kind}"
    return Response(
        encode(tables),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# One handler a path: litestar runs a sync handler given several paths as an unawaited coroutine.
@get("/review/report.csv", sync_to_thread=True)
def review_report_csv(
    request: Request, services: Services, reviewer: ReviewerScope
) -> Response[Any] | Template:
    return _export(request, services, reviewer, "csv")


@get("/review/report.jsonl", sync_to_thread=True)
def review_report_jsonl(
    request: Request, services: Services, reviewer: ReviewerScope
) -> Response[Any] | Template:
    return _export(request, services, reviewer, "jsonl")


REPORT_ROUTES = [review_report, review_report_csv, review_report_jsonl]
