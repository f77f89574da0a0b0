"""Intent, commit, call, record: request ids reused only while an outcome is unknown."""

import pytest
from django.db import transaction

from spaceinvoices.client import Conflict, Unavailable
from spaceinvoices.factory import TransactionOpenError, account_client
from tenants.models import Customer, ProvisioningState, UpstreamIntent
from tenants.services import customer_provision
from tenants.services.intents import upstream_write
from tenants.services.provisioning import METADATA_KEY
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db
Outcome = UpstreamIntent.Outcome


@pytest.fixture
def provisioned(make_customer, simulator):
    return customer_provision(customer=make_customer(access_mode="api_key"), actor="t")


def test_no_upstream_call_inside_a_transaction(provisioned, simulator):
    client = account_client()
    with pytest.raises(TransactionOpenError), transaction.atomic():
        upstream_write(
            customer=provisioned,
            step="entity.update",
            call=lambda rid: client.entity_update(provisioned.entity_id, city="X", request_id=rid),
        )
    assert simulator.requests_to("PATCH /entities/{id}") == 0


def test_an_unknown_outcome_keeps_its_request_id_for_the_next_run(make_customer, simulator):
    customer = make_customer(access_mode="api_key")
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=9)
    failed = customer_provision(customer=customer, actor="t")
    assert failed.provisioning_state == ProvisioningState.FAILED
    [intent] = UpstreamIntent.objects.filter(step="entity.create")
    assert intent.outcome == Outcome.OPEN  # created upstream, but no answer came back
    simulator.clear_faults()
    done = customer_provision(customer=customer, actor="t")
    assert done.is_provisioned and simulator.stats()["entities"] == 1
    intent.refresh_from_db()
    assert intent.outcome == Outcome.DONE  # the re-run found it and settled the question


def test_a_replayable_answer_replays_the_same_key(make_customer, simulator):
    customer = make_customer(access_mode="api_key")
    simulator.fault(path_prefix="/entities/api-keys", method="POST", drop="after", count=9)
    customer_provision(customer=customer, actor="t")
    [intent] = UpstreamIntent.objects.filter(step="key.create", outcome=Outcome.OPEN)
    simulator.clear_faults()
    customer_provision(customer=customer, actor="t")
    intent.refresh_from_db()
    assert intent.outcome == Outcome.DONE
    assert simulator.stats()["api_keys"] == 1  # the lost answer's key is the one stored
    assert customer.api_keys.active().count() == 1


def test_after_a_refusal_the_next_attempt_acts_instead_of_replaying(
    provisioned, simulator, account_key
):
    entity = provisioned.entity_id
    client = account_client()

    def add(rid):
        return client.entity_user_add(
            entity, email="kim@x.example", role="viewer", send_invite=False, request_id=rid
        )

    headers = {"x-entity-id": entity}
    made_elsewhere = simulator.api(
        "POST", "/entities/users", account_key, headers=headers, json={"email": "kim@x.example"}
    ).json()
    with pytest.raises(Conflict):
        upstream_write(customer=provisioned, step="member.add:kim", call=add)
    simulator.api("DELETE", f"/entities/users/{made_elsewhere['user_id']}", account_key,
                  headers=headers)  # fmt: skip
    upstream_write(customer=provisioned, step="member.add:kim", call=add)
    assert upstream_users(simulator, account_key, entity) == {"kim@x.example": "viewer"}
    intents = UpstreamIntent.objects.filter(step="member.add:kim").order_by("pk")
    assert [i.outcome for i in intents] == [Outcome.REFUSED, Outcome.DONE]
    assert intents[0].request_id != intents[1].request_id
    sent = simulator.request_ids("POST /entities/users")
    assert sent[-2:] == [intents[0].request_id, intents[1].request_id]


def test_a_503_leaves_the_intent_open_and_the_same_id_is_sent_again(provisioned, simulator):
    client = account_client()
    simulator.fault(path_prefix="/entities/", method="PATCH", status=503, count=9)

    def update(rid):
        return client.entity_update(provisioned.entity_id, city="Bled", request_id=rid)

    with pytest.raises(Unavailable):
        upstream_write(customer=provisioned, step="entity.update", call=update)
    [intent] = UpstreamIntent.objects.filter(step="entity.update")
    assert intent.outcome == Outcome.OPEN
    simulator.clear_faults()
    upstream_write(customer=provisioned, step="entity.update", call=update)
    assert list(UpstreamIntent.objects.filter(step="entity.update").values_list(
        "request_id", "outcome"
    )) == [(intent.request_id, Outcome.DONE)]  # fmt: skip
    # Three tries in the first run (two retries), one in the second: all with one id.
    assert simulator.request_ids("PATCH /entities/{id}") == [intent.request_id] * 4


def test_a_pending_customer_is_looked_up_before_any_create(make_customer, simulator, account_key):
    customer = make_customer(access_mode="api_key")
    # What a run killed right after Space Invoices created the entity leaves behind.
    simulator.api(
        "POST",
        "/entities",
        account_key,
        json={"name": customer.name, "country": "Slovenia",
              "metadata": {METADATA_KEY: str(customer.uuid)}},
    )  # fmt: skip
    simulator.expire_replays()
    assert Customer.objects.get(pk=customer.pk).provisioning_state == ProvisioningState.PENDING
    done = customer_provision(customer=customer, actor="t")
    assert done.is_provisioned
    assert simulator.stats()["entities"] == 1
    assert simulator.requests_to("POST /entities") == 1  # ours above, none by the portal


