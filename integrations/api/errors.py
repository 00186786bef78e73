"""Every 4xx and 5xx of the API in the one error shape (``config.errors``).

``details`` carries field errors for invalid input and ``retry_after_s`` for throttling.
DRF's own exceptions, Django's
``ValidationError`` and ``Http404`` from services, plan limits, and URLs no view answers all
come out this way.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from billing.limits import LimitExceeded
from config.errors import SERVER_ERROR_MESSAGE, error_body, error_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

_CODES = {
    exceptions.ParseError: "malformed_body",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


def _message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _message(detail[0])
    if isinstance(detail, dict) and detail:
        field, value = next(iter(detail.items()))
        inner = _message(value)
        return inner if field == "non_field_errors" else f"{field}: {inner}"
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, LimitExceeded):
        decision = exc.decision
        return Response(error_body(decision.code or "plan_limit", decision.reason),
                        status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API exception: a bug or an outage. Logged with its traceback; the client
        # gets the same shape, never a Django HTML page.
        logger.error("Unhandled error in %s", type(context.get("view")).__name__, exc_info=exc)
        return Response(error_body("server_error", SERVER_ERROR_MESSAGE),
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    assert isinstance(exc, exceptions.APIException)
    code = next((name for cls, name in _CODES.items() if isinstance(exc, cls)),
                exc.default_code if isinstance(exc.default_code, str) else "error")
    details: Any = None
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = f"The request is invalid: {_message(exc.detail)}"
    elif isinstance(exc, exceptions.Throttled):
        details = {"retry_after_s": exc.wait and int(exc.wait + 0.999)}
        message = "Too many requests for this API key; slow down and retry later."
        if exc.wait:
            message = f"Too many requests; retry in {details['retry_after_s']} s."
    else:
        message = _message(exc.detail)
    response.data = error_body(code, message, details)
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: JSON under /api/, the site's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return error_response(404, "not_found", f"Nothing is at {request.path}.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: JSON under /api/ (webhooks included), the site's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return error_response(500, "server_error", SERVER_ERROR_MESSAGE)
    return defaults.server_error(request)
