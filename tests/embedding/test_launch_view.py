"""POST /customers/<slug>/open-invoicing/: every outcome, proven by the simulator's counts."""

import datetime as dt
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from embedding.models import LaunchEvent
from tenants.models import Customer, EntityApiKey, Membership, SyncState, User, UserSession
from tenants.services import customer_disable, members_sync
from tests.fixtures_portal import post_unsent, user_invited_upstream

pytestmark = pytest.mark.django_db


def launch_url(slug: str) -> str:
    return reverse("open_invoicing", args=[slug])


def unmasked(html: bytes) -> bytes:
    """The page without what differs per request and says nothing of the customer: the CSRF
    token, and the language switcher's way back (the path the browser itself asked for)."""
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    return re.sub(rb'name="next" value="[^"]+"', b"", html)


def minted(simulator) -> int:
    return simulator.stats()["tokens_minted"]


def test_user_mode_launch_redirects_to_the_embed_with_a_fresh_token(login_as, acme, simulator):
    response = login_as("bo@acme.example").post(launch_url("acme"))
    assert response.status_code == 303
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == simulator.embed_url
    [token] = parse_qs(target.query)["token"]
    page = requests.get(simulator.embed_url, params={"token": token}, timeout=10)
    assert page.status_code == 200
    assert 'id="entity"' in page.text and "Acme d.o.o." in page.text
    assert 'id="user">bo@acme.example<' in page.text and 'id="role">viewer<' in page.text
    event = LaunchEvent.objects.get()
    assert (event.outcome, event.mode, event.upstream_status) == ("launched", "user", 201)
    assert event.client_ip == "127.0.0.1" and event.request_id.startswith("portal:launch:")
    assert token not in str(LaunchEvent.objects.values().get())


def test_key_mode_launch_uses_a_short_lived_key_not_the_stored_one(login_as, globex, simulator):
    response = login_as("cy@globex.example").post(launch_url("globex"))
    assert response.status_code == 303
    [token] = parse_qs(urlsplit(response["Location"]).query)["token"]
    stored = EntityApiKey.objects.active().get(customer=globex).key
    assert token != stored and token.startswith("ek_sandbox_")
    page = requests.get(simulator.embed_url, params={"token": token}, timeout=10)
    assert "entity API key session" in page.text
    assert minted(simulator) == 1


def test_key_mode_refuses_a_role_below_the_floor(login_as, globex, simulator):
    response = login_as("dee@globex.example").post(launch_url("globex"))
    assert response.status_code == 403
    assert b"needs the editor role or higher" in response.content
    assert minted(simulator) == 0
    assert LaunchEvent.objects.get().outcome == "role_too_low"


def test_floor_is_a_setting(login_as, globex, simulator, settings):
    settings.PORTAL_KEY_MODE_MIN_ROLE = "viewer"
    assert login_as("dee@globex.example").post(launch_url("globex")).status_code == 303


