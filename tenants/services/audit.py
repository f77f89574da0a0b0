"""Recording staff actions: who (a user, or a command's label), what, on which customer."""

from django.contrib.auth.models import AbstractBaseUser

from portal.redaction import redact
from tenants.models import Customer, StaffAction

# A logged-in user, or a label for work without one ("command:provision_customers").
Actor = AbstractBaseUser | str


def staff_action_record(
    *,
    actor: Actor,
    action: str,
    customer: Customer | None = None,
    succeeded: bool = True,
    detail: str = "",
) -> StaffAction:
    user = None if isinstance(actor, str) else actor
    return StaffAction.objects.create(
        actor=user,
        actor_label=actor if isinstance(actor, str) else str(actor),
        action=action,
        customer=customer,
        succeeded=succeeded,
        detail=redact(detail)[:2000],
    )
