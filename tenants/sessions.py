"""Sessions in the database with their user's id: on a launch, the session, its user and the
user's membership of the customer come back in one round trip (``SESSION_ENGINE``)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from tenants.authentication import session_get, session_read_with_user
from tenants.models import UserSession


class SessionStore(DatabaseSessionStore):
    """Django's database store (``UserSession`` rows), the session read by SQL compiled once.

    ``membership_wanted`` (a customer's slug, set before the session is first read, as
    ``embedding.launch_user`` does on a launch) makes that read bring the signed-in user
    and their membership of that customer too, kept in ``read_with_user`` for
    ``tenants.authentication`` (which still makes every check Django makes)."""

    membership_wanted: str | None = None
    read_with_user = None  # (user or None, membership or None), when read with the session

    @classmethod
    def get_model_class(cls):
        return UserSession

    def _validate_session_key(self, key):
        # Django makes keys of lower-case letters and digits only; any other cookie value
        # is no session (a NUL byte would otherwise reach PostgreSQL, which refuses it:
        # a 500 on every page for that browser).
        return super()._validate_session_key(key) and key.isascii() and key.isalnum()

    def _get_session_from_db(self):
        key, now = self.session_key, timezone.now()
        if self.membership_wanted is None:
            found = session_get(session_key=key, now=now)
        else:
            found, *self.read_with_user = session_read_with_user(
                session_key=key, now=now, slug=self.membership_wanted
            )
        if found is None:
            self._session_key = None
        return found

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = _user_id(data.get(SESSION_KEY))
        return session


def _user_id(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):  # not a user id this portal wrote: no user to read with it
        return None
