"""``import_customers FILE.csv [--provision] [--dry-run]``: all rows or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.importing import COLUMNS, customers_import, import_plan
from tenants.services import customer_provision


class Command(BaseCommand):
    help = f"Import customers from CSV (columns: {', '.join(COLUMNS)})."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--provision", action="store_true", help="provision each one too")
        parser.add_argument("--dry-run", action="store_true", help="check the file only")

    def handle(self, *args, file: Path, provision=False, dry_run=False, **options):
        plan = import_plan(file)
        if plan.errors:
            for error in plan.errors:
                self.stderr.write(error)
            raise CommandError(f"Nothing imported: {len(plan.errors)} error(s) in {file}.")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"Dry run: {len(plan.rows)} row(s) are valid."))
            return
        customers = customers_import(plan=plan, actor="command:import_customers")
        self.stdout.write(f"Imported {len(customers)} customer(s).")
        if not provision:
            return
        failures = 0
        for number, customer in enumerate(customers, start=1):
            result = customer_provision(customer=customer, actor="command:import_customers")
            ok = result.is_provisioned
            failures += not ok
            outcome = "provisioned" if ok else self.style.ERROR(f"FAILED: {result.last_error}")
            self.stdout.write(f"[{number}/{len(customers)}] {customer.slug}: {outcome}")
        if failures:
            raise CommandError(
                f"{failures} customer(s) failed to provision; re-run "
                "provision_customers --all-pending to finish."
            )
        self.stdout.write(self.style.SUCCESS("All provisioned."))
