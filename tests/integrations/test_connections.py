import pytest
from django.db import connection as db
from django.test import override_settings

from integrations import crypto
from integrations.models import Connection

pytestmark = pytest.mark.django_db

SECRET = "sk_live_0123456789abcdefSECRET"
TOKEN = "at_9876543210zyxwvuTOKEN"


def make_connection(**overrides) -> Connection:
    fields = {
        "name": "Brightpearl demo", "system": Connection.System.BRIGHTPEARL,
        "base_url": "http://127.0.0.1:8100/brightpearl", "account": "demo",
        "auth_type": Connection.AuthType.OAUTH2_CODE,
        "credentials": {"client_id": "clarity-connect", "client_secret": SECRET},
        "token": {"access_token": TOKEN, "refresh_token": "rt_abcdef123456"},
    }
    return Connection.objects.create(**{**fields, **overrides})


def _raw_row(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT row_to_json(c)::text FROM integrations_connection c WHERE id = %s",
                       [pk])
        return cursor.fetchone()[0]


def test_credentials_and_tokens_are_stored_encrypted(tenant_a):
    saved = make_connection()
    raw = _raw_row(saved.pk)
    assert SECRET not in raw
    assert TOKEN not in raw
    assert saved.webhook_secret not in raw
    assert "clarity-connect" not in raw


def test_credentials_read_back_decrypted(tenant_a):
    saved = make_connection()
    loaded = Connection.objects.get(pk=saved.pk)
    assert loaded.credentials["client_secret"] == SECRET
    assert loaded.token["access_token"] == TOKEN


def test_each_connection_gets_its_own_webhook_secret(tenant_a):
    first, second = make_connection(), make_connection(name="Second")
    assert len(first.webhook_secret) >= 40
    assert first.webhook_secret != second.webhook_secret


def test_public_summary_shows_only_masked_hints(tenant_a):
    summary = str(make_connection().public_summary())
    assert SECRET not in summary
    assert TOKEN not in summary
    assert "••••CRET" in summary


def test_rotated_key_still_reads_values_written_with_the_old_key(tenant_a):
    old_key, new_key = crypto.Fernet.generate_key().decode(), crypto.Fernet.generate_key().decode()
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[old_key]):
        saved = make_connection()
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new_key, old_key]):
        assert Connection.objects.get(pk=saved.pk).credentials["client_secret"] == SECRET
        rotated = crypto.rotate(crypto.encrypt_text("x"))
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new_key]):
        assert crypto.decrypt_text(rotated) == "x"


def test_value_encrypted_with_a_removed_key_gives_a_clear_error(tenant_a):
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[crypto.Fernet.generate_key().decode()]):
        saved = make_connection()
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[crypto.Fernet.generate_key().decode()]), \
            pytest.raises(crypto.DecryptionError, match="removed from CREDENTIALS_ENCRYPTION_KEYS"):
        Connection.objects.get(pk=saved.pk)


def test_mask_hides_short_secrets_entirely():
    assert crypto.mask("abc") == "••••"
    assert crypto.mask("") == ""


def test_rotate_command_reencrypts_so_the_old_key_can_be_removed(tenant_a):
    from django.core.management import call_command

    old_key, new_key = crypto.Fernet.generate_key().decode(), crypto.Fernet.generate_key().decode()
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[old_key]):
        saved = make_connection()
        secret = saved.webhook_secret
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("credentials_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new_key]):
        loaded = Connection.objects.get(pk=saved.pk)
        assert loaded.credentials["client_secret"] == SECRET
        assert loaded.token["access_token"] == TOKEN
        assert loaded.webhook_secret == secret
