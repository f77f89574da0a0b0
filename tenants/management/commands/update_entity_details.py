"""``update_entity_details (--customer SLUG… | --all-behind) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.models import Customer, DetailsState
from tenants.services import (
    DETAILS_WITH_PROVISIONING,
    customer_details_update,
    refuse_unless_ready,
)


class Command(CustomerCommand):
    help = "Send provisioned customers' details to their entities at Space Invoices."
    job_kind = "update_details"
    all_flag = "--all-behind"
    all_help = "every provisioned customer whose details were not sent or failed to send"

    def all_customers(self):
        return Customer.objects.filter(entity_id__isnull=False).exclude(
            details_state=DetailsState.IN_STEP
        )

    def process(self, customer, dry_run):
        if dry_run:
            refuse_unless_ready(customer, why=DETAILS_WITH_PROVISIONING)  # as the real run would
            return f"would send ({customer.get_details_state_display().lower()})"
        customer_details_update(customer=customer, actor=self.actor)
        return "sent"
