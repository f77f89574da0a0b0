"""``import_customers FILE.csv [--provision] [--dry-run]``: all rows or none, streamed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.errors import TenantError
from tenants.importing import COLUMNS, ImportInvalid, customers_import, import_check
from tenants.models import Customer
from tenants.services import customer_provision

PROGRESS_EVERY = 5_000  # rows


class Command(BaseCommand):
    help = (
        f"Import customers from CSV (columns: {', '.join(COLUMNS)}). A slug that exists "
        "updates that customer. Every row is checked first; all rows are saved, or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--provision",
            action="store_true",
            help="then provision every customer in the file not provisioned yet",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file only")

    def handle(self, *args, file: Path, provision=False, dry_run=False, **options):
        summary = import_check(file, progress=self._progress("checked"))
        if summary.error_count:
            self._refuse(file, summary)
        counts = f"{summary.new} new, {summary.changed} changed, {summary.unchanged} unchanged"
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(f"Dry run: {summary.rows} valid row(s): {counts}.")
            )
            return
        try:
            imported = customers_import(
                path=file, actor="command:import_customers", progress=self._progress("imported")
            )
        except ImportInvalid as exc:  # the file changed between the check and the import
            self._refuse(file, exc.summary)
        self.stdout.write(f"Imported {summary.rows} row(s): {counts}.")
        if provision:
            # Every customer the file names, not only the new ones: a re-run after a failed
            # provisioning (its rows now unchanged) finishes the work.
            self._provision(imported.customer_ids)

    def _progress(self, done: str):
        """A line each PROGRESS_EVERY rows: a large file is minutes of work."""
        shown = [0]

        def tell(rows: int) -> None:
            if rows // PROGRESS_EVERY > shown[0]:
                shown[0] = rows // PROGRESS_EVERY
                self.stdout.write(f"… {done} {rows} row(s)")

        return tell

    def _refuse(self, file, summary):
        for error in summary.errors:
            self.stderr.write(error)
        if summary.error_count > len(summary.errors):
            self.stderr.write(f"… and {summary.error_count - len(summary.errors)} more")
        raise CommandError(f"Nothing imported: {summary.error_count} error(s) in {file}.")

    def _provision(self, customer_ids: list[int]):
        failures = 0
        for number, pk in enumerate(customer_ids, start=1):
            customer = Customer.objects.get(pk=pk)  # as it is now, one at a time
            if customer.is_provisioned:
                outcome = "already provisioned"
            elif customer.is_offboarding:
                outcome = "offboarded: left as it is"
            else:
                try:
                    result = customer_provision(customer=customer, actor="command:import_customers")
                    problem = result.last_error or ("" if result.is_provisioned else "failed")
                except TenantError as exc:  # busy with another run, say: the next goes on
                    problem = str(exc)
                failures += bool(problem)
                outcome = self.style.ERROR(f"FAILED: {problem}") if problem else "provisioned"
            self.stdout.write(f"[{number}/{len(customer_ids)}] {customer.slug}: {outcome}")
        if failures:
            raise CommandError(
                f"{failures} customer(s) failed to provision; re-run "
                "provision_customers --all-pending to finish."
            )
        self.stdout.write(self.style.SUCCESS("All provisioned."))
