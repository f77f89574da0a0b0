"""``rotate_webhook_secrets (--customer SLUG… | --all) [--dry-run] [--queue]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.services import refuse_unless_ready, webhook_endpoint_rotate


class Command(CustomerCommand):
    help = "Rotate webhook signing secrets: a new endpoint in, the old one deleted upstream."
    job_kind = "rotate_webhook"

    def process(self, customer, dry_run):
        if dry_run:
            refuse_unless_ready(customer)  # as the real run would
            return "would rotate"
        warnings = webhook_endpoint_rotate(customer=customer, actor=self.actor)
        endpoint = customer.webhook_endpoints.active().only("endpoint_id").get().endpoint_id
        if warnings:
            return f"FAILED: rotated (now {endpoint}), but " + "; ".join(warnings)
        return f"rotated (now {endpoint})"
