"""The error table: every public error keeps its place in the hierarchy, its HTTP status and the
`type` and `code` of its OpenAI-shaped body."""

from __future__ import annotations

import pytest

from gateway import errors
from gateway.api.errors import gateway_error_response

# name: (parent, status, type, code), as the module docstring's tree says.
TABLE = {
    "GatewayError": ("Exception", 500, "internal_error", "internal_error"),
    "BadRequest": ("GatewayError", 400, "invalid_request_error", "invalid_request"),
    "PayloadTooLarge": ("BadRequest", 413, "invalid_request_error", "request_too_large"),
    "RouteNotFound": ("BadRequest", 404, "invalid_request_error", "not_found"),
    "MethodNotAllowed": ("BadRequest", 405, "invalid_request_error", "method_not_allowed"),
    "HeadersTooLarge": ("BadRequest", 431, "invalid_request_error", "request_header_fields_too_large"),
    "Unauthorized": ("GatewayError", 401, "authentication_error", "invalid_api_key"),
    "ModelNotFound": ("GatewayError", 404, "invalid_request_error", "model_not_found"),
    "PolicyViolation": ("GatewayError", 403, "policy_violation", "policy_violation"),
    "RateLimited": ("GatewayError", 429, "rate_limit_error", "rate_limit_exceeded"),
    "ServiceUnavailable": ("GatewayError", 503, "service_unavailable", "service_unavailable"),
    "LocalModelBusy": ("ServiceUnavailable", 503, "service_unavailable", "local_model_busy"),
    "LocalModelUnavailable": ("ServiceUnavailable", 503, "service_unavailable", "local_model_unavailable"),
    "LocalModelCrashed": ("LocalModelUnavailable", 503, "service_unavailable", "local_model_crashed"),
    "DetectorUnavailable": ("ServiceUnavailable", 503, "service_unavailable", "pii_detection_unavailable"),
    "CheckUnavailable": ("ServiceUnavailable", 503, "service_unavailable", "check_unavailable"),
    "LimitsUnavailable": ("ServiceUnavailable", 503, "service_unavailable", "limits_unavailable"),
    "ImageRedactionUnavailable": (
        "ServiceUnavailable",
        503,
        "service_unavailable",
        "image_redaction_unavailable",
    ),
    "UpstreamError": ("GatewayError", 502, "upstream_error", "upstream_error"),
    "UpstreamTimeout": ("UpstreamError", 504, "upstream_error", "upstream_timeout"),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_error_keeps_its_parent_status_type_and_code_and_answers_in_the_openai_shape(name: str) -> None:
    parent, status, error_type, code = TABLE[name]
    error_class = getattr(errors, name)
    assert error_class.__bases__[0].__name__ == parent
    assert (error_class.status_code, error_class.error_type, error_class.code) == (status, error_type, code)
    response = gateway_error_response(error_class("A message for the caller.", param="p"))
    assert response.status_code == status
    message = "A message for the caller."
    assert response.content == {"error": {"message": message, "type": error_type, "code": code, "param": "p"}}
    unavailable = status == 503
    assert (response.headers.get("retry-after") == "1") is unavailable  # 503s say when to retry


def test_a_code_given_to_one_error_is_its_own_and_the_table_is_every_public_error() -> None:
    error = errors.PolicyViolation("No.", code="custom_code")
    assert error.code == "custom_code" and errors.PolicyViolation.code == "policy_violation"
    public = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.GatewayError)
    }
    assert public - {"PolicyError"} == set(TABLE)
