"""``manage.py simulator serve|create-account|reset``: the simulator's own command line."""

from django.core.management.base import BaseCommand, CommandError

from embedding.simulator.cli import build_parser, main


class Command(BaseCommand):
    help = "Run the Space Invoices simulator (development and tests only)."

    def run_from_argv(self, argv):
        # The simulator owns its arguments; Django's parser would reject its sub-commands.
        code = main(argv[2:])
        if code:
            raise SystemExit(code)

    def create_parser(self, prog_name, subcommand, **kwargs):
        return build_parser()

    def handle(self, *args, **options):
        raise CommandError("Run as: manage.py simulator serve|create-account|reset")
