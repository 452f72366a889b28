"""One error hierarchy for the gateway; `api/errors.py` is the only place that maps it to HTTP.

    GatewayError                       500 internal_error
    ├── BadRequest                     400 invalid_request_error
    │   └── PayloadTooLarge            413 request_too_large
    │   ├── RouteNotFound              404 not_found (an unknown path)
    │   ├── MethodNotAllowed           405 method_not_allowed
    │   └── HeadersTooLarge            431 request_header_fields_too_large
    ├── Unauthorized                   401 invalid_api_key
    ├── ModelNotFound                  404 model_not_found
    ├── PolicyViolation                403 policy_violation (param = the check, never the content)
    ├── RateLimited                    429 rate_limit_exceeded + Retry-After
    ├── ServiceUnavailable             503 + Retry-After (the gateway itself cannot serve)
    │   ├── LocalModelBusy             503 local_model_busy
    │   ├── LocalModelUnavailable      503 local_model_unavailable (its worker is restarting)
    │   │   └── LocalModelCrashed      503 local_model_crashed (its worker died serving the request)
    │   ├── DetectorUnavailable        503 pii_detection_unavailable (fail closed: nothing unscanned leaves)
    │   ├── CheckUnavailable           503 check_unavailable, param = the check (fail closed, any check)
    │   ├── LimitsUnavailable          503 limits_unavailable (a budget that cannot be checked)
    │   └── ImageRedactionUnavailable  503 image_redaction_unavailable (OCR could not run: same rule)
    ├── UpstreamError                  502 upstream_error
    │   └── UpstreamTimeout            504 upstream_timeout
    └── PolicyError                    (not HTTP) a policy file is invalid: file, line, key path

Messages are written for the caller and must never contain request content.
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """The root: 500 internal_error. A subclass states what differs in its class line (the
    table below): `status` (HTTP), `error_type` and `code` (the OpenAI error body's fields)."""

    status_code = 500
    error_type = "internal_error"
    code = "internal_error"

    def __init_subclass__(
        cls, *, status: int | None = None, error_type: str | None = None, code: str | None = None
    ) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status_code = status
        if error_type is not None:
            cls.error_type = error_type
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after_seconds = retry_after_seconds  # sent as Retry-After when set
        self.route: str | None = None  # "cloud" | "local" once routing had decided
        # What each check had done when this error stopped the request (`CheckOutcome`s), so
        # that the audit record of a blocked or failed request still says it, per check.
        self.outcomes: tuple[Any, ...] = ()
        if code is not None:
            self.code = code


class ServiceUnavailable(
    GatewayError, status=503, error_type="service_unavailable", code="service_unavailable"
):
    def __init__(self, message: str, *, retry_after_seconds: int = 1, **kwargs: str | None) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds, **kwargs)


# The table: one class a line, each stating only what differs from its parent (the tree above).
# fmt: off
class BadRequest(GatewayError, status=400, error_type="invalid_request_error", code="invalid_request"): ...
class PayloadTooLarge(BadRequest, status=413, code="request_too_large"): ...
class RouteNotFound(BadRequest, status=404, code="not_found"): ...
class MethodNotAllowed(BadRequest, status=405, code="method_not_allowed"): ...
class HeadersTooLarge(BadRequest, status=431, code="request_header_fields_too_large"): ...
class Unauthorized(GatewayError, status=401, error_type="authentication_error", code="invalid_api_key"): ...
class ModelNotFound(GatewayError, status=404, error_type="invalid_request_error", code="model_not_found"): ...
class PolicyViolation(GatewayError, status=403, error_type="policy_violation", code="policy_violation"): ...
class RateLimited(GatewayError, status=429, error_type="rate_limit_error", code="rate_limit_exceeded"): ...
class LocalModelBusy(ServiceUnavailable, code="local_model_busy"): ...
class LocalModelUnavailable(ServiceUnavailable, code="local_model_unavailable"): ...
class LocalModelCrashed(LocalModelUnavailable, code="local_model_crashed"): ...
class DetectorUnavailable(ServiceUnavailable, code="pii_detection_unavailable"): ...
class CheckUnavailable(ServiceUnavailable, code="check_unavailable"): ...
class LimitsUnavailable(ServiceUnavailable, code="limits_unavailable"): ...
class ImageRedactionUnavailable(ServiceUnavailable, code="image_redaction_unavailable"): ...
class UpstreamError(GatewayError, status=502, error_type="upstream_error", code="upstream_error"): ...
class UpstreamTimeout(UpstreamError, status=504, code="upstream_timeout"): ...
# fmt: on


class PolicyError(GatewayError):
    """A policy file failed validation; `str()` names the file, the line and the key path."""

    def __init__(self, path: str, line: int | None, key_path: str, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {key_path or '<root>'}: {problem}")
        self.path = path
        self.line = line
        self.key_path = key_path
        self.problem = problem
