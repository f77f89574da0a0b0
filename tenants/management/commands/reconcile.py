"""``reconcile (--customer SLUG… | --all) [--apply] [--queue]``: the drift report."""

from django.core.management.base import CommandError

from tenants.management.customer_command import CustomerCommand
from tenants.services import customer_drift_apply, customer_drift_check


class Command(CustomerCommand):
    help = (
        "Compare customers with Space Invoices and say where they differ; with --apply, bring "
        "Space Invoices back in line with the portal (audited). A missing entity or an "
        "unreadable key is only reported, and makes --apply exit non-zero."
    )
    job_kind = "check_drift"  # "reconcile" with --apply, set in handle

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--apply", action="store_true", help="put right what differs")

    def handle(self, *args, apply=False, **options):
        if apply and options.get("dry_run"):
            raise CommandError("--apply and --dry-run do not go together (without --apply "
                               "it only compares).")  # fmt: skip
        self.apply = apply
        self.job_kind = "reconcile" if apply else "check_drift"
        return super().handle(*args, **options)

    def job_label(self) -> str:
        return "reconcile --apply" if self.apply else "reconcile (check only)"

    def process(self, customer, dry_run):
        if self.apply:
            left = customer_drift_apply(customer=customer, actor=self.actor)
            if left:
                return "FAILED: still differs: " + "; ".join(f.detail for f in left)
            return "in line with Space Invoices"
        found = customer_drift_check(customer=customer)
        if not found:
            return "in line with Space Invoices"
        return "differs: " + "; ".join(f"{f.get_kind_display()}: {f.detail}" for f in found)
