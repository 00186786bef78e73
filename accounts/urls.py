"""Portal URLs of the accounts app: team, invitations, password reset, sign-up hand-over."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/invite/", views.team_invite, name="team_invite"),
    path("team/invitations/<int:pk>/resend/", views.invitation_resend_view,
         name="invitation_resend"),
    path("team/invitations/<int:pk>/cancel/", views.invitation_cancel_view,
         name="invitation_cancel"),
    path("team/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("team/members/<int:pk>/deactivate/", views.member_deactivate_view,
         name="member_deactivate"),
    path("team/members/<int:pk>/reactivate/", views.member_reactivate_view,
         name="member_reactivate"),
    # Reached signed out: the invitee and the new owner have no session on this domain yet.
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("welcome/<str:token>/", views.welcome, name="welcome"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/",
         auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset/done.html"),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/",
         auth_views.PasswordResetCompleteView.as_view(
             template_name="portal/password_reset/complete.html"),
         name="password_reset_complete"),
]
