"""The drift report: each way Space Invoices can drift from the portal is found, and
reconciling puts right what the portal is the source of truth for, audited."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.models import Customer, DriftFinding, StaffAction
from tenants.services import customer_drift_apply, customer_drift_check, customer_provision
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme", slug="acme", city="Ljubljana")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    return customer_provision(customer=customer, actor="t")


def kinds(found) -> dict[str, bool]:
    return {f.kind: f.fixable for f in found}


def raw(simulator, account_key, acme, method, path, **kwargs):
    headers = {"x-entity-id": acme.entity_id}
    answer = simulator.api(method, path, account_key, headers=headers, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer


def test_a_customer_in_line_has_no_findings_and_is_marked_checked(acme, simulator):
    assert customer_drift_check(customer=acme) == []
    assert Customer.objects.get(pk=acme.pk).drift_checked_at is not None
    assert not DriftFinding.objects.exists()


def test_every_kind_of_drift_is_found(acme, simulator, account_key):
    users = {
        u["email"]: u
        for u in raw(simulator, account_key, acme, "GET", "/entities/users").json()["data"]
    }
    bo_path = f"/entities/users/{users['bo@acme.example']['user_id']}"
    raw(simulator, account_key, acme, "PATCH", bo_path, json={"role": "admin"})
    raw(
        simulator,
        account_key,
        acme,
        "DELETE",
        f"/entities/users/{users['ana@acme.example']['user_id']}",
    )
    raw(simulator, account_key, acme, "POST", "/entities/users",
        json={"email": "stranger@x.example", "role": "editor", "send_invite": False})  # fmt: skip
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    key = acme.api_keys.active().get().key
    simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    found = customer_drift_check(customer=acme)
    assert kinds(found) == {"details": True, "key_refused": True, "users": True}
    by_kind = {f.kind: f.detail for f in found}
    assert by_kind["details"] == "city differ"
    assert by_kind["users"] == (
        "to do: add ana@acme.example as admin; set bo@acme.example to viewer; "
        "remove stranger@x.example (not a member)"
    )
    assert key not in by_kind["key_refused"] and "ek_sandbox_" in by_kind["key_refused"]
    assert DriftFinding.objects.filter(customer=acme).count() == 3  # kept for the admin


def test_reconcile_puts_right_what_differs_and_audits_it(acme, simulator, account_key):
    raw(simulator, account_key, acme, "POST", "/entities/users",
        json={"email": "stranger@x.example", "role": "editor", "send_invite": False})  # fmt: skip
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    raw(simulator, account_key, acme, "POST", f"/entities/{acme.entity_id}/disable")
    old = acme.api_keys.active().get()
    left = customer_drift_apply(customer=acme, actor="ops")
    assert left == [] and not DriftFinding.objects.exists()
    entity = simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()
    assert (entity["city"], entity["is_enabled"]) == ("Ljubljana", True)
    assert upstream_users(simulator, account_key, acme.entity_id) == {
        "ana@acme.example": "admin",
        "bo@acme.example": "viewer",
    }
    assert acme.api_keys.active().get().pk == old.pk  # the key worked: nothing to rotate
    audit = StaffAction.objects.get(action="reconcile")
    assert (audit.actor_label, audit.customer, audit.succeeded) == ("ops", acme, True)
    assert audit.detail == (
        "put right: Details differ, Enabled or disabled differently, Users or roles differ; "
        "left: nothing"
    )


def test_a_refused_key_is_rotated_and_an_unreadable_one_only_reported(acme, simulator, account_key):
    key = acme.api_keys.active().get().key
    simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    assert customer_drift_apply(customer=acme, actor="ops") == []
    new = acme.api_keys.active().get().key
    assert new != key and raw(simulator, new, acme, "GET", "/entities/api-keys")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE revoked_at IS NULL",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode()],
        )
    keys_before = simulator.stats()["api_keys"]
    left = customer_drift_apply(customer=acme, actor="ops")
    assert kinds(left) == {"key_unreadable": False}
    assert simulator.stats()["api_keys"] == keys_before  # nothing made for it
    assert not StaffAction.objects.filter(action="reconcile").latest("pk").succeeded


def test_a_missing_entity_is_reported_never_made_again(acme, simulator):
    Customer.objects.filter(pk=acme.pk).update(entity_id="ent_" + "0" * 24)
    entities = simulator.stats()["entities"]
    left = customer_drift_apply(customer=acme, actor="ops")
    assert kinds(left) == {"entity_missing": False}
    assert simulator.stats()["entities"] == entities


def test_the_command_reports_and_with_apply_fails_on_what_is_left(acme, simulator, account_key):
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    out = StringIO()
    call_command("reconcile", "--all", stdout=out)
    assert "acme: differs: Details differ: city differ" in out.getvalue()
    call_command("reconcile", "--all", "--apply", stdout=StringIO())
    assert (
        simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()["city"]
        == "Ljubljana"
    )
    Customer.objects.filter(pk=acme.pk).update(entity_id="ent_" + "0" * 24)
    with pytest.raises(CommandError, match="1 of 1 customer"):
        call_command("reconcile", "--customer", "acme", "--apply", stdout=StringIO())


@pytest.mark.parametrize("where", ["upstream", "here"])
def test_enabled_or_disabled_differently_is_said_both_ways_and_the_portal_wins(
    acme, simulator, account_key, where
):
    if where == "upstream":
        raw(simulator, account_key, acme, "POST", f"/entities/{acme.entity_id}/disable")
        said = "disabled at Space Invoices, active here"
    else:
        Customer.objects.filter(pk=acme.pk).update(is_active=False)
        said = "enabled at Space Invoices, disabled here"
    [found] = customer_drift_check(customer=acme)
    assert (found.kind, found.detail) == ("entity_enabled", said)
    assert customer_drift_apply(customer=Customer.objects.get(pk=acme.pk), actor="ops") == []
    entity = simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()
    assert entity["is_enabled"] is (where == "upstream")  # as the portal has it


def test_a_check_reads_only_and_names_every_detail_that_differs(acme, simulator, account_key):
    raw(simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}",
        json={"city": "Koper", "post_code": "6000"})  # fmt: skip
    raw(simulator, account_key, acme, "POST", "/entities/users",
        json={"email": "stranger@x.example", "role": "editor", "send_invite": False})  # fmt: skip
    writes = {k: n for k, n in simulator.stats()["requests"].items() if not k.startswith("GET")}
    found = {f.kind: f.detail for f in customer_drift_check(customer=acme)}
    assert found["details"] == "city, post_code differ"
    after = {k: n for k, n in simulator.stats()["requests"].items() if not k.startswith("GET")}
    assert after == writes  # nothing was put right by looking
    assert "stranger@x.example" in upstream_users(simulator, account_key, acme.entity_id)


def test_a_missing_key_row_and_a_missing_entity_are_named(acme, simulator):
    acme.api_keys.all().delete()
    [found] = customer_drift_check(customer=acme)
    assert (found.kind, found.detail, found.fixable) == (
        "key_unreadable",
        "the active key is missing here: rotate or attach one",
        False,
    )
    Customer.objects.filter(pk=acme.pk).update(entity_id="ent_" + "0" * 24)
    [gone] = customer_drift_check(customer=acme)
    assert gone.detail == f"entity ent_{'0' * 24} is not at Space Invoices (deleted there?)"


def test_an_unreadable_key_is_named_as_such(acme, simulator):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode()],
        )
    [found] = customer_drift_check(customer=acme)
    assert found.detail == "the active key cannot be decrypted here: rotate or attach one"


def test_a_customer_leaving_or_without_an_entity_is_refused_not_called_in_line(
    acme, make_customer, simulator, account_key
):
    from django.utils import timezone

    from tenants.errors import NotProvisioned, Offboarded

    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    customer_drift_check(customer=acme)
    Customer.objects.filter(pk=acme.pk).update(offboarding_started_at=timezone.now())
    before = sum(simulator.stats()["requests"].values())
    with pytest.raises(Offboarded):
        customer_drift_check(customer=acme)
    assert sum(simulator.stats()["requests"].values()) == before
    assert DriftFinding.objects.filter(customer=acme).count() == 1  # the last check's, kept
    newco = make_customer(name="Newco", slug="newco")
    with pytest.raises(NotProvisioned, match="nothing to compare yet"):
        customer_drift_check(customer=newco)
    with pytest.raises(CommandError, match="1 of 1 customer"):
        call_command("reconcile", "--customer", "newco", "--apply", stdout=StringIO())
    with pytest.raises(CommandError, match="do not go together"):
        call_command("reconcile", "--all", "--apply", "--dry-run", stdout=StringIO())
    assert not StaffAction.objects.filter(action="reconcile").exists()


def test_what_reconcile_does_is_audited_as_the_one_who_asked(acme, simulator, account_key):
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    raw(simulator, account_key, acme, "POST", "/entities/users",
        json={"email": "stranger@x.example", "role": "editor", "send_invite": False})  # fmt: skip
    key = acme.api_keys.active().get().key
    simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    customer_drift_apply(customer=acme, actor="ops")
    rows = set(StaffAction.objects.exclude(action="provision").values_list("action", "actor_label"))
    assert rows == {
        ("update_details", "ops"),
        ("rotate_key", "ops"),
        ("sync_members", "ops"),
        ("reconcile", "ops"),
    }


def test_the_list_actions_check_and_reconcile_as_jobs(client, staff, acme, simulator, account_key):
    from django.urls import reverse

    client.force_login(staff)
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    changelist = reverse("admin:tenants_customer_changelist")
    data = {"_selected_action": [acme.pk], "confirmed": "yes"}
    checked = client.post(changelist, {**data, "action": "check_drift"}, follow=True)
    shown = [(m.level_tag, m.message) for m in checked.context["messages"]]
    assert shown == [("warning", "Acme: Details differ: city differ")]
    page = client.get(reverse("admin:tenants_customer_change", args=[acme.pk])).content.decode()
    assert "<li>Details differ: city differ</li>" in page
    fixed = client.post(changelist, {**data, "action": "reconcile"}, follow=True)
    shown = [(m.level_tag, m.message) for m in fixed.context["messages"]]
    assert shown == [("success", "Reconcile: done for 1 customer.")]
    assert StaffAction.objects.get(action="reconcile").actor == staff
    assert simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()["city"] == (
        "Ljubljana"
    )


def test_a_webhook_endpoint_deleted_upstream_is_found_and_replaced(acme, simulator, account_key):
    old = acme.webhook_endpoints.get()
    raw(simulator, account_key, acme, "DELETE", f"/webhooks/{old.endpoint_id}")
    [finding] = customer_drift_check(customer=acme)
    assert (finding.kind, finding.fixable) == ("webhook", True)
    assert finding.detail == f"webhook endpoint {old.endpoint_id} is not at Space Invoices"
    assert customer_drift_apply(customer=acme, actor="t") == []
    new = acme.webhook_endpoints.active().get()
    [upstream] = raw(simulator, account_key, acme, "GET", "/webhooks").json()["data"]
    assert upstream["id"] == new.endpoint_id != old.endpoint_id


def test_an_endpoint_at_the_portals_old_address_is_found_and_replaced(
    acme, simulator, account_key, settings
):
    old = acme.webhook_endpoints.get()
    settings.PORTAL_BASE_URL = "https://moved.example"  # the portal moved to a new domain
    [finding] = customer_drift_check(customer=acme)
    assert (finding.kind, finding.fixable) == ("webhook", True)
    assert finding.get_kind_display() == "Webhook endpoint missing, inactive or at another address"
    assert finding.detail == (
        f"webhook endpoint {old.endpoint_id} delivers to http://portal.test/webhooks/"
        "spaceinvoices/, not to https://moved.example/webhooks/spaceinvoices/"
    )
    assert customer_drift_apply(customer=acme, actor="t") == []
    [upstream] = raw(simulator, account_key, acme, "GET", "/webhooks").json()["data"]
    assert upstream["url"] == "https://moved.example/webhooks/spaceinvoices/"
    assert upstream["id"] == acme.webhook_endpoints.active().get().endpoint_id != old.endpoint_id


def test_a_customer_without_an_endpoint_gets_one_by_reconciling(acme, simulator, account_key):
    [hook] = acme.webhook_endpoints.all()
    raw(simulator, account_key, acme, "DELETE", f"/webhooks/{hook.endpoint_id}")
    hook.delete()  # as if provisioned before webhooks
    assert kinds(customer_drift_check(customer=acme)) == {"webhook": True}
    assert customer_drift_apply(customer=acme, actor="t") == []
    assert len(raw(simulator, account_key, acme, "GET", "/webhooks").json()["data"]) == 1
    assert StaffAction.objects.filter(action="register_webhook", succeeded=True).count() == 1


def test_an_endpoint_space_invoices_disabled_is_found(acme, simulator, account_key):
    """Five failed deliveries (our URL unreachable, say) and Space Invoices disables it."""
    simulator.webhook_retries_scale(0.0005)
    key = acme.api_keys.active().get().key
    answer = simulator.api("POST", "/invoices", key, headers={"x-entity-id": acme.entity_id},
                           json={"customer": {"name": "B"}, "items": [{"price": 1}]})  # fmt: skip
    assert answer.status_code == 201
    simulator.deliveries_settled(seconds=30)
    hook = acme.webhook_endpoints.get()
    [finding] = customer_drift_check(customer=acme)
    assert finding.detail == f"Space Invoices disabled webhook endpoint {hook.endpoint_id}"


def test_no_endpoint_at_all_is_reported_as_such(acme):
    acme.webhook_endpoints.update(retired_at="2026-01-01T00:00:00Z")
    [finding] = customer_drift_check(customer=acme)
    assert (
        finding.detail == "no webhook endpoint is registered: activity and usage are not reported"
    )


def test_reconciling_what_is_in_line_is_audited_as_nothing_either_way(acme):
    assert customer_drift_apply(customer=acme, actor="ops@partner") == []
    [audit] = StaffAction.objects.filter(action="reconcile")
    assert audit.detail == "put right: nothing; left: nothing"
    assert audit.actor_label == "ops@partner"


def test_a_replaced_endpoint_is_audited_as_the_reconciler(acme, simulator, account_key):
    old = acme.webhook_endpoints.get()
    raw(simulator, account_key, acme, "DELETE", f"/webhooks/{old.endpoint_id}")
    customer_drift_apply(customer=acme, actor="ops@partner")
    assert StaffAction.objects.get(action="rotate_webhook").actor_label == "ops@partner"


def test_endpoints_are_read_for_the_customers_own_entity(acme, make_customer, simulator):
    """With more than one entity, a list without x-entity-id would be refused."""
    customer_provision(customer=make_customer(name="Second", slug="second"), actor="t")
    assert customer_drift_check(customer=acme) == []


def test_an_unreadable_webhook_secret_does_not_stop_the_check(acme, simulator):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_webhookendpoint SET secret = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode()],
        )
    assert customer_drift_check(customer=acme) == []  # the check never needs the secret


def test_an_entity_enabled_again_by_reconciling_is_audited_as_the_reconciler(
    acme, simulator, account_key
):
    raw(simulator, account_key, acme, "POST", f"/entities/{acme.entity_id}/disable")
    customer_drift_apply(customer=acme, actor="ops@partner")
    assert StaffAction.objects.get(action="enable").actor_label == "ops@partner"


def launch_token(login_as, slug: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    from django.urls import reverse

    launch = login_as("cy@globex.example").post(reverse("open_invoicing", args=[slug]))
    [token] = parse_qs(urlsplit(launch["Location"]).query)["token"]
    return token


def test_a_lasting_key_made_with_a_key_mode_launch_is_found_and_left_to_staff(
    globex, login_as, simulator, account_key
):
    """A key-mode launch hands the browser an entity key; one it makes that never expires is
    reported (its hint, never the key), while the launch's own short-lived key is not."""
    token = launch_token(login_as, "globex")
    assert customer_drift_check(customer=globex) == []  # the launch's own key
    headers = {"x-entity-id": globex.entity_id}
    made = simulator.api(
        "POST", "/entities/api-keys", token, headers=headers, json={"name": "persist\nok"}
    )
    assert made.status_code == 201, made.text
    lasting = made.json()["id"]
    found = customer_drift_check(customer=globex)
    assert kinds(found) == {"key_unknown": False}
    detail = found[0].detail
    assert made.json()["prefix_hint"] in detail and lasting not in detail
    assert f"{made.json()['prefix_hint']} (never expires)" in detail
    assert "persist" not in detail  # its maker's words: never shown, nor a line of theirs
    with pytest.raises(CommandError, match="1 of 1 customer"):
        call_command("reconcile", "--customer", "globex", "--apply", stdout=StringIO())
    # A key named with another key's value, in a spelling no mask would catch.
    named = simulator.api(
        "POST", "/entities/api-keys", token, headers=headers, json={"name": "x" + lasting.upper()}
    ).json()["id"]
    detail = customer_drift_check(customer=globex)[0].detail
    assert "2 key(s)" in detail and lasting[11:].upper() not in detail.upper()
    simulator.api("DELETE", f"/entities/api-keys/{named}", named)
    from tenants.services import entity_key_rotate

    entity_key_rotate(customer=globex, actor="t")  # the portal's new key is its own
    found = customer_drift_check(customer=globex)
    assert found[0].detail.startswith("Space Invoices holds 1 key(s)")  # not revoked
    # The hint of a key the portal deleted upstream proves nothing (hints are short).
    old = globex.api_keys.get(upstream_deleted_at__isnull=False)
    type(old).objects.filter(pk=old.pk).update(prefix_hint=made.json()["prefix_hint"])
    assert kinds(customer_drift_check(customer=globex)) == {"key_unknown": False}
    simulator.api("DELETE", f"/entities/api-keys/{lasting}", lasting)
    assert customer_drift_check(customer=globex) == []


