"""URLs of a tenant's portal (<slug>.BASE_DOMAIN)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from integrations.views import connections as connection_views
from integrations.views import onboarding as onboarding_views
from integrations.views import pairs as pair_views
from integrations.views.webhooks import webhook_receive

urlpatterns = [
    path("api/v1/webhooks/<slug:system>/<int:connection_id>/", webhook_receive,
         name="webhook_receive"),
    path("api/v1/", include("integrations.api.urls")),
    # One URL module per portal area.
    path("", include("integrations.urls.dashboard")),
    path("", include("integrations.urls.mappings")),
    path("", include("integrations.urls.steps")),
    path("", include("integrations.urls.logs")),
    path("", include("integrations.urls.alerts")),
    path("", include("integrations.urls.quality")),
    path("", include("billing.urls")),
    path("", include("accounts.urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="portal/login.html",
                                     redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("get-started/", onboarding_views.onboarding, name="onboarding"),
    path("get-started/templates/<slug:template_key>/", onboarding_views.onboarding_review,
         name="onboarding_review"),
    path("integrations/", pair_views.pair_list, name="pair_list"),
    path("integrations/new/", pair_views.pair_new, name="pair_new"),
    path("integrations/<int:pk>/", pair_views.pair_detail, name="pair_detail"),
    path("integrations/<int:pk>/status/", pair_views.pair_status, name="pair_status"),
    path("integrations/<int:pk>/webhooks/", pair_views.pair_webhooks, name="pair_webhooks"),
    path("flows/<int:pk>/run/", pair_views.flow_run, name="flow_run"),
    path("flows/<int:pk>/backfill/", pair_views.flow_backfill_view, name="flow_backfill"),
    path("connections/", connection_views.connection_list, name="connection_list"),
    path("connections/new/<slug:system>/", connection_views.connection_new,
         name="connection_new"),
    path("connections/<int:pk>/", connection_views.connection_detail, name="connection_detail"),
    path("connections/<int:pk>/test/", connection_views.connection_test_view,
         name="connection_test"),
    path("connections/<int:pk>/authorize/", connection_views.connection_authorize,
         name="connection_authorize"),
    path("api-keys/", account_views.api_key_list_view, name="api_key_list"),
    path("api-keys/new/", account_views.api_key_new, name="api_key_new"),
    path("api-keys/<slug:prefix>/revoke/", account_views.api_key_revoke_view,
         name="api_key_revoke"),
]

handler404 = "integrations.api.errors.not_found"
handler500 = "integrations.api.errors.server_error"
