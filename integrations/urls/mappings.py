"""Portal URLs: mappings."""

urlpatterns: list = []
