"""Open invoicing: check who may launch, mint a fresh token upstream, audit every attempt."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext

from embedding.launch_audit import LaunchAttempt, launch_event_record
from embedding.models import LaunchEvent
from portal.compiled_select import connection_lost
from portal.throttle import CountUnavailable, throttle_hit
from spaceinvoices.client import (
    Conflict,
    Forbidden,
    NotFound,
    SpaceInvoicesError,
    Unauthorized,
)
from spaceinvoices.contract import INVITATION_PENDING, request_id_new
from spaceinvoices.factory import (
    account_client,
    call_budget_ahead,
    launch_key_name,
    launch_url,
)
from tenants.authentication import membership_of, membership_read_with_user
from tenants.encryption import DecryptionError
from tenants.launch_rules import launch_block, turned_off
from tenants.locking import CustomerBusy
from tenants.models import AccessMode, EntityApiKey, Membership, SyncState
from tenants.services import members_sync

logger = logging.getLogger(__name__)
# A launch never waits long for another run on its customer: it answers "try again".
LAUNCH_LOCK_WAIT = 2.0
Outcome = LaunchEvent.Outcome


@dataclass
class LaunchRefused(Exception):
    """A launch that cannot go ahead, with what the customer is told and the HTTP status."""

    outcome: str
    status: int
    title: str
    message: str
    upstream_status: int | None = None
    retry_after: int | None = None


def _unavailable(exc: SpaceInvoicesError | None = None) -> LaunchRefused:
    return LaunchRefused(
        Outcome.UNAVAILABLE,
        503,
        gettext("Invoicing is unavailable right now"),
        gettext("We could not reach the invoicing service. Please try again in a moment."),
        upstream_status=getattr(exc, "status", None),
        retry_after=30,
    )


def _not_counted() -> LaunchRefused:
    # Our own store, not Space Invoices, is out: the page does not blame the service.
    return LaunchRefused(
        Outcome.UNAVAILABLE,
        503,
        gettext("Invoicing is unavailable right now"),
        gettext("We have been told. Please try again in a moment."),
        retry_after=30,
    )


def _check(membership: Membership) -> None:
    block = launch_block(membership=membership)
    if block:
        raise LaunchRefused(block.reason, block.status, block.title, block.message)


def _not_member() -> LaunchRefused:
    # A plain 404, the same as for a customer that does not exist: nothing to learn from it.
    return LaunchRefused(Outcome.NOT_MEMBER, 404, "", "")


def _invited(upstream_status: int) -> LaunchRefused:
    # Space Invoices holds the member as invited; the portal never asks it to email them,
    # so the page cannot promise an email: staff resend the invitation when asked.
    return LaunchRefused(
        Outcome.INVITED,
        409,
        gettext("Your access is waiting for an invitation to be accepted"),
        gettext(
            "Invoicing still lists you as invited. If you have an invitation email from the "
            "invoicing service, accept it and try again; if not, ask %(email)s to send it."
        )
        % {"email": settings.PORTAL_SUPPORT_EMAIL},
        upstream_status=upstream_status,
    )


def _user_token(membership: Membership, attempt: LaunchAttempt) -> str:
    if membership.sync_state in (SyncState.PENDING, SyncState.FAILED) or not membership.si_user_id:
        # Never synced (or it failed): sync on the spot, then read where the member stands.
        try:
            members_sync(customer=membership.customer, lock_wait=LAUNCH_LOCK_WAIT)
        except CustomerBusy:
            raise _unavailable() from None  # another run is syncing them right now
        try:
            membership.refresh_from_db()
        except Membership.DoesNotExist:  # the sync finished their removal
            raise _not_member() from None
    if not membership.si_user_id:
        raise _unavailable()
    # An invited member may have accepted since the last sync: Space Invoices says which
    # (409 invitation_pending), so the mint is tried rather than refused from our record.
    client = account_client()
    try:
        with attempt.upstream_call():
            minted = client.user_token_create(
                membership.customer.entity_id,
                membership.si_user_id,
                ttl=settings.SPACEINVOICES_LAUNCH_TTL,
                request_id=attempt.request_id,
            )
    except Conflict as exc:
        if exc.code != INVITATION_PENDING:
            raise
        Membership.objects.filter(pk=membership.pk).update(sync_state=SyncState.INVITED)
        raise _invited(exc.status) from None
    except NotFound:
        # The user is gone upstream: the next launch syncs them back first.
        Membership.objects.filter(pk=membership.pk).update(
            si_user_id="", sync_state=SyncState.PENDING
        )
        raise
    if membership.sync_state == SyncState.INVITED:
        Membership.objects.filter(pk=membership.pk).update(
            sync_state=SyncState.SYNCED, invitation_id=""
        )
    return minted.token


def _key_token(membership: Membership, attempt: LaunchAttempt) -> str:
    customer = membership.customer
    try:
        stored = _stored_key(customer)
    except (EntityApiKey.DoesNotExist, DecryptionError):
        raise _key_needs_attention(customer) from None
    client = account_client().with_key(stored)
    try:
        with attempt.upstream_call():
            minted = client.key_token_create(
                customer.entity_id,
                ttl=settings.SPACEINVOICES_LAUNCH_TTL,
                # Tagged, so that the drift report tells it from a key made with it.
                name=launch_key_name(customer.entity_id),
                request_id=attempt.request_id,
            )
    except Unauthorized as exc:
        raise _key_needs_attention(customer, upstream_status=exc.status) from None
    return minted.token


def _stored_key(customer) -> str:
    """The customer's active key. Read again, once, on a new connection when the first
    was lost (a database restart since the session was read): a read is safe to repeat,
    and the attempt, counted already, goes on to its audit row instead of a 500."""
    try:
        return EntityApiKey.objects.active().get(customer=customer).key
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block or not connection_lost(connection):
            raise
    connection.close()  # the next query connects anew
    return EntityApiKey.objects.active().get(customer=customer).key


def _key_needs_attention(customer, upstream_status: int | None = None) -> LaunchRefused:
    """Flag the customer for partner staff (the admin shows it) and refuse with a 503: the
    stored key is missing, unreadable, or refused upstream; rotating or attaching fixes it."""
    logger.error(
        "stored entity key for customer %s is missing, unreadable or refused", customer.slug
    )
    type(customer).objects.filter(pk=customer.pk).update(key_rejected_at=timezone.now())
    return LaunchRefused(
        Outcome.KEY_REJECTED,
        503,
        gettext("Invoicing is unavailable right now"),
        gettext(
            "Invoicing for your company needs attention from our team; we have been told. "
            "Please try again later."
        ),
        upstream_status=upstream_status,
    )


@dataclass(frozen=True)
class Launch:
    """Where to send the browser; the URL carries the token, so it is never in a repr."""

    url: str = field(repr=False)
    mode: str
    # Records the outcome on the audit row (already durable, as started): called once the
    # server is done with the redirect, so that this write does not delay it.
    finish_audit: Callable[[], None] = field(repr=False)


def launch_token_create(*, user, slug: str, client_ip: str) -> Launch:
    """Open invoicing for ``user`` at customer ``slug``: the embed URL with a fresh token, or
    LaunchRefused saying why not (404 for a stranger, exactly as for no such customer).
    Every attempt is audited; the token never is."""
    # The mint's unit of Space Invoices' rate limit is taken ahead, in the same round trip
    # as the user's own count, and only by an attempt within the user's limit (decided on
    # the cache's server): a script's throttled attempts never touch the budget every
    # launch shares. A unit no request used (the stored key unreadable, say) is given back
    # when the block ends.
    with call_budget_ahead() as ahead:
        return _launch(user=user, slug=slug, client_ip=client_ip, ahead=ahead)


def _launch(*, user, slug: str, client_ip: str, ahead) -> Launch:
    # Only a launch that will call Space Invoices, as far as is known before counting (a
    # member, read with the user, and nothing blocking), takes its unit ahead: a stranger's
    # or a refused attempt never holds a unit of the budget every launch shares, not even
    # while it is audited (a burst of 404s made members wait a whole window).
    read, membership = membership_read_with_user(user=user, slug=slug)
    calls = read and membership is not None and launch_block(membership=membership) is None
    # Counted first, for every attempt, members' or not: past the limit nothing more is
    # looked up (on a request, the membership came with the user, in the same query) and
    # nothing is written, so a script cannot fill the audit (or probe slugs).
    try:
        verdict = throttle_hit(
            bucket="launch",
            key=str(user.pk),
            rate=settings.PORTAL_LAUNCH_RATE,
            count=ahead.count_with if calls else None,
        )
    except CountUnavailable as exc:
        # The limit is shared through Redis; unreachable, nothing can be counted, so
        # nothing is tried or written (an uncounted attempt could fill the audit).
        logger.error("launch by user %s not counted, the counter is unreachable: %s", user.pk, exc)
        raise _not_counted() from None
    if not verdict.allowed:
        if verdict.first_refusal:  # one audit row per window, whoever's slug it names
            launch_event_record(
                user_id=user.pk, slug=slug, outcome=Outcome.RATE_LIMITED, client_ip=client_ip
            )
        raise LaunchRefused(
            Outcome.RATE_LIMITED,
            429,
            gettext("Too many attempts"),
            gettext(
                "You opened invoicing many times in a short while. Please wait a moment, "
                "then try again."
            ),
            retry_after=verdict.retry_after,
        )
    if not read:
        membership = membership_of(user=user, slug=slug)
    if membership is None:
        launch_event_record(
            user_id=user.pk, slug=slug, outcome=Outcome.NOT_MEMBER, client_ip=client_ip
        )
        # Shown as the site's own 404 page, exactly as for a customer that does not exist.
        raise _not_member()
    url, attempt = _mint_for(membership, client_ip)
    return Launch(
        url=url,
        mode=membership.customer.access_mode,
        finish_audit=attempt.finish_after_response,
    )


def _mint_for(membership: Membership, client_ip: str) -> tuple[str, LaunchAttempt]:
    customer = membership.customer
    # The request id is ours, never from the browser.
    attempt = LaunchAttempt(
        membership=membership, client_ip=client_ip, request_id=request_id_new("launch")
    )
    try:
        _check(membership)
        mint = _user_token if customer.access_mode == AccessMode.USER else _key_token
        try:
            token = mint(membership, attempt)
        except Forbidden as exc:
            block = turned_off(customer)
            raise LaunchRefused(
                Outcome.INACTIVE, 403, block.title, block.message, upstream_status=exc.status
            ) from None
        except SpaceInvoicesError as exc:
            logger.warning("launch for %s failed upstream: %r", customer.slug, exc)
            raise _unavailable(exc) from None
    except LaunchRefused as refusal:
        attempt.finish(refusal.outcome, refusal.upstream_status)
        raise
    return launch_url(token), attempt
