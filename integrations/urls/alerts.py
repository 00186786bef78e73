"""Portal URLs: alerts, and the settings hub that links to them."""

from django.urls import path

from integrations.views import alerts as views

urlpatterns = [
    path("settings/", views.settings_hub, name="settings"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/new/", views.alert_new, name="alert_new"),
    path("alerts/<int:pk>/", views.alert_edit, name="alert_edit"),
    path("alerts/<int:pk>/delete/", views.alert_delete, name="alert_delete"),
    path("alerts/<int:pk>/toggle/", views.alert_toggle, name="alert_toggle"),
    path("alerts/<int:pk>/test/", views.alert_test, name="alert_test"),
]