def test_an_open_intent_is_not_replayed_after_a_later_write(provisioned, simulator, account_key):
    """A disable whose answer was lost, then an enable, then a disable: the last must act
    (replaying the first one's id would leave the entity enabled)."""
    from tenants.errors import PartlyApplied
    from tenants.services import customer_disable, customer_enable

    entity = provisioned.entity_id
    simulator.fault(path_prefix=f"/entities/{entity}/disable", drop="after", count=9)
    with pytest.raises(PartlyApplied) as lost:
        customer_disable(customer=provisioned, actor="t")
    assert isinstance(lost.value.__cause__, Unavailable)
    simulator.clear_faults()
    customer_enable(customer=provisioned, actor="t")
    customer_disable(customer=provisioned, actor="t")
    assert simulator.api("GET", f"/entities/{entity}", account_key).json()["is_enabled"] is False
    outcomes = list(
        UpstreamIntent.objects.filter(step="entity.disable")
        .order_by("pk")
        .values_list("outcome", flat=True)
    )
    assert outcomes == [Outcome.SUPERSEDED, Outcome.DONE]


def test_details_edited_after_an_interrupted_create_reach_the_found_entity(
    make_customer, simulator, account_key
):
    customer = make_customer(access_mode="api_key", name="P1 d.o.o.", city="Ljubljana")
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=9)
    customer_provision(customer=customer, actor="t")
    simulator.clear_faults()
    Customer.objects.filter(pk=customer.pk).update(name="Renamed Ltd", city="Maribor")
    done = customer_provision(customer=customer, actor="t")
    assert done.is_provisioned and done.details_state == "in_step"
    entity = simulator.api("GET", f"/entities/{done.entity_id}", account_key).json()
    assert (entity["name"], entity["city"]) == ("Renamed Ltd", "Maribor")
    assert simulator.stats()["entities"] == 1


def test_no_read_either_inside_a_transaction(simulator):
    with pytest.raises(TransactionOpenError), transaction.atomic():
        account_client().entities_page()
    assert simulator.requests_to("GET /entities") == 0


@pytest.mark.parametrize(
    ("edit", "sent"),
    [
        ({}, False),
        ({"tax_number": "SI99"}, True),
        ({"is_tax_subject": True}, True),
        ({"address": ""}, False),  # blank here is absent there
    ],
)
def test_an_adopted_entity_gets_only_details_that_differ(make_customer, simulator, edit, sent):
    customer = make_customer(access_mode="api_key", name="Same Ltd", city="Bled")
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=9)
    customer_provision(customer=customer, actor="t")
    simulator.clear_faults()
    Customer.objects.filter(pk=customer.pk).update(**edit)
    assert customer_provision(customer=customer, actor="t").is_provisioned
    assert (simulator.requests_to("PATCH /entities/{id}") == 1) is sent


def test_a_request_id_refused_as_reused_is_closed_and_the_write_made_under_a_new_one(
    provisioned, simulator, account_key
):
    """A lost answer leaves the intent open; if the body has changed by the next attempt,
    Space Invoices refuses the old id: that intent is closed as refused, and the write goes
    out once more under a new id."""
    client = account_client()
    entity = provisioned.entity_id
    simulator.fault(path_prefix="/entities/", method="PATCH", drop="after", count=9)
    with pytest.raises(Unavailable):
        upstream_write(
            customer=provisioned,
            step="entity.update",
            call=lambda rid: client.entity_update(entity, city="Kranj", request_id=rid),
        )
    simulator.clear_faults()
    upstream_write(
        customer=provisioned,
        step="entity.update",
        call=lambda rid: client.entity_update(entity, city="Koper", request_id=rid),
    )
    intents = list(UpstreamIntent.objects.filter(step="entity.update").order_by("pk"))
    assert [(i.outcome, i.detail) for i in intents] == [
        (Outcome.REFUSED, "request id reused with another body"),
        (Outcome.DONE, ""),
    ]
    assert all(i.answered_at for i in intents)
    assert intents[0].request_id != intents[1].request_id
    assert simulator.api("GET", f"/entities/{entity}", account_key).json()["city"] == "Koper"


def test_a_refusal_is_kept_short_and_without_secrets(provisioned):
    from spaceinvoices.client import InvalidRequest

    def refused(rid):
        raise InvalidRequest("sk_live_" + "a" * 40 + " " + "x" * 600)

    with pytest.raises(InvalidRequest):
        upstream_write(customer=provisioned, step="entity.update", call=refused)
    [intent] = UpstreamIntent.objects.filter(step="entity.update")
    assert intent.outcome == Outcome.REFUSED and intent.answered_at is not None
    assert intent.detail.startswith("sk_live_*** xxx") and len(intent.detail) == 500


def test_another_customers_open_intent_is_neither_replayed_nor_superseded(make_customer, simulator):
    """Intents belong to their customer: another's open one at the same step lends no id,
    and another's later write does not make ours stale."""
    one = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    two = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    client = account_client()

    def update(customer):
        return lambda rid: client.entity_update(customer.entity_id, city="Bled", request_id=rid)

    simulator.fault(path_prefix="/entities/", method="PATCH", status=503, count=3)
    with pytest.raises(Unavailable):
        upstream_write(customer=one, step="entity.update", call=update(one))
    [open_one] = UpstreamIntent.objects.filter(customer=one, step="entity.update")
    upstream_write(customer=two, step="entity.update", call=update(two))
    [done_two] = UpstreamIntent.objects.filter(customer=two, step="entity.update")
    assert done_two.request_id != open_one.request_id
    upstream_write(customer=one, step="entity.update", call=update(one))
    assert list(
        UpstreamIntent.objects.filter(customer=one, step="entity.update").values_list(
            "request_id", "outcome"
        )
    ) == [(open_one.request_id, Outcome.DONE)]
