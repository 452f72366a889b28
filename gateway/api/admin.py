"""`/admin/audit`: the audit log over HTTP for reviewers (JSON, filtered, paginated), and the
plugin that mounts it together with the review page.

    GET /admin/audit                        records, newest first; filters as query parameters;
                                            `before` = the previous page's `next_before`
    GET /admin/audit/records/{request_id}   one record: findings, route, checks, content, hashes
    GET /admin/audit/verify[?full=true]     the chain's verification status

Authorization: `Bearer <reviewer key>`; a key scoped to tenants sees only their records.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.config.app import AppConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.exceptions import NotFoundException
from litestar.plugins import InitPluginProtocol
from litestar.template.config import TemplateConfig

from gateway.api.admin_auth import ReviewerScope, presented_reviewer, session_secret
from gateway.audit.appender import CONTENT_FIELDS
from gateway.audit.desk import MAX_PAGE, ReviewDesk, public_view
from gateway.audit.filters import AuditFilter, parse_time
from gateway.audit.verify import Verification
from gateway.errors import BadRequest
from gateway.services import Services

TEMPLATES = Path(__file__).parent / "templates"
FILTER_FIELDS = (
    "tenant", "since", "until", "status", "outcome", "location", "endpoint", "model", "entity",
    "check", "request_id",
)  # fmt: skip


def desk_of(services: Services) -> ReviewDesk:
    return ReviewDesk(services.audit.engine, services.audit.keys)


def reviewer_of(request: Request, services: Services, allow_cookie: bool = False) -> ReviewerScope:
    secret = session_secret(services.audit.keys.master_key)
    return presented_reviewer(request, services.policies.current.gateway.reviewers, secret, allow_cookie)


def filter_from(params: dict[str, str], reviewer: ReviewerScope) -> AuditFilter:
    """Query parameters -> filter, within the reviewer's tenants. Empty values mean "any"."""
    values = {k: v.strip() for k, v in params.items() if k in FILTER_FIELDS and v and v.strip()}
    try:
        where = AuditFilter(
            tenant=values.get("tenant"),
            since=parse_time(values.get("since")),
            until=parse_time(values.get("until")),
            status_code=int(values["status"]) if "status" in values else None,
            outcome=values.get("outcome"),
            location=values.get("location"),
            endpoint=values.get("endpoint"),
            model=values.get("model"),
            entity=values.get("entity"),
            check=values.get("check"),
            request_id=values.get("request_id"),
        )
    except ValueError:
        raise BadRequest("Invalid filter: times are ISO-8601, status is a number.") from None
    return where.scoped(reviewer.tenants)


def _int_param(
    params: dict[str, str], name: str, default: int | None, low: int = 1, high: int | None = None
) -> int | None:
    """A paging parameter: an integer in [low, high], else 400 naming it."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"Invalid {name}: expected a whole number {bounds}.", param=name)
    return number


def verification_view(result: Verification, reviewer: ReviewerScope, desk: ReviewDesk) -> dict[str, Any]:
    view = asdict(result)
    view["ok"] = result.ok
    if not reviewer.sees_all:  # nothing about other tenants: not their records, not their count
        view["first_bad_request_id"] = None if result.ok else "(hidden: outside your tenants)"
        view["records"], view["scoped"] = desk.count(reviewer.tenants), True
    return view


@get("/admin/audit", sync_to_thread=True)
def list_records(request: Request, services: Services) -> dict[str, Any]:
    reviewer = reviewer_of(request, services)
    params = dict(request.query_params)
    where = filter_from(params, reviewer)
    page = desk_of(services).page(
        where, _int_param(params, "before", None), _int_param(params, "limit", 50, high=MAX_PAGE) or 50
    )
    return {
        "object": "list",
        "data": [{k: v for k, v in public_view(r).items() if k not in CONTENT_FIELDS} for r in page.records],
        "next_before": page.next_before,
        "has_more": page.next_before is not None,
    }


@get("/admin/audit/records/{request_id:str}", sync_to_thread=True)
def record_detail(request: Request, services: Services, request_id: str) -> dict[str, Any]:
    reviewer = reviewer_of(request, services)
    scope = None if reviewer.sees_all else reviewer.tenants
    detail = desk_of(services).detail(request_id, scope)
    if detail is None:  # unknown and out of scope look the same
        raise NotFoundException("No such audit record.")
    return {**public_view(detail.record), "chain_check": {**asdict(detail.check), "ok": detail.check.ok}}


@get("/admin/audit/verify", sync_to_thread=True)
def chain_status(request: Request, services: Services) -> dict[str, Any]:
    reviewer = reviewer_of(request, services)
    full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
    desk = desk_of(services)
    return verification_view(desk.chain_status(full=full), reviewer, desk)


API_ROUTES = [list_records, record_detail, chain_status]


class AuditReviewPlugin(InitPluginProtocol):
    """Mounts /admin/audit and the /review page and their templates (one line in app.py)."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        from gateway.api.admin_review import REVIEW_PAGES

        app_config.route_handlers = [*app_config.route_handlers, *API_ROUTES, REVIEW_PAGES]
        app_config.template_config = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)
        return app_config
