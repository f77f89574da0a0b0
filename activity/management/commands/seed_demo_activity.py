"""``seed_demo_activity``: a few invoices made at the simulator for the demo customers, so
that `make run` shows activity and usage (their webhooks reach the running portal)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from spaceinvoices.client import SpaceInvoicesError
from spaceinvoices.factory import account_client
from tenants.models import Customer

BUYER = "Demo buyer"
MADE_HERE = {"customer.name": {"equals": BUYER}}
DEMO = {"acme": [("Website redesign", 1200.0), ("Hosting, one year", 240.0)],
        "globex": [("Consulting, 6 hours", 480.0)]}  # fmt: skip


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def handle(self, *args, **options):
        host = urlsplit(settings.SPACEINVOICES_API_URL).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            # Business data is the customer's own: never made by us at the real service.
            raise CommandError("Only against the simulator (a loopback SPACEINVOICES_API_URL).")
        made = 0
        demo = Customer.objects.filter(slug__in=DEMO, entity_id__isnull=False)
        # One offboarded while trying the demo has no key left, nor anything to show.
        for customer in demo.filter(offboarding_started_at__isnull=True):
            key = customer.api_keys.active().get().key
            client = account_client().with_key(key)
            if next(client.invoices_iter(customer.entity_id, query=MADE_HERE), None):
                continue  # made by an earlier run: once is enough
            for name, price in DEMO[customer.slug]:
                try:
                    client.invoice_create(
                        customer.entity_id,
                        customer={"name": BUYER},
                        items=[{"name": name, "quantity": 1, "price": price}],
                    )
                except SpaceInvoicesError as exc:
                    raise CommandError(f"{customer.slug}: {exc}") from None
                made += 1
        self.stdout.write(self.style.SUCCESS(f"{made} demo invoice(s) made."))
