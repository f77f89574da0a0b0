"""Base of the commands that act on chosen customers: selection, progress, exit status."""

from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError

from spaceinvoices.client import SpaceInvoicesError
from tenants.bulk_queue import bulk_enqueue
from tenants.encryption import DecryptionError
from tenants.errors import TenantError
from tenants.models import Customer


class CustomerCommand(BaseCommand):
    """``--customer SLUG…`` or ``--all`` (``all_help`` says what all means), ``--dry-run``.

    Subclasses implement ``process(customer, dry_run) -> str`` and may raise
    ``SpaceInvoicesError``, ``TenantError`` or ``DecryptionError`` (a stored secret no key
    here reads); any failure makes the command exit non-zero, and the others still run.
    Those with a ``job_kind`` (a customer action's name) also take ``--queue``: the work
    becomes a job on the queue, and the command ends once it is queued.
    """

    all_flag = "--all"
    all_help = "every provisioned customer"
    all_includes_offboarding = False
    job_kind = ""

    def add_arguments(self, parser):
        chosen = parser.add_mutually_exclusive_group(required=True)
        chosen.add_argument("--customer", nargs="+", metavar="SLUG", dest="slugs")
        chosen.add_argument(self.all_flag, action="store_true", dest="all", help=self.all_help)
        parser.add_argument("--dry-run", action="store_true", help="say what would change")
        if self.job_kind:
            parser.add_argument(
                "--queue",
                action="store_true",
                help="queue the work as a job for the workers instead of doing it here",
            )

    def all_customers(self):
        return Customer.objects.filter(entity_id__isnull=False)

    def process(self, customer: Customer, dry_run: bool) -> str:
        raise NotImplementedError

    def job_label(self) -> str:
        return self.actor.split(":", 1)[1]  # the command's name

    def enqueue(self, customers: list[Customer], dry_run: bool) -> None:
        if dry_run:
            raise CommandError("--queue and --dry-run do not go together.")
        if not customers:
            self.stdout.write("Nothing to queue.")
            return
        job = bulk_enqueue(
            kind=self.job_kind, label=self.job_label(), customers=customers, origin=self.actor
        )
        if job is None:
            raise CommandError("--queue needs the jobs app (no queue is installed).")
        state = job.items.model.State  # the jobs app's, reached through the job it returned
        items = list(
            job.items.order_by("customer__slug").values_list("customer__slug", "state", "message")
        )
        if any(s in (state.PENDING, state.RUNNING) for _, s, _ in items):
            self.stdout.write(
                self.style.SUCCESS(f"Queued job #{job.pk} for {len(customers)} customer(s).")
            )
            return
        # No broker: the job ran right here, so say how it went, as a run without --queue;
        # done with something left (a key to delete there) counts as failed there too.
        outcomes = [
            (slug, f"FAILED: {message}" if s == state.FAILED else
             f"FAILED: done, but {message}" if message else "done")
            for slug, s, message in items
        ]  # fmt: skip
        self._report(outcomes, total=len(outcomes), lead=f"Job #{job.pk} ran here: ")

    def _report(self, outcomes: Iterable[tuple[str, str]], *, total: int, lead: str) -> None:
        """A line per customer as it comes, then the count; a "FAILED" one fails the command."""
        failures = 0
        for number, (slug, outcome) in enumerate(outcomes, start=1):
            if outcome.startswith("FAILED"):
                failures += 1
                outcome = self.style.ERROR(outcome)
            self.stdout.write(f"[{number}/{total}] {slug}: {outcome}")
        if failures:
            raise CommandError(f"{lead}{failures} of {total} customer(s) failed.")
        self.stdout.write(self.style.SUCCESS(f"{lead}{total} customer(s) done."))

    @property
    def actor(self) -> str:
        return f"command:{self.__module__.rsplit('.', 1)[-1]}"

    def handle(self, *args, slugs=None, all=False, dry_run=False, queue=False, **options):
        if slugs:
            customers = list(Customer.objects.filter(slug__in=slugs).order_by("slug"))
            missing = sorted(set(slugs) - {c.slug for c in customers})
            if missing:
                raise CommandError(f"No customer with slug: {', '.join(missing)}")
        else:
            chosen = self.all_customers()
            if not self.all_includes_offboarding:
                # A customer that left is refused by every service: "all" never means it.
                chosen = chosen.filter(offboarding_started_at__isnull=True)
            customers = list(chosen.order_by("slug"))
        if queue:
            return self.enqueue(customers, dry_run)
        outcomes = ((c.slug, self._outcome(c, dry_run)) for c in customers)  # each as it ends
        self._report(outcomes, total=len(customers), lead="Dry run: " if dry_run else "")

    def _outcome(self, customer: Customer, dry_run: bool) -> str:
        try:
            return self.process(customer, dry_run)
        except (SpaceInvoicesError, TenantError, DecryptionError) as exc:
            return f"FAILED: {exc}"
