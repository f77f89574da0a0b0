"""``provision_customers (--customer SLUG… | --all-pending) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.models import Customer, ProvisioningState
from tenants.services import customer_provision, refuse_if_offboarding


class Command(CustomerCommand):
    help = "Create Space Invoices entities, keys and users for customers. Safe to re-run."
    job_kind = "provision"
    all_flag = "--all-pending"
    all_help = "every customer not provisioned yet (pending or failed)"

    def all_customers(self):
        return Customer.objects.exclude(provisioning_state=ProvisioningState.PROVISIONED)

    def process(self, customer, dry_run):
        if dry_run:
            refuse_if_offboarding(customer)  # as the real run would
            return "already provisioned" if customer.is_provisioned else "would provision"
        result = customer_provision(customer=customer, actor=self.actor)
        if not result.is_provisioned or result.last_error:
            return f"FAILED: {result.last_error}"
        return f"provisioned ({result.entity_id})"
