"""URLs of the public site (BASE_DOMAIN): marketing pages and the Clarity staff admin."""

from django.contrib import admin
from django.urls import include, path

from config.metrics import metrics_view
from integrations.views.connections import oauth_callback
from tenants import views as tenant_views

admin.site.site_header = "Clarity Connect staff"
admin.site.site_title = "Clarity Connect staff"
admin.site.index_title = "Operations"

urlpatterns = [
    # /admin/tenant/<slug>/ is routed by config.tenant_admin.TenantDataAdminMiddleware.
    path("", tenant_views.pricing, name="pricing"),
    path("admin/", admin.site.urls),
    path("", include("tenants.urls")),
    path("oauth/callback/", oauth_callback, name="oauth_callback"),
    # Prometheus scrapes; bearer token from METRICS_TOKEN.
    path("metrics", metrics_view, name="metrics"),
]
