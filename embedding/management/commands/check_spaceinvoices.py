"""``manage.py check_spaceinvoices``: is the configured URL and account key usable?"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from spaceinvoices.client import SpaceInvoicesError, Unauthorized
from spaceinvoices.contract import is_account_key, key_environment
from spaceinvoices.factory import account_client


class Command(BaseCommand):
    help = "Check SPACEINVOICES_API_URL and SPACEINVOICES_API_KEY by listing entities."

    def handle(self, *args, **options):
        key = settings.SPACEINVOICES_API_KEY
        if not key:
            raise CommandError("SPACEINVOICES_API_KEY is not set.")
        environment = key_environment(key)
        if environment is None or not is_account_key(key):
            raise CommandError(
                "SPACEINVOICES_API_KEY is not an account key (expected sk_live_… or sk_sandbox_…)."
            )
        started = time.monotonic()
        try:
            page = account_client().entities_page(limit=1, include_total_count=True)
        except Unauthorized:
            raise CommandError("Space Invoices refused the account key (401).") from None
        except SpaceInvoicesError as exc:
            raise CommandError(f"Space Invoices check failed: {exc}") from None
        elapsed_ms = (time.monotonic() - started) * 1000
        self.stdout.write(f"URL: {settings.SPACEINVOICES_API_URL}")
        self.stdout.write(f"Environment: {environment}")
        self.stdout.write(f"Entities: {page.total}")
        self.stdout.write(self.style.SUCCESS(f"OK, round trip {elapsed_ms:.0f} ms"))
