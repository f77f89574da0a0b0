"""``register_webhooks (--customer SLUG… | --all) [--dry-run] [--queue]``."""

from tenants.management.customer_command import CustomerCommand
from tenants.services import refuse_unless_ready, webhook_endpoint_register


class Command(CustomerCommand):
    help = (
        "Register the webhook endpoint (activity and usage) for customers provisioned before "
        "webhooks; a customer that has one is left as it is."
    )
    job_kind = "register_webhook"

    def process(self, customer, dry_run):
        active = customer.webhook_endpoints.active().only("endpoint_id").first()
        if dry_run:
            refuse_unless_ready(customer)  # as the real run would
            return f"has {active.endpoint_id}" if active else "would register"
        warnings = webhook_endpoint_register(customer=customer, actor=self.actor)
        endpoint = customer.webhook_endpoints.active().only("endpoint_id").get().endpoint_id
        said = f"already {endpoint}" if active else f"registered {endpoint}"
        return f"FAILED: {said}, but " + "; ".join(warnings) if warnings else said
