"""``/api/v1/``: the resources, the OpenAPI schema and its docs pages (served offline)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from integrations.api import quality, schema, views  # noqa: F401  (schema: the auth scheme)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("pairs", views.PairViewSet, basename="api-pair")
router.register("flows", views.FlowViewSet, basename="api-flow")
router.register("transactions", views.TransactionViewSet, basename="api-transaction")
router.register("dead-letters", views.DeadLetterViewSet, basename="api-dead-letter")
router.register("connections", views.ConnectionViewSet, basename="api-connection")

urlpatterns = [
    path("status/", views.StatusView.as_view(), name="api-status"),
    path("usage/", views.UsageView.as_view(), name="api-usage"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (docs/?script) instead of
    # inline, so the page works under the Content-Security-Policy's script-src 'self'.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc builds its search index in a worker made from a blob: URL; without it search finds
    # nothing. Allowed on this page only (its web fonts and logo stay blocked: no CDN).
    path("redoc/", csp_update({"worker-src": ["'self'", "blob:"]})(
        SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("flows/<int:pk>/quality/", quality.FlowQualityView.as_view(), name="api-flow-quality"),
    path("dead-letters/<int:pk>/approve/", quality.DeadLetterApproveView.as_view(),
         name="api-dead-letter-approve"),
    path("dead-letters/<int:pk>/link/", quality.DeadLetterLinkView.as_view(),
         name="api-dead-letter-link"),
    path("", include(router.urls)),
]
