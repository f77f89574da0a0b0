"""Encryption of stored secrets: Fernet tokens through a MultiFernet over FIELD_ENCRYPTION_KEYS."""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """A stored value that no configured key decrypts; never carries the ciphertext."""


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(k) for k in keys]
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[MultiFernet, Fernet]:
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


def is_current(token: str) -> bool:
    """True when the first (encrypting) key alone decrypts ``token``: nothing to re-encrypt."""
    try:
        _keys()[1].decrypt(token.encode())
    except (InvalidToken, ValueError, TypeError):
        return False
    return True


def rotate(token: str) -> str:
    """The same secret, encrypted under the first key."""
    try:
        return _keys()[0].rotate(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise DecryptionError("A stored secret could not be decrypted for re-encryption.") from None


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
