"""The portal's user: a unique email is the login (no username)."""

import unicodedata

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email__iexact=email)


# RFC 5321's limit; also the column's width, so a longer address is refused on the form.
EMAIL_MAX_LENGTH = 254


def _stands_in_for_ascii(char: str) -> bool:
    """A non-ASCII letter that case mapping or compatibility folding turns into plain ones
    (the long s, the Kelvin sign, full-width letters, the dotless and the dotted i; ß too,
    which folds to "ss"): case-insensitive lookups take it for another address."""
    if char.isascii():
        return False
    lower = "".join(
        c for c in unicodedata.normalize("NFD", char.lower()) if not unicodedata.combining(c)
    )
    return (
        unicodedata.normalize("NFKC", char).casefold().isascii()
        or char.upper().isascii()
        or (lower.isascii() and unicodedata.normalize("NFD", char)[0] != lower)
    )


def email_characters_check(value: str) -> None:
    """Refuse invisible and control characters (a zero-width space makes a second account
    that looks like the first, and mail delivery drops it: the link reaches the other),
    look-alikes of plain letters, and a domain in brackets (a bare IP address)."""
    if any(unicodedata.category(c)[0] in "CZ" for c in value):
        raise ValidationError(
            _("This address holds a space, an invisible or a control character; type it again."),
            code="email_characters",
        )
    # A letter that stands in for a plain one (the long s for s, the Kelvin sign for k,
    # full-width letters): another account that reads like the first, and that lookups
    # folding case take for it (U+017F "staff@" is "staff@" to them).
    if any(_stands_in_for_ascii(c) for c in value):
        raise ValidationError(
            _("This address holds a look-alike of a plain letter; type it again."),
            code="email_characters",
        )
    # user@[10.0.0.1] and user@localhost: valid, but no colleague's address; our mail relay
    # would deliver the welcome link to whatever host that is, inside the partner's network.
    domain = value.rpartition("@")[2]
    if domain.startswith("[") or "." not in domain.strip("."):
        raise ValidationError(
            _(
                "Give an address at an internet domain, not at a bare IP address or a local "
                "name such as localhost."
            ),
            code="email_characters",
        )


class User(AbstractUser):
    username = None
    email = models.EmailField(
        _("email address"),
        unique=True,
        max_length=EMAIL_MAX_LENGTH,
        validators=[email_characters_check],
    )
    # Saved by the language switcher; blank until they choose (then the browser's decides).
    # Free text against settings.LANGUAGES, which a partner may narrow after it was saved.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # How many times every session of the user was ended (deactivation, offboarding): part
    # of the session hash, so that a session signed in before (a login racing the
    # deactivation included) never counts again, even once the user is active again.
    # Raised only by an UPDATE with F(); a full save never writes it (see save()).
    sessions_ended = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        permissions = [("activate_user", "Can activate and deactivate users")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        # One spelling per address: ANA@… beside ana@… would be a second account, and a
        # sign-in by either then finds two.
        self.email = self.email.lower()

    def save(self, *args, **kwargs):
        # A full save of a user read earlier (a password change, the admin's form) writes
        # every field as it was read: it would undo a deactivation made meanwhile, and the
        # sessions it ended. These two are written only when named (update_fields) or by
        # an UPDATE of their own; a new user's row is written whole.
        if not self._state.adding and not args and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in _WRITTEN_ONLY_WHEN_NAMED
            ]
        super().save(*args, **kwargs)

    def get_session_auth_hash(self) -> str:
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for fallback in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback)

    def _session_hash(self, *, secret) -> str:
        if not self.sessions_ended:
            # Django's own value (its salt, the password hash alone): sessions signed in
            # before this field existed stay signed in.
            salt, value = _DJANGO_SESSION_SALT, self.password
        else:
            salt, value = "tenants.User.session_hash", f"{self.password}:{self.sessions_ended}"
        return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()


_DJANGO_SESSION_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
_WRITTEN_ONLY_WHEN_NAMED = frozenset({"is_active", "sessions_ended"})
