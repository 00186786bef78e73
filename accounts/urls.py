"""Portal URLs of the accounts app: team, invitations, password reset."""

urlpatterns: list = []
