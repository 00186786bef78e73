"""Portal URLs: billing (plan, usage, invoices, change plan)."""

urlpatterns: list = []
