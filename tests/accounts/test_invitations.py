"""Inviting colleagues by email with a role, and accepting, resending and cancelling."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.services import invitation_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
NEW_PASSWORD = "plum-orchard-lantern-9"


@pytest.fixture
def owner(tenant_a) -> User:
    return User.objects.get(email="owner@alpha.example.com")


def invite(client, user: User, email: str = "carol@alpha.example.com", role: str = "viewer"):
    client.force_login(user)
    return client.post("/team/invite/", {"email": email, "role": role}, HTTP_HOST=ALPHA,
                       follow=True)


def accept_link(mail) -> str:
    return next(line.strip() for line in mail.body.splitlines() if "/invitations/" in line)


def accept(client, link: str, **data: str):
    url = urlsplit(link)
    fields = {"full_name": "Carol Chen", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
              **data}
    return client.post(url.path, fields, HTTP_HOST=url.hostname)


def test_admin_invites_a_colleague_who_gets_a_link_on_the_tenants_domain(
        client, tenant_a, mailoutbox):
    admin = UserFactory(full_name="Ann Admin", role=User.Role.ADMIN)

    response = invite(client, admin, role="admin")

    assert "Invitation sent to carol@alpha.example.com." in response.content.decode()
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "carol@alpha.example.com", "admin", admin)
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    (mail,) = mailoutbox
    assert mail.to == ["carol@alpha.example.com"]
    assert "Ann Admin invited you to Alpha Retail" in mail.subject
    assert accept_link(mail).startswith("http://alpha.localhost:8000/invitations/")


def test_pending_invitation_is_listed_with_resend_and_cancel(client, owner, mailoutbox):
    invite(client, owner)

    page = client.get("/team/", HTTP_HOST=ALPHA).content.decode()

    assert "carol@alpha.example.com" in page
    assert "Resend" in page and "Cancel" in page


def test_only_the_link_knows_the_token(client, owner, mailoutbox):
    invite(client, owner)

    token = accept_link(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    assert token not in Invitation.objects.get().token_hash


def test_invitee_chooses_name_and_password_and_is_signed_in_with_the_role(
        client, owner, mailoutbox):
    invite(client, owner, role="admin")
    client.logout()
    link = accept_link(mailoutbox[0])
    form = client.get(urlsplit(link).path, HTTP_HOST=ALPHA).content.decode()
    assert "Join Alpha Retail" in form and "carol@alpha.example.com" in form

    response = accept(client, link)

    assert response.status_code == 302 and response["Location"] == "/"
    carol = User.objects.get(email="carol@alpha.example.com")
    assert (carol.full_name, carol.role) == ("Carol Chen", User.Role.ADMIN)
    assert carol.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().accepted_at is not None
    assert "carol@alpha.example.com" in client.get("/team/", HTTP_HOST=ALPHA).content.decode()


def test_used_invitation_says_so(client, owner, mailoutbox):
    invite(client, owner)
    link = accept_link(mailoutbox[0])
    accept(client, link)

    response = type(client)().get(urlsplit(link).path, HTTP_HOST=ALPHA)

    assert response.status_code == 410
    assert "This invitation has already been used" in response.content.decode()
    assert User.objects.filter(email="carol@alpha.example.com").count() == 1


def test_expired_invitation_says_so(client, owner, mailoutbox):
    invite(client, owner)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = accept(type(client)(), accept_link(mailoutbox[0]))

    assert response.status_code == 410
    assert "This invitation expired on" in response.content.decode()
    assert not User.objects.filter(email="carol@alpha.example.com").exists()


def test_cancelled_invitation_says_so(client, owner, mailoutbox):
    invite(client, owner)
    invitation = Invitation.objects.get()

    cancelled = client.post(f"/team/invitations/{invitation.pk}/cancel/", HTTP_HOST=ALPHA,
                            follow=True)

    assert "Invitation of carol@alpha.example.com cancelled" in cancelled.content.decode()
    response = type(client)().get(urlsplit(accept_link(mailoutbox[0])).path, HTTP_HOST=ALPHA)
    assert response.status_code == 410
    assert "This invitation was cancelled" in response.content.decode()


def test_resend_mails_a_new_link_and_the_old_one_stops_working(client, owner, mailoutbox):
    invite(client, owner)
    invitation = Invitation.objects.get()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))

    response = client.post(f"/team/invitations/{invitation.pk}/resend/", HTTP_HOST=ALPHA,
                           follow=True)

    assert "Invitation sent again to carol@alpha.example.com" in response.content.decode()
    old, new = accept_link(mailoutbox[0]), accept_link(mailoutbox[1])
    assert old != new
    assert type(client)().get(urlsplit(old).path, HTTP_HOST=ALPHA).status_code == 404
    assert accept(type(client)(), new).status_code == 302


def test_unknown_invitation_link_is_404_with_an_explanation(client, tenant_a):
    response = client.get("/invitations/not-a-real-token/", HTTP_HOST=ALPHA)

    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_invitation_of_one_tenant_does_not_work_on_another(client, owner, tenant_b, mailoutbox):
    invite(client, owner)

    response = type(client)().get(urlsplit(accept_link(mailoutbox[0])).path,
                                  HTTP_HOST="beta.localhost")

    assert response.status_code == 404


def test_an_existing_member_cannot_be_invited(client, owner, mailoutbox):
    UserFactory(email="carol@alpha.example.com")

    response = invite(client, owner, email="Carol@Alpha.example.com")

    assert response.status_code == 400
    assert "carol@alpha.example.com is already a member of the team." in (
        response.content.decode())
    assert not Invitation.objects.exists() and not mailoutbox


def test_a_deactivated_member_is_to_be_reactivated_not_invited(client, owner):
    UserFactory(email="carol@alpha.example.com", is_active=False)

    response = invite(client, owner)

    assert "is a deactivated member: reactivate them instead" in response.content.decode()


def test_a_second_invitation_while_one_is_open_is_refused(client, owner, mailoutbox):
    invite(client, owner)

    response = invite(client, owner, role="admin")

    assert "was already invited on" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_inviting_again_after_expiry_replaces_the_expired_invitation(owner, mailoutbox):
    first, _ = invitation_create(email="carol@alpha.example.com", role="viewer", invited_by=owner)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    second, _ = invitation_create(email="carol@alpha.example.com", role="admin", invited_by=owner)

    first.refresh_from_db()
    assert first.cancelled_at is not None
    assert second.role == "admin" and second.is_pending


def test_an_admin_cannot_invite_an_owner(client, tenant_a, mailoutbox):
    admin = UserFactory(role=User.Role.ADMIN)

    response = invite(client, admin, role="owner")

    assert response.status_code == 400
    assert not Invitation.objects.exists() and not mailoutbox


def test_an_owner_can_invite_an_owner(client, owner, mailoutbox):
    invite(client, owner, role="owner")

    assert Invitation.objects.get().role == User.Role.OWNER


def test_an_admin_cannot_cancel_an_owners_invitation(client, owner, mailoutbox):
    invitation, _ = invitation_create(email="co-owner@alpha.example.com", role="owner",
                                      invited_by=owner)
    admin = UserFactory(role=User.Role.ADMIN)
    client.force_login(admin)

    response = client.post(f"/team/invitations/{invitation.pk}/cancel/", HTTP_HOST=ALPHA,
                           follow=True)

    assert "Only an owner can make someone an owner." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_viewer_cannot_invite(client, tenant_a, mailoutbox):
    viewer = UserFactory(role=User.Role.VIEWER)

    response = invite(client, viewer)

    assert response.status_code == 403
    assert not Invitation.objects.exists() and not mailoutbox


def test_different_passwords_are_shown_inline_and_nothing_is_created(client, owner, mailoutbox):
    invite(client, owner)

    response = accept(type(client)(), accept_link(mailoutbox[0]), password2="something-else-1")

    assert response.status_code == 200
    assert "The two passwords differ" in response.content.decode()
    assert 'value="Carol Chen"' in response.content.decode()
    assert not User.objects.filter(email="carol@alpha.example.com").exists()


def test_weak_password_is_shown_inline(client, owner, mailoutbox):
    invite(client, owner)

    response = accept(type(client)(), accept_link(mailoutbox[0]), password1="12345678",
                      password2="12345678")

    assert "This password is too common." in response.content.decode()
    assert Invitation.objects.get().is_pending


def test_mail_failure_keeps_the_invitation_and_says_to_resend(client, owner, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server refused the connection")

    monkeypatch.setattr("accounts.services.send_mail", refuse)

    response = invite(client, owner)

    assert "could not be sent" in response.content.decode()
    assert "Use Resend" in response.content.decode()
    assert Invitation.objects.get().is_pending
