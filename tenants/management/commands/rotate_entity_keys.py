"""``rotate_entity_keys (--customer SLUG… | --all) [--dry-run]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.services import entity_key_rotate, refuse_unless_ready


class Command(CustomerCommand):
    help = "Rotate entity API keys: new key in, old key deleted at Space Invoices."
    job_kind = "rotate_key"

    def process(self, customer, dry_run):
        if dry_run:
            refuse_unless_ready(customer)  # as the real run would
            return "would rotate"
        warnings = entity_key_rotate(customer=customer, actor=self.actor)
        if warnings:
            return "FAILED: rotated, but " + "; ".join(warnings)
        return f"rotated (now {customer.api_keys.active().only('prefix_hint').get().prefix_hint})"
