"""`/review`: the reviewers' web page, rendered on the server (Jinja templates, no JavaScript).

    GET  /review                        filterable list, newest first, with the chain's status
    GET  /review/records/{request_id}   one record: found, sent where, why, checks, policy version
    GET  /review/verify                 a full verification of the chain
    GET  /review/bias                   the latest `gateway bias audit` runs, with charts
    GET  /review/report[.csv|.jsonl]    a period's counts as charts and tables (review_report.py)
    GET  /review/login, POST /review/login, POST /review/logout

Signing in exchanges the reviewer key for a signed, expiring session token in an HttpOnly,
SameSite=Strict cookie (Secure over TLS); the key itself is never stored in the browser. A
request with `Authorization: Bearer` works too. Without a valid session every page redirects to
the login form: the pages are mounted as one router (`REVIEW_PAGES`) whose `reviewer`
dependency resolves the signed-in reviewer, or sends the browser to the form before the page
runs.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from gateway.api.admin import FILTER_FIELDS, desk_of, filter_from, reviewer_of, verification_view
from gateway.api.admin_auth import (
    REVIEW_COOKIE,
    SESSION_SECONDS,
    ReviewerScope,
    issue_session,
    resolve_reviewer,
    session_secret,
)
from gateway.api.review_report import REPORT_ROUTES
from gateway.audit.desk import public_view
from gateway.errors import BadRequest, Unauthorized
from gateway.services import Services

LOGIN = "/review/login"
PAGE_SIZE = 50


class SignInRequired(Exception):
    """No valid reviewer key or session: the browser is sent to the login form."""


def signed_in_reviewer(request: Request, services: Services) -> ReviewerScope:
    """The `reviewer` a page asks for. Cheap (an HMAC, no I/O), so it runs on the event loop."""
    try:
        return reviewer_of(request, services, allow_cookie=True)
    except Unauthorized:
        raise SignInRequired from None


def to_login(request: Request, exc: SignInRequired) -> Response[Any]:
    return Redirect(LOGIN, status_code=303)


@get("/review", sync_to_thread=True)
def review_list(request: Request, services: Services, reviewer: ReviewerScope) -> Template:
    params = {k: v for k, v in request.query_params.items() if k in (*FILTER_FIELDS, "before")}
    error = None
    desk = desk_of(services)
    try:
        where = filter_from(params, reviewer)
        before = int(params["before"]) if params.get("before", "").isdigit() else None
        page = desk.page(where, before, PAGE_SIZE)
        records, next_before = [public_view(r) for r in page.records], page.next_before
    except BadRequest as exc:
        error, records, next_before = exc.message, [], None
    filters = {k: params.get(k, "") for k in FILTER_FIELDS}
    next_url = None
    if next_before is not None:
        next_url = "/review?" + urlencode({**{k: v for k, v in filters.items() if v}, "before": next_before})
    return Template(
        template_name="review/list.html",
        context={
            "reviewer": reviewer,
            "records": records,
            "filters": filters,
            "next_url": next_url,
            "error": error,
            "chain": verification_view(desk.chain_status(full=False), reviewer, desk),
        },
    )


@get("/review/records/{request_id:str}", sync_to_thread=True)
def review_record(services: Services, reviewer: ReviewerScope, request_id: str) -> Template:
    detail = desk_of(services).detail(request_id, None if reviewer.sees_all else reviewer.tenants)
    return Template(
        template_name="review/detail.html",
        context={
            "reviewer": reviewer,
            "request_id": request_id,
            "record": public_view(detail.record) if detail else None,
            "check": detail.check if detail else None,
        },
        status_code=200 if detail else 404,
    )


@get("/review/verify", sync_to_thread=True)
def review_verify(services: Services, reviewer: ReviewerScope) -> Template:
    desk = desk_of(services)
    chain = verification_view(desk.chain_status(full=True), reviewer, desk)
    return Template(template_name="review/verify.html", context={"reviewer": reviewer, "chain": chain})


@get("/review/bias", sync_to_thread=True)
def review_bias(services: Services, reviewer: ReviewerScope) -> Template:
    from markupsafe import Markup

    from gateway.checks.bias import report, store

    runs = store.latest(services.audit.engine)
    for run in runs:  # server-rendered SVG from numbers only: no caller content reaches it
        run["chart"] = Markup(report.chart_svg(run["cells"]))
    return Template(template_name="review/bias.html", context={"reviewer": reviewer, "runs": runs})


@get(LOGIN, sync_to_thread=False)
def login_form() -> Template:
    return Template(template_name="review/login.html", context={"error": None})


@post(LOGIN, status_code=303, sync_to_thread=False)
def login(
    request: Request,
    services: Services,
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    key = str(data.get("key") or "").strip()
    try:
        resolve_reviewer(services.policies.current.gateway.reviewers, key)
    except Unauthorized:
        return Template(
            template_name="review/login.html",
            context={"error": "This key may not read the audit log."},
            status_code=401,
        )
    response: Response[Any] = Redirect("/review", status_code=303)
    response.set_cookie(
        REVIEW_COOKIE,
        issue_session(key, session_secret(services.audit.keys.master_key)),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@post("/review/logout", status_code=303, sync_to_thread=False)
def logout() -> Response[Any]:
    response: Response[Any] = Redirect(LOGIN, status_code=303)
    response.delete_cookie(REVIEW_COOKIE, path="/")
    return response


# Every page that takes `reviewer` is signed-in only; the login and logout routes take none.
REVIEW_PAGES = Router(
    "/",
    route_handlers=[
        review_list,
        review_record,
        review_verify,
        review_bias,
        *REPORT_ROUTES,
        login_form,
        login,
        logout,
    ],
    dependencies={"reviewer": Provide(signed_in_reviewer, sync_to_thread=False)},
    exception_handlers={SignInRequired: to_login},
)
