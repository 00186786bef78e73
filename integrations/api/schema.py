"""How the API's authentication appears in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "Clarity API key",
                "description": "An API key from the portal (Settings → API keys): "
                               "`Authorization: Bearer <key>`. Read keys may only read."}


_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "details": {"type": "object", "additionalProperties": {}}}}}}


def _error(description: str) -> dict[str, object]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


# The webhook endpoint is a plain Django view (answered before the browser middleware), so
# drf-spectacular cannot see it; it is described here for the schema's readers.
WEBHOOK_PATHS = {
    "/api/v1/webhooks/{system}/{connection_id}/": {"post": {
        "operationId": "webhook_receive",
        "tags": ["webhooks"],
        "summary": "Receive a system's webhook delivery (stored before the 202).",
        "description": (
            "Authenticated by the connection's webhook secret the way the system supports: "
            "Brightpearl `?secret=` in the registered URL, BigCommerce the "
            "`X-Clarity-Webhook-Secret` header, Salesforce the URL secret and the org id "
            "(answered with a SOAP Ack). Not an API key. Repeats are acknowledged and not "
            "processed twice."),
        "security": [],
        "parameters": [
            {"name": "system", "in": "path", "required": True, "schema": {
                "type": "string", "enum": ["brightpearl", "bigcommerce", "salesforce"]}},
            {"name": "connection_id", "in": "path", "required": True,
             "schema": {"type": "integer"}},
        ],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": {}}}}},
        "responses": {
            "202": {"description": "Stored; processed by a worker.", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                    "unrouted": {"type": "integer"}}}}}},
            "400": _error("The body is not what the system sends (`malformed_body`)."),
            "401": _error("The connection's secret is missing or wrong (`invalid_secret`)."),
            "404": _error("No such connection of that system here (`unknown_connection`)."),
            "413": _error("The body is over 1 MB (`payload_too_large`)."),
            "429": _error("Over the connection's deliveries a minute (`throttled`)."),
        },
    }},
}


def webhook_paths_append(result: dict[str, Any], generator: Any, request: Any,
                         public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: add the webhook endpoint to the schema."""
    result.setdefault("paths", {}).update(WEBHOOK_PATHS)
    return result
