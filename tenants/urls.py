"""Public-site URLs of the tenants app: sign-up."""

urlpatterns: list = []
