"""Public-site URLs of the tenants app: sign-up."""

from django.urls import path

from tenants import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/address/", views.signup_address, name="signup_address"),
]
