"""Encrypted entity keys: Fernet tokens at rest, typed errors, rotation of encryption keys."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tenants.encryption import DecryptionError, reencrypted
from tenants.models import EntityApiKey

SECRET = "ek_sandbox_" + "c0ffee" * 5 + "ab"


def raw_value(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {EntityApiKey._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def stored_key(make_customer):
    customer = make_customer()
    return EntityApiKey.objects.create(
        customer=customer, key=SECRET, prefix_hint="ek_sandbox_c0f...fab"
    )


def test_column_holds_a_standard_fernet_token_not_the_key(stored_key, settings):
    raw = raw_value(stored_key.pk)
    assert SECRET not in raw and raw.startswith("gAAAAA")
    # Any Fernet implementation with the key reads it.
    assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(raw.encode()).decode() == SECRET
    assert EntityApiKey.objects.get(pk=stored_key.pk).key == SECRET
    assert SECRET not in repr(stored_key) and SECRET not in str(stored_key)


def test_old_keys_still_decrypt_after_a_new_key_is_added(stored_key, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert EntityApiKey.objects.get(pk=stored_key.pk).key == SECRET
    assert reencrypted(raw_value(stored_key.pk)) is not None  # not yet under the new key


def test_a_value_no_key_decrypts_raises_a_typed_error(stored_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError) as caught:
        EntityApiKey.objects.get(pk=stored_key.pk)
    assert "gAAAAA" not in str(caught.value)


def test_tampered_ciphertext_raises_a_typed_error(stored_key):
    raw = raw_value(stored_key.pk)
    tampered = raw[:-6] + ("A" if raw[-6] != "A" else "B") + raw[-5:]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {EntityApiKey._meta.db_table} SET key = %s WHERE id = %s",
            [tampered, stored_key.pk],
        )
    with pytest.raises(DecryptionError):
        EntityApiKey.objects.get(pk=stored_key.pk)


def test_encrypted_field_cannot_be_filtered_by_value(stored_key):
    with pytest.raises(TypeError):
        list(EntityApiKey.objects.filter(key=SECRET))
