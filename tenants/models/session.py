"""A signed-in session, stored with its user's id so that both are read in one round trip."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    """Django's database session, plus the signed-in user's id (None for a visitor's).

    The id is a copy of the session's own ``_auth_user_id``, written with it on every save;
    Django still reads the user from the session data and checks it (backend, password
    hash, active), so the column only lets the user's row come back with the session's.
    Deleting a user deletes their sessions (the ORM cascades; no database constraint, so
    that a session saved while its user is being deleted never fails the request)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls):
        from tenants.sessions import SessionStore

        return SessionStore
