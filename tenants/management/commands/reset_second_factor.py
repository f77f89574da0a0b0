"""``reset_second_factor EMAIL``: a staff user lost their authenticator and recovery codes."""

from django.core.management.base import BaseCommand, CommandError

from portal.second_factor import second_factor_devices_remove
from tenants.models import StaffAction, User
from tenants.services import staff_action_record


class Command(BaseCommand):
    help = (
        "Remove a staff user's second-factor devices and recovery codes; they set up a new "
        "authenticator at their next sign-in. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email!r}.")
        removed = second_factor_devices_remove(user=user)
        staff_action_record(
            actor="command:reset_second_factor",
            action=StaffAction.Action.RESET_SECOND_FACTOR,
            detail=f"{user.email}: {removed} device(s) removed",
        )
        if not removed:
            self.stdout.write(f"{user.email} had no second factor; nothing to reset.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Reset: {user.email} sets up a new authenticator at their next sign-in."
            )
        )
