"""Staff action records: who, what, on which customer, and a bounded, masked detail."""

import pytest

from tenants.errors import Offboarded
from tenants.models import StaffAction
from tenants.services.audit import staff_action_record
from tenants.services.guards import refuse_if_offboarding

pytestmark = pytest.mark.django_db


def test_a_command_is_recorded_by_its_label_a_person_as_themselves(staff, make_customer):
    customer = make_customer()
    by_command = staff_action_record(actor="command:provision", action="provision")
    by_person = staff_action_record(actor=staff, action="provision", customer=customer)
    assert (by_command.actor, by_command.actor_label, by_command.detail) == (
        None, "command:provision", "",
    )  # fmt: skip
    assert (by_person.actor, by_person.actor_label, by_person.customer) == (
        staff, "staff@partner.example", customer,
    )  # fmt: skip


def test_a_long_detail_is_cut_and_masked(staff):
    row = staff_action_record(actor="t", action="provision", detail="sk_live_abc " + "x" * 3000)
    stored = StaffAction.objects.get(pk=row.pk).detail
    assert stored.startswith("sk_live_*** x") and len(stored) == 2000


def test_an_offboarded_customer_and_one_being_offboarded_are_told_apart(make_customer):
    from django.utils import timezone

    leaving = make_customer(name="Leaving", offboarding_started_at=timezone.now())
    gone = make_customer(
        name="Gone", offboarding_started_at=timezone.now(), offboarded_at=timezone.now()
    )
    with pytest.raises(Offboarded, match=r"^Leaving is being offboarded; nothing is set up"):
        refuse_if_offboarding(leaving)
    with pytest.raises(Offboarded, match=r"^Gone has been offboarded; nothing is set up"):
        refuse_if_offboarding(gone)
    refuse_if_offboarding(make_customer(name="Staying"))  # no refusal
