"""Password reset by email, on the tenant's own domain."""

from urllib.parse import urlsplit

import pytest

from accounts.models import User
from tests.conftest import inside

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
OWNER = "owner@alpha.example.com"
NEW_PASSWORD = "quiet-meadow-copper-7"


def ask_for_reset(client, email: str = OWNER, host: str = ALPHA, **extra):
    return client.post("/password-reset/", {"email": email}, HTTP_HOST=host, **extra)


def reset_link(mail) -> str:
    return next(line.strip() for line in mail.body.splitlines() if "/password-reset/" in line)


def choose_password(client, link: str, password: str = NEW_PASSWORD, host: str | None = None):
    url = urlsplit(link)
    host = host or url.hostname
    # Django swaps the token in the URL for one kept in the session, then shows the form.
    form_page = client.get(url.path, HTTP_HOST=host, follow=True)
    return client.post(form_page.request["PATH_INFO"],
                       {"new_password1": password, "new_password2": password}, HTTP_HOST=host)


def test_login_page_links_to_password_reset(client, tenant_a):
    page = client.get("/login/", HTTP_HOST=ALPHA).content.decode()
    assert 'href="/password-reset/"' in page and "Forgotten your password?" in page


def test_reset_email_links_to_the_tenants_own_domain(client, tenant_a, mailoutbox):
    response = ask_for_reset(client)

    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    (mail,) = mailoutbox
    assert mail.to == [OWNER]
    assert "Alpha Retail" in mail.subject
    assert reset_link(mail).startswith("http://alpha.localhost:8000/password-reset/")


def test_reset_link_ignores_the_port_and_scheme_of_the_request(client, tenant_a, mailoutbox):
    ask_for_reset(client, host="alpha.localhost:6666", secure=True)

    assert reset_link(mailoutbox[0]).startswith("http://alpha.localhost:8000/")


def test_following_the_link_sets_a_new_password(client, tenant_a, mailoutbox):
    ask_for_reset(client)

    response = choose_password(client, reset_link(mailoutbox[0]))

    assert response.status_code == 302 and response["Location"] == "/password-reset/done/"
    assert User.objects.get(email=OWNER).check_password(NEW_PASSWORD)
    done = client.get("/password-reset/done/", HTTP_HOST=ALPHA).content.decode()
    assert "Password changed" in done


def test_a_reset_link_works_only_once(client, tenant_a, mailoutbox):
    ask_for_reset(client)
    link = reset_link(mailoutbox[0])
    choose_password(client, link)

    page = client.get(urlsplit(link).path, HTTP_HOST=ALPHA, follow=True).content.decode()

    assert "This link cannot be used" in page


def test_unknown_email_gets_the_same_answer_and_no_mail(client, tenant_a, mailoutbox):
    response = ask_for_reset(client, email="nobody@alpha.example.com")

    assert response["Location"] == "/password-reset/sent/"
    assert not mailoutbox


def test_a_user_of_another_tenant_gets_no_mail(client, tenant_a, tenant_b, mailoutbox):
    ask_for_reset(client, host="beta.localhost")

    assert not mailoutbox


def test_deactivated_member_gets_no_reset_mail(client, tenant_a, mailoutbox):
    User.objects.filter(email=OWNER).update(is_active=False)

    ask_for_reset(client)

    assert not mailoutbox


def test_alphas_reset_link_does_nothing_on_beta(client, tenant_a, tenant_b, mailoutbox):
    ask_for_reset(client)

    response = choose_password(client, reset_link(mailoutbox[0]), host="beta.localhost")

    assert "This link cannot be used" in response.content.decode()
    with inside(tenant_a):
        assert not User.objects.get(email=OWNER).check_password(NEW_PASSWORD)
