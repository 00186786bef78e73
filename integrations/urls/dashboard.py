"""Portal URLs: the dashboard (the tenant's home page), its refreshed parts and chart data."""

from django.urls import path

from integrations.views import dashboard as views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/numbers/", views.dashboard_numbers, name="dashboard_numbers"),
    path("dashboard/pairs/<int:pk>/health/", views.dashboard_pair_health,
         name="dashboard_pair_health"),
    path("dashboard/series/", views.dashboard_series, name="dashboard_series"),
]
