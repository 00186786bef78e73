"""Portal URLs: logs."""

urlpatterns: list = []
