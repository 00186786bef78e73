"""The team page: members, roles, deactivation, and the rules that keep a tenant owned."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.services import member_deactivate, member_reactivate, member_set_role
from tests.conftest import TEST_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"


@pytest.fixture
def owner(tenant_a) -> User:
    return User.objects.get(email="owner@alpha.example.com")


def signed_in(client, user: User):
    client.force_login(user)
    return client


def post(client, path: str, data: dict | None = None):
    return client.post(path, data or {}, HTTP_HOST=ALPHA, follow=True)


def page_of(response) -> str:
    return response.content.decode()


def test_team_page_lists_members_with_role_and_status(client, owner):
    UserFactory(email="ann@alpha.example.com", full_name="Ann Admin", role=User.Role.ADMIN)
    UserFactory(email="gone@alpha.example.com", role=User.Role.VIEWER, is_active=False)

    page = page_of(signed_in(client, owner).get("/team/", HTTP_HOST=ALPHA))

    assert "Ann Admin" in page and "ann@alpha.example.com" in page
    assert "gone@alpha.example.com" in page and "Deactivated" in page
    assert "owner@alpha.example.com" in page and "(you)" in page


def test_viewer_sees_the_team_without_any_way_to_change_it(client, tenant_a):
    viewer = UserFactory(role=User.Role.VIEWER)
    UserFactory(email="ann@alpha.example.com")

    page = page_of(signed_in(client, viewer).get("/team/", HTTP_HOST=ALPHA))

    assert "ann@alpha.example.com" in page
    assert "<form method=\"post\" action=\"/team/" not in page
    assert "Invite a colleague" not in page
    assert "You are a viewer" in page


def test_viewer_cannot_change_a_role(client, tenant_a):
    viewer = UserFactory(role=User.Role.VIEWER)
    ann = UserFactory(role=User.Role.ADMIN)

    response = signed_in(client, viewer).post(f"/team/members/{ann.pk}/role/",
                                              {"role": "viewer"}, HTTP_HOST=ALPHA)

    assert response.status_code == 403
    ann.refresh_from_db()
    assert ann.role == User.Role.ADMIN


def test_admin_makes_an_admin_a_viewer(client, tenant_a):
    admin = UserFactory(role=User.Role.ADMIN)
    ann = UserFactory(email="ann@alpha.example.com", role=User.Role.ADMIN)

    response = post(signed_in(client, admin), f"/team/members/{ann.pk}/role/", {"role": "viewer"})

    assert "ann@alpha.example.com is now viewer." in page_of(response)
    ann.refresh_from_db()
    assert ann.role == User.Role.VIEWER


def test_only_an_owner_can_make_someone_an_owner(client, owner):
    admin = UserFactory(role=User.Role.ADMIN)
    ann = UserFactory(role=User.Role.ADMIN)

    response = post(signed_in(client, admin), f"/team/members/{ann.pk}/role/", {"role": "owner"})

    assert "Only an owner can make someone an owner." in page_of(response)
    ann.refresh_from_db()
    assert ann.role == User.Role.ADMIN
    member_set_role(member=ann, role=User.Role.OWNER, by=owner)
    assert ann.role == User.Role.OWNER


def test_an_admin_cannot_demote_an_owner(client, owner):
    admin = UserFactory(role=User.Role.ADMIN)
    UserFactory(role=User.Role.OWNER)

    response = post(signed_in(client, admin), f"/team/members/{owner.pk}/role/",
                    {"role": "viewer"})

    assert "Only an owner can change another owner" in page_of(response)
    owner.refresh_from_db()
    assert owner.role == User.Role.OWNER


def test_the_last_active_owner_cannot_be_demoted(client, owner):
    response = post(signed_in(client, owner), f"/team/members/{owner.pk}/role/",
                    {"role": "admin"})

    assert "is the only owner: make someone else an owner first" in page_of(response)
    owner.refresh_from_db()
    assert owner.role == User.Role.OWNER


def test_a_deactivated_owner_does_not_count_as_the_other_owner(owner):
    UserFactory(role=User.Role.OWNER, is_active=False)

    with pytest.raises(ValidationError, match="only owner"):
        member_set_role(member=owner, role=User.Role.ADMIN, by=owner)


def test_an_owner_steps_down_when_another_owner_remains(owner):
    UserFactory(role=User.Role.OWNER)

    member_set_role(member=owner, role=User.Role.ADMIN, by=owner)

    owner.refresh_from_db()
    assert owner.role == User.Role.ADMIN


def test_the_last_active_owner_cannot_be_deactivated(owner):
    other_owner = UserFactory(role=User.Role.OWNER, is_active=False)

    with pytest.raises(ValidationError, match="only owner and cannot be deactivated"):
        member_deactivate(member=owner, by=other_owner)
    owner.refresh_from_db()
    assert owner.is_active


def test_an_admin_cannot_deactivate_an_owner(client, owner):
    admin = UserFactory(role=User.Role.ADMIN)
    UserFactory(role=User.Role.OWNER)

    response = post(signed_in(client, admin), f"/team/members/{owner.pk}/deactivate/")

    assert "Only an owner can deactivate an owner." in page_of(response)
    owner.refresh_from_db()
    assert owner.is_active


def test_nobody_can_deactivate_themselves(client, tenant_a):
    admin = UserFactory(role=User.Role.ADMIN)

    response = post(signed_in(client, admin), f"/team/members/{admin.pk}/deactivate/")

    assert "You cannot deactivate yourself." in page_of(response)


def test_a_deactivated_member_is_signed_out_and_cannot_sign_in(client, owner):
    ann = UserFactory(email="ann@alpha.example.com", role=User.Role.ADMIN)
    ann_client = signed_in(type(client)(), ann)
    assert ann_client.get("/team/", HTTP_HOST=ALPHA).status_code == 200

    response = post(signed_in(client, owner), f"/team/members/{ann.pk}/deactivate/")

    assert "ann@alpha.example.com was deactivated" in page_of(response)
    assert ann_client.get("/team/", HTTP_HOST=ALPHA).status_code == 302
    refused = type(client)().post("/login/", {"username": "ann@alpha.example.com",
                                              "password": TEST_PASSWORD}, HTTP_HOST=ALPHA)
    assert refused.status_code == 200


def test_a_deactivated_member_can_be_reactivated(client, owner):
    ann = UserFactory(is_active=False)

    response = post(signed_in(client, owner), f"/team/members/{ann.pk}/reactivate/")

    assert f"{ann.email} can sign in again." in page_of(response)
    ann.refresh_from_db()
    assert ann.is_active


def test_an_admin_cannot_reactivate_an_owner(owner):
    admin = UserFactory(role=User.Role.ADMIN)
    gone_owner = UserFactory(role=User.Role.OWNER, is_active=False)

    with pytest.raises(ValidationError, match="Only an owner"):
        member_reactivate(member=gone_owner, by=admin)


def test_an_unknown_role_is_refused_with_a_message(client, owner):
    ann = UserFactory()

    response = post(signed_in(client, owner), f"/team/members/{ann.pk}/role/", {"role": "boss"})

    assert "Choose owner, admin or viewer." in page_of(response)


def test_team_changes_are_post_only(client, owner):
    ann = UserFactory()

    response = signed_in(client, owner).get(f"/team/members/{ann.pk}/deactivate/",
                                            HTTP_HOST=ALPHA)

    assert response.status_code == 405
