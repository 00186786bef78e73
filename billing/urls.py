"""Portal URLs: billing (plan, usage, invoices, change plan)."""

from django.urls import path

from billing import views

urlpatterns = [
    path("billing/", views.billing, name="billing"),
    path("billing/plan/", views.plan_change, name="plan_change"),
    path("billing/invoices/<slug:number>/", views.invoice_detail, name="invoice_detail"),
]
