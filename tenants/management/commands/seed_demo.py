"""``seed_demo [--password P]``: idempotent demo data, provisioned in the configured service."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.models import AccessMode, Customer, Membership, SyncState, User
from tenants.services import customer_provision, members_sync, membership_add

ACTOR = "command:seed_demo"
STAFF = "staff@example.com"
CUSTOMERS = [
    {
        "slug": "acme",
        "name": "Acme d.o.o.",
        "country": "Slovenia",
        "city": "Ljubljana",
        "address": "Trubarjeva 1",
        "post_code": "1000",
        "tax_number": "SI12345678",
        "is_tax_subject": True,
        "access_mode": AccessMode.USER,
        "members": [("ana@acme.example", "admin"), ("bo@acme.example", "viewer")],
    },
    {
        "slug": "globex",
        "name": "Globex GmbH",
        "country": "Germany",
        "city": "Berlin",
        "address": "Unter den Linden 5",
        "post_code": "10117",
        "tax_number": "DE123456789",
        "is_tax_subject": True,
        "access_mode": AccessMode.API_KEY,
        "members": [
            ("cy@globex.example", "editor"),
            ("dee@globex.example", "viewer"),
            ("ana@acme.example", "admin"),
        ],
    },
]


# Where a membership needs nothing more from Space Invoices.
SETTLED = (SyncState.SYNCED, SyncState.INVITED, SyncState.NOT_APPLICABLE, SyncState.INACTIVE)


class Command(BaseCommand):
    help = "Create (or bring back) the demo staff user, customers and members; provision them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=settings.DEMO_PASSWORD,
            help="password of every demo login (default: DEMO_PASSWORD)",
        )

    def handle(self, *args, password: str, **options):
        if len(password) < 8:
            raise CommandError(
                "Give a demo password of 8+ characters (--password or DEMO_PASSWORD)."
            )
        with transaction.atomic():
            self._user(STAFF, password, is_staff=True, is_superuser=True)
            for spec in CUSTOMERS:
                fields = {k: v for k, v in spec.items() if k not in ("slug", "members")}
                customer, _ = Customer.objects.get_or_create(slug=spec["slug"], defaults=fields)
                if customer.is_offboarding:  # offboarded while trying the demo: left so
                    continue
                for email, role in spec["members"]:
                    self._user(email, password)
                    if not Membership.objects.filter(customer=customer, user__email=email).exists():
                        # Synced below, outside this transaction.
                        membership_add(
                            customer=customer, email=email, role=role, actor=ACTOR, sync=False
                        )
        failed = []
        for customer in Customer.objects.filter(slug__in=[c["slug"] for c in CUSTOMERS]):
            if customer.is_offboarding:
                self.stdout.write(
                    f"{customer.slug}: offboarded, left as it is (delete var/ to start afresh)"
                )
                continue
            if not customer.is_provisioned:
                customer = customer_provision(customer=customer, actor=ACTOR)
            elif customer.memberships.exclude(sync_state__in=SETTLED).exists():
                members_sync(customer=customer, actor=ACTOR)
            state = "provisioned" if customer.is_provisioned else f"FAILED: {customer.last_error}"
            self.stdout.write(f"{customer.slug} ({customer.access_mode}): {state}")
            if not customer.is_provisioned:
                failed.append(customer.slug)
        if failed:
            raise CommandError(f"Demo customers not provisioned: {', '.join(failed)}.")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    @staticmethod
    def _user(email: str, password: str, **flags) -> User:
        user = User.objects.filter(email=email).first() or User(email=email)
        for name, value in flags.items():
            setattr(user, name, value)
        user.is_active = True
        user.set_password(password)
        user.save()  # a new user whole; an existing one without is_active (User.save)
        User.objects.filter(pk=user.pk).update(is_active=True)
        return user
