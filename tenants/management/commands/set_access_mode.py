"""``set_access_mode --mode user|api_key (--customer SLUG… | --all) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.models import AccessMode, Customer
from tenants.services import customer_access_mode_set


class Command(CustomerCommand):
    help = (
        "Switch customers between user-based and entity-API-key access. To api_key removes "
        "the entity's users at Space Invoices; to user adds every active member. Run again, "
        "it finishes what an interrupted run left."
    )
    all_help = "every customer"
    job_kind = "switch_to_user"  # set from --mode in handle

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--mode", required=True, choices=AccessMode.values)

    def all_customers(self):
        return Customer.objects.all()

    def handle(self, *args, mode: str, **options):
        self.mode = mode
        self.job_kind = f"switch_to_{mode}"  # the customer action of the same name
        return super().handle(*args, **options)

    def job_label(self) -> str:
        return f"set_access_mode --mode {self.mode}"

    def process(self, customer, dry_run):
        already = customer.access_mode == self.mode
        if dry_run:
            if already:
                return f"already {self.mode}: nothing to switch"
            return f"would switch {customer.access_mode} → {self.mode}"
        report = customer_access_mode_set(customer=customer, mode=self.mode, actor=self.actor)
        if report and report.errors:
            here = f"already {self.mode} here" if already else "switched here"
            return f"FAILED: {here}, but " + "; ".join(report.errors)
        # Run again on a switched customer, it only finishes what Space Invoices lacks.
        said = [f"already {self.mode}" if already else f"now {self.mode}"]
        return "; ".join(said + (report.changes if report else []))