def test_anonymous_goes_to_login(client, login_as, acme, simulator):
    response = client.post(launch_url("acme"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert minted(simulator) == 0


def test_not_a_member_is_404_exactly_as_no_such_customer(
    client, login_as, acme, globex, simulator, caplog
):
    from portal.request_log import FieldsFormatter

    login_as("bo@acme.example")
    with caplog.at_level("INFO", logger="portal.request"):
        foreign = client.post(launch_url("globex"))
        missing = client.post(launch_url("no-such-customer"))
    lines = [
        FieldsFormatter("%(message)s").format(r)
        for r in caplog.records
        if r.name == "portal.request"
    ]
    assert len(lines) == 2 and all("launch_outcome=not_member" in line for line in lines)
    assert foreign.status_code == missing.status_code == 404
    assert foreign["Cache-Control"] == missing["Cache-Control"] == "no-store"
    # The same page, byte for byte, but for the per-response CSRF mask.
    assert unmasked(foreign.content) == unmasked(missing.content)
    assert minted(simulator) == 0
    assert (
        list(LaunchEvent.objects.values_list("outcome", "mode", "request_id"))
        == [("not_member", "", "")] * 2
    )  # nothing was asked of Space Invoices


def test_get_mints_nothing(login_as, acme, simulator):
    response = login_as("bo@acme.example").get(launch_url("acme"))
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert b"Open invoicing" in response.content
    assert minted(simulator) == 0


def test_no_csrf_token_is_refused(acme, simulator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(email="bo@acme.example"))
    response = client.post(launch_url("acme"))
    assert response.status_code == 403 and b"security check" in response.content
    assert minted(simulator) == 0


def test_rate_limit_gives_a_branded_429(client, login_as, acme, simulator, settings):
    settings.PORTAL_LAUNCH_RATE = "2/m"
    login_as("bo@acme.example")
    assert [client.post(launch_url("acme")).status_code for _ in range(2)] == [303, 303]
    limited = client.post(launch_url("acme"))
    assert limited.status_code == 429 and int(limited["Retry-After"]) <= 60
    assert b"Too many attempts" in limited.content
    assert minted(simulator) == 2


def test_inactive_customer_is_refused(login_as, acme, simulator):
    customer_disable(customer=acme, actor="t")
    response = login_as("bo@acme.example").post(launch_url("acme"))
    assert response.status_code == 403 and b"turned off" in response.content
    assert minted(simulator) == 0


def test_entity_disabled_upstream_only_is_refused_too(login_as, acme, simulator, account_key):
    simulator.api("POST", f"/entities/{acme.entity_id}/disable", account_key)
    response = login_as("bo@acme.example").post(launch_url("acme"))
    assert response.status_code == 403 and b"turned off" in response.content


def test_not_provisioned_is_409(login_as, make_customer, make_member, simulator):
    customer = make_customer(slug="fresh")
    make_member(customer, "new@fresh.example", "admin")
    response = login_as("new@fresh.example").post(launch_url("fresh"))
    assert response.status_code == 409 and b"still being set up" in response.content
    assert minted(simulator) == 0


def test_invited_member_is_409(login_as, acme, make_member, simulator, account_key, settings):
    settings.PORTAL_SUPPORT_EMAIL = "help@ledger.example"
    user_invited_upstream(simulator, account_key, acme.entity_id, "inv@acme.example")
    member = make_member(acme, "inv@acme.example", "viewer")
    members_sync(customer=acme)
    # Our record is stale (it says in step); the mint's 409 tells the truth and is kept.
    type(member).objects.filter(pk=member.pk).update(sync_state=SyncState.SYNCED)
    response = login_as("inv@acme.example").post(launch_url("acme"))
    member.refresh_from_db()
    assert member.sync_state == SyncState.INVITED
    page = response.content.decode()
    assert response.status_code == 409
    assert "<h1>Your access is waiting for an invitation to be accepted</h1>" in page
    assert (
        "Invoicing still lists you as invited. If you have an invitation email from the "
        "invoicing service, accept it and try again; if not, ask help@ledger.example to send "
        "it." in page
    )
    assert minted(simulator) == 0
    # Space Invoices' own answer is on the record: the refusal was its, not ours.
    assert list(LaunchEvent.objects.values_list("outcome", "upstream_status")) == [("invited", 409)]


def test_never_synced_member_is_synced_on_the_spot(login_as, acme, make_member, simulator):
    member = make_member(acme, "late@acme.example", "editor")
    response = login_as("late@acme.example").post(launch_url("acme"))
    assert response.status_code == 303
    member.refresh_from_db()
    assert member.sync_state == SyncState.SYNCED and member.si_user_id
    assert minted(simulator) == 1


@pytest.mark.parametrize(
    "fault",
    [{"status": 503}, {"delay_ms": 3000}, {"drop": "before"}, {"malformed": True}],
    ids=["503", "slow", "dropped", "malformed"],
)
def test_upstream_trouble_is_a_branded_503_with_retry(
    login_as, acme, simulator, settings, fault, caplog
):
    settings.SPACEINVOICES_TIMEOUT = 0.5
    simulator.fault(path_prefix="/entities/users/", method="POST", count=9, **fault)
    with caplog.at_level("WARNING", logger="embedding.services"):
        response = login_as("bo@acme.example").post(launch_url("acme"))
    [logged] = [r.getMessage() for r in caplog.records if r.name == "embedding.services"]
    assert re.match(r"^launch for acme failed upstream: \w+\(status=", logged)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Invoicing is unavailable right now" in body and "Try again" in body
    assert "Traceback" not in body
    assert LaunchEvent.objects.get().outcome == "unavailable"


def test_stored_key_rejected_is_503_and_flags_the_customer(login_as, globex, simulator, caplog):
    key = EntityApiKey.objects.active().get(customer=globex).key
    simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    with caplog.at_level("ERROR", logger="embedding.services"):
        response = login_as("cy@globex.example").post(launch_url("globex"))
    assert response.status_code == 503
    # Staff are told which customer, in words an operator can search the logs for.
    assert [r.getMessage() for r in caplog.records if r.name == "embedding.services"] == [
        f"stored entity key for customer {globex.slug} is missing, unreadable or refused"
    ]
    globex.refresh_from_db()
    assert globex.key_rejected_at is not None
    assert LaunchEvent.objects.get().outcome == "key_rejected"


def test_queries_per_launch(client, login_as, globex, acme, simulator):
    login_as("cy@globex.example")
    client.post(launch_url("globex"))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = post_unsent(client, launch_url("globex"))
        assert response.status_code == 303
        before_sent = len(queries)
        response.close()
    sql = [q["sql"] for q in queries]
    # Before the redirect goes out: the session with its user and membership (and the
    # membership's customer) in one statement, the key, the audit row (started). Once it is
    # sent: the row's outcome.
    assert before_sent == 3, sql
    assert len(queries) == before_sent + 1 and re.search(r"\bUPDATE\b", sql[-1]), sql
    tables = (UserSession._meta.db_table, f'"{User._meta.db_table}"', Membership._meta.db_table)
    assert [q for q in sql if all(table in q for table in tables)] == sql[:1], sql


def audit_row() -> dict:
    return LaunchEvent.objects.values(
        "user__email", "customer__slug", "customer_slug", "mode", "outcome", "upstream_status",
        "client_ip",
    ).get()  # fmt: skip


@pytest.mark.parametrize(
    ("email", "slug", "prepare", "status", "outcome", "upstream"),
    [
        ("dee@globex.example", "globex", None, 403, "role_too_low", None),
        ("cy@globex.example", "globex", "inactive", 403, "inactive", None),
        ("cy@globex.example", "globex", "unprovisioned", 409, "not_provisioned", None),
        ("cy@globex.example", "globex", "disabled_upstream", 403, "inactive", 403),
        ("cy@globex.example", "globex", "key_deleted", 503, "key_rejected", 401),
        ("cy@globex.example", "globex", "down", 503, "unavailable", 503),
    ],
)
def test_every_refusal_is_audited_in_full(
    login_as, globex, simulator, account_key, email, slug, prepare, status, outcome, upstream
):
    key = EntityApiKey.objects.active().get(customer=globex).key
    if prepare == "inactive":
        type(globex).objects.filter(pk=globex.pk).update(is_active=False)
    elif prepare == "unprovisioned":
        type(globex).objects.filter(pk=globex.pk).update(provisioning_state="failed")
    elif prepare == "disabled_upstream":
        simulator.api("POST", f"/entities/{globex.entity_id}/disable", account_key)
    elif prepare == "key_deleted":
        simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    elif prepare == "down":
        simulator.fault(path_prefix="/entities/api-keys", method="POST", status=503, count=9)
    response = login_as(email).post(launch_url(slug), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == status
    assert audit_row() == {
        "user__email": email,
        "customer__slug": slug,
        "customer_slug": slug,
        "mode": "api_key",
        "outcome": outcome,
        "upstream_status": upstream,
        "client_ip": "10.1.2.3",
    }
    # The attempt's own id, in the row as in any log line about it.
    assert LaunchEvent.objects.get().request_id.startswith("portal:launch:")
    globex.refresh_from_db()
    assert (globex.key_rejected_at is not None) == (outcome == "key_rejected")
    assert minted(simulator) == 0


@pytest.mark.parametrize(
    ("email", "prepare", "title", "text"),
    [
        ("dee@globex.example", None, "Your role cannot open invoicing",
         "Opening invoicing for Globex GmbH needs the editor role or higher; yours is viewer. "
         "Ask an admin of your team."),
        ("cy@globex.example", "inactive", "Invoicing is turned off",
         "To have it turned on again for Globex GmbH, please contact support@example.com."),
        ("cy@globex.example", "unprovisioned", "Invoicing is not set up yet",
         "Invoicing for Globex GmbH is still being set up. Please try again later."),
        ("cy@globex.example", "down", "Invoicing is unavailable right now",
         "We could not reach the invoicing service. Please try again in a moment."),
        ("cy@globex.example", "key_deleted", "Invoicing is unavailable right now",
         "Invoicing for your company needs attention from our team; we have been told. "
         "Please try again later."),
    ],
)  # fmt: skip
def test_each_refusal_page_says_why(login_as, globex, simulator, settings, email, prepare, title,
                                    text):  # fmt: skip
    settings.PORTAL_SUPPORT_EMAIL = "support@example.com"
    if prepare == "inactive":
        type(globex).objects.filter(pk=globex.pk).update(is_active=False)
    elif prepare == "unprovisioned":
        type(globex).objects.filter(pk=globex.pk).update(provisioning_state="failed")
    elif prepare == "down":
        simulator.fault(path_prefix="/entities/api-keys", method="POST", status=503, count=9)
    elif prepare == "key_deleted":
        key = EntityApiKey.objects.active().get(customer=globex).key
        simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    page = login_as(email).post(launch_url("globex")).content.decode()
    assert f"<h1>{title}</h1>" in page or f">{title}<" in page
    assert f"<p>{text}" in page and f"{text}</p>" in page  # the whole paragraph, no more


def test_a_launch_mints_with_its_own_request_id_and_the_configured_ttl(
    login_as, acme, simulator, settings
):
    settings.SPACEINVOICES_LAUNCH_TTL = 300
    assert login_as("bo@acme.example").post(launch_url("acme")).status_code == 303
    event = LaunchEvent.objects.get()
    assert simulator.request_ids("POST /entities/users/{id}/token") == [event.request_id]
    assert simulator.bodies("POST /entities/users/{id}/token") == [{"ttl": 300}]
    assert simulator.requests_to("GET /entities/users") == 1  # provisioning's; none at launch


def test_a_member_whose_sync_failed_is_synced_at_launch(login_as, acme, simulator):
    from tenants.models import Membership

    Membership.objects.filter(user__email="bo@acme.example").update(sync_state=SyncState.FAILED)
    assert login_as("bo@acme.example").post(launch_url("acme")).status_code == 303
    assert Membership.objects.get(user__email="bo@acme.example").sync_state == SyncState.SYNCED
    assert simulator.requests_to("GET /entities/users") == 2  # provisioning's, then the launch's


def test_a_strangers_attempt_is_audited_and_the_limit_page_says_why(
    client, login_as, acme, globex, simulator, settings
):
    settings.PORTAL_LAUNCH_RATE = "2/m"  # the stranger's attempt counts too
    stranger = login_as("cy@globex.example")
    page = stranger.post(launch_url("acme"), REMOTE_ADDR="10.9.8.7")
    assert page.status_code == 404
    row = LaunchEvent.objects.values("user__email", "customer", "customer_slug", "client_ip",
                                     "outcome").get()  # fmt: skip
    assert row == {
        "user__email": "cy@globex.example",
        "customer": None,
        "customer_slug": "acme",
        "client_ip": "10.9.8.7",
        "outcome": "not_member",
    }
    assert stranger.post(launch_url("globex")).status_code == 303
    limited = stranger.post(launch_url("globex"))
    assert limited.status_code == 429
    assert (
        b"You opened invoicing many times in a short while. Please wait a moment, then try "
        b"again." in limited.content
    )
    # Past the limit a stranger's probe gets the same 429 (no lookup, so nothing to learn),
    # and only the first refusal of the window is written down: a script cannot fill the audit.
    assert stranger.post(launch_url("acme")).status_code == 429
    assert stranger.post(launch_url("no-such-company")).status_code == 429
    assert list(LaunchEvent.objects.filter(outcome="rate_limited").values_list(
        "customer_slug", flat=True)) == ["globex"]  # fmt: skip
    assert LaunchEvent.objects.count() == 3  # the 404, the launch, the first refusal


def test_each_user_has_a_rate_limit_of_their_own(client, login_as, globex, simulator, settings,
                                                 caplog):  # fmt: skip
    settings.PORTAL_LAUNCH_RATE = "1/m"
    first = login_as("cy@globex.example")
    assert first.post(launch_url("globex")).status_code == 303
    from portal.request_log import FieldsFormatter

    with caplog.at_level("INFO", logger="portal.request"):
        limited = first.post(launch_url("globex"), REMOTE_ADDR="10.0.0.9")
    logged = [r for r in caplog.records if r.name == "portal.request"]
    assert "launch_outcome=rate_limited" in FieldsFormatter("%(message)s").format(logged[-1])
    assert limited.status_code == 429 and b"<h1>Too many attempts</h1>" in limited.content
    row = LaunchEvent.objects.filter(outcome="rate_limited").values(
        "user__email", "client_ip", "customer_slug").get()  # fmt: skip
    assert row == {"user__email": "cy@globex.example", "client_ip": "10.0.0.9",
                   "customer_slug": "globex"}  # fmt: skip
    settings.PORTAL_KEY_MODE_MIN_ROLE = "viewer"
    caplog.clear()
    with caplog.at_level("INFO", logger="portal.request"):
        assert login_as("dee@globex.example").post(launch_url("globex")).status_code == 303
    from portal.request_log import FieldsFormatter

    [record] = [r for r in caplog.records if r.name == "portal.request"]
    line = FieldsFormatter("%(message)s").format(record)
    assert "launch_outcome=launched" in line and "mode=api_key" in line


def test_a_launch_that_syncs_a_member_writes_no_staff_audit(login_as, acme, make_member, simulator):
    from tenants.models import StaffAction

    make_member(acme, "late@acme.example", "editor")
    before = StaffAction.objects.count()
    assert login_as("late@acme.example").post(launch_url("acme")).status_code == 303
    assert StaffAction.objects.count() == before


def test_a_user_removed_upstream_is_added_back_by_the_next_launch(
    login_as, acme, simulator, account_key, caplog
):
    from tenants.models import Membership

    bo = Membership.objects.get(user__email="bo@acme.example")
    headers = {"x-entity-id": acme.entity_id}
    simulator.api("DELETE", f"/entities/users/{bo.si_user_id}", account_key, headers=headers)
    client = login_as("bo@acme.example")
    with caplog.at_level("WARNING", logger="embedding.services"):
        assert client.post(launch_url("acme")).status_code == 503
    assert "launch for acme failed upstream" in caplog.text
    bo.refresh_from_db()
    assert (bo.si_user_id, bo.sync_state) == ("", SyncState.PENDING)
    assert client.post(launch_url("acme")).status_code == 303
    bo.refresh_from_db()
    assert bo.sync_state == SyncState.SYNCED and bo.si_user_id


def test_an_entity_disabled_upstream_says_so(login_as, acme, simulator, account_key, settings):
    settings.PORTAL_SUPPORT_EMAIL = "help@partner.example"
    simulator.api("POST", f"/entities/{acme.entity_id}/disable", account_key)
    page = login_as("bo@acme.example").post(launch_url("acme"))
    assert page.status_code == 403 and b"<h1>Invoicing is turned off</h1>" in page.content
    assert b"To have it turned on again for Acme d.o.o., please contact help@partner.example." in (
        page.content
    )


def test_a_key_mode_launch_mints_with_its_own_request_id(login_as, globex, simulator):
    assert login_as("cy@globex.example").post(launch_url("globex")).status_code == 303
    event = LaunchEvent.objects.get()
    assert event.mode == "api_key"
    assert simulator.request_ids("POST /entities/api-keys")[-1] == event.request_id


def test_an_overlong_slug_is_audited_cut_to_the_columns_length(login_as, acme, simulator):
    assert login_as("bo@acme.example").post(launch_url("x" * 100)).status_code == 404
    assert LaunchEvent.objects.get().customer_slug == "x" * 80


def test_the_audit_rows_time_is_stored_as_the_orm_stores_it(login_as, acme, simulator):
    assert login_as("bo@acme.example").post(launch_url("acme")).status_code == 303
    row = LaunchEvent.objects.get()
    assert timezone.now() - row.created_at < dt.timedelta(minutes=1)
    # Found again by its own time: SQLite compares the stored text, so a value written in
    # another shape than the ORM's (an offset added, say) would never match.
    assert LaunchEvent.objects.filter(created_at=row.created_at).get().pk == row.pk


def _budget_spent() -> int:
    """Units of Space Invoices' rate limit the portal counted in this window and the last."""
    from django.conf import settings
    from django.core.cache import cache

    window = int(time.time() // (settings.SPACEINVOICES_RATE_PERIOD / 6))
    return sum(cache.get(f"si-budget:all:{w}", 0) for w in (window - 1, window))


def test_a_launch_takes_one_unit_of_the_rate_limit_and_a_refusal_gives_its_back(
    login_as, acme, globex, simulator, settings
):
    settings.PORTAL_LAUNCH_RATE = "2/m"
    before, calls = _budget_spent(), sum(simulator.stats()["requests"].values())
    bo = login_as("bo@acme.example")
    assert bo.post(launch_url("acme")).status_code == 303
    assert sum(simulator.stats()["requests"].values()) - calls == 1  # the mint alone
    assert _budget_spent() - before == 1
    assert bo.post(launch_url("globex")).status_code == 404  # a stranger there: no call
    assert bo.post(launch_url("acme")).status_code == 429  # past the user's limit: no call
    assert bo.post(launch_url("acme")).status_code == 429
    assert sum(simulator.stats()["requests"].values()) - calls == 1
    assert _budget_spent() - before == 1


@pytest.mark.parametrize("refusal", ["stranger", "company off", "role too low"])
def test_an_attempt_that_will_not_call_never_holds_a_unit_not_even_while_audited(
    login_as, acme, globex, simulator, refusal
):
    """A burst of such attempts would otherwise keep a window's budget full for a moment
    each, and a member launching then waited for the next window."""
    email, slug, status = "bo@acme.example", "acme", 403
    if refusal == "stranger":
        slug, status = "globex", 404
    elif refusal == "company off":
        Customer.objects.filter(slug="acme").update(is_active=False)
    else:  # dee is a viewer, below the key-mode floor
        email, slug = "dee@globex.example", "globex"
    held, at_key = [], []

    def observe(execute, sql, params, many, context):
        statement = sql.lstrip().upper()
        if statement.startswith("INSERT") and LaunchEvent._meta.db_table in sql:
            held.append(_budget_spent() - before)  # while the attempt is audited
        if statement.startswith("SELECT") and EntityApiKey._meta.db_table in sql:
            at_key.append(_budget_spent() - before)  # before the mint takes any unit
        return execute(sql, params, many, context)

    client = login_as(email)
    before = _budget_spent()
    with connection.execute_wrapper(observe):
        assert client.post(launch_url(slug)).status_code == status
    assert held == [0] and _budget_spent() == before
    with connection.execute_wrapper(observe):  # a member's launch holds its unit, and uses it
        assert login_as("cy@globex.example").post(launch_url("globex")).status_code == 303
    assert held == [0, 1] and _budget_spent() == before + 1
    # Taken with the user's count (one round trip), not by the mint: already counted when
    # the stored key is read, before any request to Space Invoices.
    assert at_key[-1] == 1


@pytest.fixture
def redis_unreachable(settings):
    """The cache (and with it the rate limit and the call budget) on a Redis that refuses
    every connection."""
    from spaceinvoices.factory import _budget

    settings.CACHES = {
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    _budget.cache_clear()  # built on the cache it first met
    yield
    _budget.cache_clear()


@pytest.mark.parametrize("email", ["bo@acme.example", "cy@globex.example"])
def test_an_unreachable_counter_is_a_branded_503_with_nothing_tried(
    login_as, acme, globex, simulator, redis_unreachable, caplog, email
):
    """A member's attempt and a stranger's alike: not counted, so nothing is minted or
    written, and the page says to try again (not that Space Invoices is down)."""
    with caplog.at_level("ERROR", logger="embedding.services"):
        response = login_as(email).post(launch_url("acme"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30" and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "<h1>Invoicing is unavailable right now</h1>" in page
    assert "We have been told. Please try again in a moment." in page
    assert "could not reach the invoicing service" not in page
    assert 'action="' + launch_url("acme") + '"' in page  # its Try again posts back
    assert minted(simulator) == 0 and not LaunchEvent.objects.exists()
    assert any("not counted, the counter is unreachable" in r.getMessage() for r in caplog.records)
