"""Encryption of stored secrets: Fernet tokens through a MultiFernet over FIELD_ENCRYPTION_KEYS."""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """A stored value that no configured key decrypts; never carries the ciphertext."""


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, list[Fernet]]:
    fernets = [Fernet(k) for k in keys]
    return MultiFernet(fernets), fernets


def _keys() -> tuple[MultiFernet, list[Fernet]]:
    # The first key encrypts, every key decrypts; keyed by the list so a change takes effect.
    return _fernets(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _keys()[0].encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    # Never with a TTL: a key stored years ago is still the key.
    try:
        return _keys()[0].decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise DecryptionError(
            "A stored secret could not be decrypted with any key in FIELD_ENCRYPTION_KEYS "
            "(was a key removed too early, or the value tampered with?)."
        ) from None


def readable(token: str) -> bool:
    """Whether some configured key decrypts ``token`` (the plaintext is thrown away)."""
    try:
        decrypt(token)
    except DecryptionError:
        return False
    return True


def reencrypted(token: str) -> str | None:
    """``token`` under the first key, or None when it already is (each key tried once)."""
    first, *older_keys = _keys()[1]
    try:
        first.decrypt(token.encode())
        return None
    except (InvalidToken, ValueError, TypeError):
        pass
    for older in older_keys:
        try:
            return first.encrypt(older.decrypt(token.encode())).decode()
        except (InvalidToken, ValueError, TypeError):
            continue
    raise DecryptionError("A stored secret could not be decrypted for re-encryption.")


class EncryptedTextField(models.TextField):
    """Python value: the secret. Database value: a standard Fernet token."""

    description = "Text encrypted with Fernet"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            # Fernet is randomised: equality on ciphertext could never match.
            raise TypeError(f"{self.name} is encrypted and cannot be filtered by {lookup_name}")
        return super().get_lookup(lookup_name)
