"""``sync_members (--customer SLUG… | --all) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.services import members_sync


class Command(CustomerCommand):
    help = "Bring Space Invoices entity users in step with the portal's memberships."
    job_kind = "sync_members"

    def process(self, customer, dry_run):
        report = members_sync(customer=customer, actor=self.actor, dry_run=dry_run)
        if report.errors:
            return "FAILED: " + "; ".join(report.errors)
        if not report.changes:
            return "in step"
        return ("would " if dry_run else "") + "; ".join(report.changes)
