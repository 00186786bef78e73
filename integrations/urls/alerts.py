"""Portal URLs: alerts."""

urlpatterns: list = []
