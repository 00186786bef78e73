"""The one JSON error shape of everything machines call: the REST API, webhooks, metrics.

    {"error": {"code": "not_found", "message": "…", "details": {…}}}

``code`` is stable (clients branch on it); ``message`` is for people; ``details`` is optional.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

SERVER_ERROR_MESSAGE = ("Something went wrong on our side; it has been logged. Try again, or "
                        "contact Clarity support.")


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)
