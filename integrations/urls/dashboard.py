"""Portal URLs: the dashboard (the tenant's home page)."""

from django.urls import path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
]
