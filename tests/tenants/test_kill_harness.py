"""Kill harness: each operation runs as its own process and is killed with SIGKILL at every
upstream step, once before Space Invoices acts and once after it acted but before the
answer is recorded. A re-run must then leave the invariants true:

- exactly one entity per customer, found by the UUID in its metadata;
- exactly one active key locally, and Space Invoices accepts it; one key upstream;
- exactly one webhook endpoint upstream, the one active here (no stray, none missing);
- members and roles equal on both sides (no users in API-key mode);

and each operation's launch expectation must hold: provisioning is refused as "not set
up yet" until a run completes; rotation, member sync, details update and the access-mode
switch leave launches working throughout; offboarding refuses them from its first step on
and, once a re-run finishes it, leaves no user, no working key and a disabled entity.
"""

import signal
import time
from dataclasses import dataclass

import pytest
from django.urls import reverse

from spaceinvoices.contract import LAUNCH_KEY_NAME
from tenants.models import Customer, EntityApiKey, Membership, User, WebhookEndpoint
from tenants.services import customer_provision
from tenants.services.provisioning import METADATA_KEY
from tests.log_secrets import process_output_check
from tests.portal_process import command_run, command_start, portal_env

pytestmark = [pytest.mark.process, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STALL_MS = 1500  # long enough to kill the process while its request waits


@dataclass(frozen=True)
class Step:
    method: str
    path_prefix: str


# Where the process is killed: "before" (the request stalls, then is dropped unanswered:
# nothing happened upstream) or "after" (Space Invoices acts, then holds the answer).
INSTANTS = {
    "before": lambda step: {"delay_ms": STALL_MS, "drop": "before"},
    "after": lambda step: {"hold_ms": STALL_MS},
}


def kill_during(simulator, env, step: Step, instant: str, *command: str) -> None:
    """Start ``command``, wait until its request for ``step`` is held, SIGKILL it."""
    simulator.fault(
        path_prefix=step.path_prefix, method=step.method, count=1, **INSTANTS[instant](step)
    )
    process = command_start(env, *command)
    deadline = time.monotonic() + 60
    while simulator.stats()["faults_waiting"]:
        assert process.poll() is None, f"{command} ended before the step: {process.stdout.read()}"
        assert time.monotonic() < deadline, f"{command} never reached {step}"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    process_output_check(process.stdout.read())  # what it printed before it died
    process.stdout.close()
    simulator.wait_until_idle()  # the held request has finished on the simulator's side


def rerun(env, *command: str) -> str:
    result = command_run(env, *command)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def upstream_entities(simulator, account_key, customer) -> list[dict]:
    entities = simulator.api("GET", "/entities", account_key, params={"limit": 100}).json()
    return [e for e in entities["data"] if e["metadata"].get(METADATA_KEY) == str(customer.uuid)]


def assert_invariants(simulator, account_key, customer) -> None:
    customer = Customer.objects.get(pk=customer.pk)
    [entity] = upstream_entities(simulator, account_key, customer)
    assert customer.entity_id == entity["id"]
    [active] = EntityApiKey.objects.filter(customer=customer, revoked_at__isnull=True)
    headers = {"x-entity-id": customer.entity_id}
    keys = simulator.api("GET", "/entities/api-keys", active.key, headers=headers)
    assert keys.status_code == 200, "the active key does not work"
    # One long-lived key upstream (short-lived launch keys aside): the one stored here.
    stored = [k for k in keys.json()["data"] if not k["name"].startswith(LAUNCH_KEY_NAME)]
    assert [k["prefix_hint"] for k in stored] == [active.prefix_hint]
    users = simulator.api("GET", "/entities/users", account_key, headers=headers).json()["data"]
    wanted = {}
    if customer.uses_entity_users:
        wanted = {
            m.user.email: m.role
            for m in customer.memberships.select_related("user")
            if m.user.is_active
        }
    assert {u["email"]: u["role"] for u in users} == wanted
    hooks = simulator.api("GET", "/webhooks", account_key, headers=headers).json()["data"]
    [endpoint] = WebhookEndpoint.objects.filter(customer=customer, retired_at__isnull=True)
    assert [h["id"] for h in hooks] == [endpoint.endpoint_id]
    assert endpoint.secret.startswith("whsec_")


def launch(client, email: str, slug: str) -> int:
    client.force_login(User.objects.get(email=email))
    return client.post(reverse("open_invoicing", args=[slug])).status_code


@pytest.fixture
def env(postgres_required, simulator, account_key):
    return portal_env(simulator, account_key)


@pytest.fixture
def team(make_customer, make_member):
    def make(slug: str, mode: str = "user") -> Customer:
        customer = make_customer(name=slug.title(), slug=slug, access_mode=mode)
        make_member(customer, f"ana@{slug}.example", "admin")
        make_member(customer, f"bo@{slug}.example", "viewer")
        return customer

    return make


PROVISION_STEPS = [
    Step("POST", "/entities"),
    Step("POST", "/entities/api-keys"),
    Step("POST", "/webhooks"),
    Step("POST", "/entities/users"),
]


@pytest.mark.parametrize("instant", list(INSTANTS))
@pytest.mark.parametrize("step", PROVISION_STEPS, ids=lambda s: f"{s.method} {s.path_prefix}")
def test_provisioning(env, simulator, account_key, team, client, step, instant):
    customer = team("acme")
    kill_during(simulator, env, step, instant, "provision_customers", "--customer", "acme")
    assert launch(client, "ana@acme.example", "acme") == 409  # not set up yet
    rerun(env, "provision_customers", "--customer", "acme")
    assert Customer.objects.get(pk=customer.pk).is_provisioned
    assert_invariants(simulator, account_key, customer)
    assert launch(client, "ana@acme.example", "acme") == 303


@pytest.mark.parametrize(
    "step",
    [Step("POST", "/entities"), Step("POST", "/webhooks"), Step("POST", "/entities/users")],
    ids=lambda s: f"{s.method} {s.path_prefix}",
)
def test_provisioning_rerun_after_the_replay_window(
    env, simulator, account_key, team, client, step
):
    """Space Invoices no longer replays the lost answer: the re-run must find what the
    killed run made (the entity by its metadata, the user by email), not make it again."""
    customer = team("acme")
    kill_during(simulator, env, step, "after", "provision_customers", "--customer", "acme")
    simulator.expire_replays()
    rerun(env, "provision_customers", "--customer", "acme")
    assert_invariants(simulator, account_key, customer)
    assert launch(client, "ana@acme.example", "acme") == 303


@pytest.mark.parametrize("instant", list(INSTANTS))
@pytest.mark.parametrize(
    "step",
    [Step("POST", "/entities/api-keys"), Step("DELETE", "/entities/api-keys/")],
    ids=lambda s: f"{s.method} {s.path_prefix}",
)
def test_key_rotation(env, simulator, account_key, team, client, step, instant):
    customer = customer_provision(customer=team("globex", "api_key"), actor="t")
    Membership.objects.filter(user__email="bo@globex.example").update(role="editor")
    kill_during(simulator, env, step, instant, "rotate_entity_keys", "--customer", "globex")
    assert launch(client, "bo@globex.example", "globex") == 303  # launches keep working
    rerun(env, "rotate_entity_keys", "--customer", "globex")
    assert_invariants(simulator, account_key, customer)
    assert launch(client, "bo@globex.example", "globex") == 303


@pytest.mark.parametrize("instant", list(INSTANTS))
@pytest.mark.parametrize(
    "step",
    [Step("POST", "/webhooks"), Step("DELETE", "/webhooks/")],
    ids=lambda s: f"{s.method} {s.path_prefix}",
)
def test_webhook_rotation(env, simulator, account_key, team, client, step, instant):
    customer = customer_provision(customer=team("stark"), actor="t")
    old = customer.webhook_endpoints.get()
    kill_during(simulator, env, step, instant, "rotate_webhook_secrets", "--customer", "stark")
    assert launch(client, "ana@stark.example", "stark") == 303
    rerun(env, "rotate_webhook_secrets", "--customer", "stark")
    assert_invariants(simulator, account_key, customer)
    old.refresh_from_db()
    assert old.retired_at and old.upstream_deleted_at


@pytest.mark.parametrize("replays", ["kept", "expired"])
@pytest.mark.parametrize("instant", list(INSTANTS))
def test_webhook_registration(env, simulator, account_key, team, client, instant, replays):
    """A customer provisioned before webhooks: the command is killed, a re-run finishes,
    whether or not Space Invoices still replays the lost answer."""
    customer = customer_provision(customer=team("acme"), actor="t")
    [hook] = customer.webhook_endpoints.all()
    simulator.api("DELETE", f"/webhooks/{hook.endpoint_id}", account_key,
                  headers={"x-entity-id": customer.entity_id})  # fmt: skip
    hook.delete()
    step = Step("POST", "/webhooks")
    kill_during(simulator, env, step, instant, "register_webhooks", "--customer", "acme")
    if replays == "expired":
        simulator.expire_replays()
    assert launch(client, "ana@acme.example", "acme") == 303
    rerun(env, "register_webhooks", "--customer", "acme")
    assert_invariants(simulator, account_key, customer)
    assert launch(client, "ana@acme.example", "acme") == 303


@pytest.mark.parametrize("instant", list(INSTANTS))
@pytest.mark.parametrize(
    "step",
    [
        Step("POST", "/entities/users"),
        Step("PATCH", "/entities/users/"),
        Step("DELETE", "/entities/users/"),
    ],
    ids=lambda s: f"{s.method} {s.path_prefix}",
)
def test_member_sync(env, simulator, account_key, team, make_member, client, step, instant):
    customer = team("initech")
    make_member(customer, "dee@initech.example", "admin")
    customer = customer_provision(customer=customer, actor="t")
    # Three changes made here while Space Invoices was not told: an add, a role change and
    # a deactivated user (to be removed upstream). Ana stays in step: we launch as her.
    make_member(customer, "cy@initech.example", "editor")
    Membership.objects.filter(user__email="bo@initech.example").update(role="editor")
    User.objects.filter(email="dee@initech.example").update(is_active=False)
    kill_during(simulator, env, step, instant, "sync_members", "--customer", "initech")
    assert launch(client, "ana@initech.example", "initech") == 303
    rerun(env, "sync_members", "--customer", "initech")
    assert_invariants(simulator, account_key, customer)
    assert launch(client, "ana@initech.example", "initech") == 303


@pytest.mark.parametrize("instant", list(INSTANTS))
def test_details_update(env, simulator, account_key, team, client, instant):
    customer = customer_provision(customer=team("umbrella"), actor="t")
    Customer.objects.filter(pk=customer.pk).update(city="Koper", details_state="pending")
    step = Step("PATCH", "/entities/")
    kill_during(simulator, env, step, instant, "update_entity_details", "--customer", "umbrella")
    assert launch(client, "bo@umbrella.example", "umbrella") == 303
    rerun(env, "update_entity_details", "--all-behind")
    assert_invariants(simulator, account_key, customer)
    [entity] = upstream_entities(simulator, account_key, customer)
    assert entity["city"] == "Koper"
    assert Customer.objects.get(pk=customer.pk).details_state == "in_step"
    assert launch(client, "bo@umbrella.example", "umbrella") == 303


@pytest.mark.parametrize("instant", list(INSTANTS))
def test_access_mode_switch(env, simulator, account_key, team, client, instant):
    customer = customer_provision(customer=team("hooli"), actor="t")
    step = Step("DELETE", "/entities/users/")
    command = ("set_access_mode", "--mode", "api_key", "--customer", "hooli")
    kill_during(simulator, env, step, instant, *command)
    assert launch(client, "ana@hooli.example", "hooli") == 303  # switched here: key mode
    rerun(env, *command)
    assert Customer.objects.get(pk=customer.pk).access_mode == "api_key"
    assert_invariants(simulator, account_key, customer)
    assert launch(client, "ana@hooli.example", "hooli") == 303


@pytest.mark.parametrize("instant", list(INSTANTS))
@pytest.mark.parametrize(
    "step",
    [
        Step("DELETE", "/entities/users/"),
        Step("DELETE", "/entities/api-keys/"),
        Step("DELETE", "/webhooks/"),
        Step("POST", "/entities/"),  # POST /entities/{id}/disable: the only POST it makes
    ],
    ids=lambda s: f"{s.method} {s.path_prefix}",
)
def test_offboarding(env, simulator, account_key, team, client, step, instant):
    customer = customer_provision(customer=team("wonka"), actor="t")
    key = customer.api_keys.active().get().key
    kill_during(simulator, env, step, instant, "offboard_customers", "--customer", "wonka")
    assert launch(client, "ana@wonka.example", "wonka") == 403  # refused from the start
    rerun(env, "offboard_customers", "--all-unfinished")
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.offboarded_at and not customer.memberships.exists()
    [entity] = upstream_entities(simulator, account_key, customer)
    assert entity["id"] == customer.entity_id and entity["is_enabled"] is False
    headers = {"x-entity-id": customer.entity_id}
    assert (
        simulator.api("GET", "/entities/users", account_key, headers=headers).json()["data"] == []
    )
    assert simulator.api("GET", "/entities/api-keys", key, headers=headers).status_code == 401
    assert not EntityApiKey.objects.filter(customer=customer, revoked_at__isnull=True).exists()
    assert simulator.api("GET", "/webhooks", account_key, headers=headers).json()["data"] == []
    # Her only membership ended, so her portal login closed too: sent to sign in.
    assert launch(client, "ana@wonka.example", "wonka") == 302
    assert not User.objects.get(email="ana@wonka.example").is_active
