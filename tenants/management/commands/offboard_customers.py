"""``offboard_customers (--customer SLUG… | --all-unfinished) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.models import Customer
from tenants.services import customer_offboard


class Command(CustomerCommand):
    help = (
        "Offboard customers: their users are removed and their keys deleted at Space "
        "Invoices, their entity disabled, their memberships ended; each stays here as an "
        "archived record. Run again, it finishes what a failed or killed run began."
    )
    job_kind = "offboard"
    # Never "--all": offboarding every customer is not something to type by accident.
    all_flag = "--all-unfinished"
    all_help = "every customer whose offboarding began but did not finish"
    all_includes_offboarding = True

    def all_customers(self):
        return Customer.objects.filter(
            offboarding_started_at__isnull=False, offboarded_at__isnull=True
        )

    def process(self, customer, dry_run):
        if dry_run:
            if customer.offboarded_at:
                return "already offboarded"
            return f"would offboard ({customer.memberships.count()} membership(s) would end)"
        report = customer_offboard(customer=customer, actor=self.actor)
        return "offboarded: " + "; ".join(report.done + report.left_upstream)
