"""``sync_members (--customer SLUG… | --all) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.models import Customer
from tenants.services import members_sync


class Command(CustomerCommand):
    help = "Bring Space Invoices entity users in step with the portal's memberships."
    all_help = "every provisioned customer"

    def all_customers(self):
        return Customer.objects.filter(entity_id__isnull=False)

    def process(self, customer, dry_run):
        report = members_sync(customer=customer, actor=self.actor, dry_run=dry_run)
        changes = "; ".join(report.changes) or "in step"
        if report.errors:
            return "FAILED: " + "; ".join(report.errors)
        return ("would " if dry_run else "") + changes