def test_short_keys_made_with_a_launchs_key_are_found_whatever_their_names(
    globex, login_as, simulator, account_key
):
    """A chain of short-lived keys, each made before the last ends, is found too: only a
    name the portal tagged, one of a kind and ending within a launch's lifetime of the time
    it gives, is a launch's."""
    token = launch_token(login_as, "globex")
    headers = {"x-entity-id": globex.entity_id}
    [listed] = [
        k
        for k in simulator.api("GET", "/entities/api-keys", token, headers=headers).json()["data"]
        if k["name"].startswith("embed launch ")
    ]

    def make(name: str, ttl: int) -> str:  # as the launch's holder could, with any key
        answer = simulator.api(
            "POST",
            "/entities/api-keys",
            account_key,
            headers=headers,
            json={"name": name, "ttl": ttl},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    plain = make("embed launch", 120)
    found = customer_drift_check(customer=globex)
    assert kinds(found) == {"key_unknown": False} and "1 key(s)" in found[0].detail
    simulator.api("DELETE", f"/entities/api-keys/{plain}", plain)
    copy = make(listed["name"], 120)  # the launch's own name, its key still there
    assert "2 key(s)" in customer_drift_check(customer=globex)[0].detail  # both named
    simulator.api("DELETE", f"/entities/api-keys/{token}", token)  # the launch's key gone
    assert customer_drift_check(customer=globex) == []  # a copy passes until the name ends
    simulator.api("DELETE", f"/entities/api-keys/{copy}", copy)
    longer = make(listed["name"], 3600)  # but never for longer than a launch lives
    assert "1 key(s)" in customer_drift_check(customer=globex)[0].detail
    simulator.api("DELETE", f"/entities/api-keys/{longer}", longer)
    assert customer_drift_check(customer=globex) == []
