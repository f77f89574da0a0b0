"""What each customer action does for one customer: a warning to show, or None.

The admin runs these at once for one customer (its page's buttons); the jobs app runs them
on the queue for many (the list's actions), so both say the same thing the same way.
"""

from collections.abc import Callable

from tenants.errors import TenantError
from tenants.models import AccessMode, Customer
from tenants.services import (
    Actor,
    customer_access_mode_set,
    customer_details_update,
    customer_disable,
    customer_drift_apply,
    customer_drift_check,
    customer_enable,
    customer_offboard,
    customer_provision,
    entity_key_rotate,
    members_sync,
    webhook_endpoint_register,
    webhook_endpoint_rotate,
)


def provision(customer: Customer, actor: Actor) -> str | None:
    result = customer_provision(customer=customer, actor=actor)
    if not result.is_provisioned:  # saved as failed, with why; a re-run resumes it
        raise TenantError(f"not provisioned: {result.last_error}")
    if result.last_error:  # set up before, and still: this run's problem, said as such
        raise TenantError(f"provisioned, but: {result.last_error}")
    return None


def update_details(customer: Customer, actor: Actor) -> str | None:
    customer_details_update(customer=customer, actor=actor)
    return None


def rotate_key(customer: Customer, actor: Actor) -> str | None:
    return "; ".join(entity_key_rotate(customer=customer, actor=actor)) or None


def sync_members(customer: Customer, actor: Actor) -> str | None:
    report = members_sync(customer=customer, actor=actor)
    if report.stopped_by is not None:
        raise report.stopped_by  # Space Invoices is down: the queue tries again later
    if report.errors:
        raise TenantError("; ".join(report.errors))
    return None


def disable(customer: Customer, actor: Actor) -> str | None:
    customer_disable(customer=customer, actor=actor)
    return None


def enable(customer: Customer, actor: Actor) -> str | None:
    customer_enable(customer=customer, actor=actor)
    return None


def _access_mode_set(customer: Customer, actor: Actor, mode: str) -> str | None:
    report = customer_access_mode_set(customer=customer, mode=mode, actor=actor)
    if report and report.errors:
        return "switched here, but Space Invoices is not in step yet: " + "; ".join(report.errors)
    return None


def switch_to_api_key(customer: Customer, actor: Actor) -> str | None:
    return _access_mode_set(customer, actor, AccessMode.API_KEY)


def switch_to_user(customer: Customer, actor: Actor) -> str | None:
    return _access_mode_set(customer, actor, AccessMode.USER)


def check_drift(customer: Customer, actor: Actor) -> str | None:
    found = customer_drift_check(customer=customer)
    return "; ".join(f"{f.get_kind_display()}: {f.detail}" for f in found) or None


def reconcile(customer: Customer, actor: Actor) -> str | None:
    left = customer_drift_apply(customer=customer, actor=actor)
    return ("still differs: " + "; ".join(f.detail for f in left)) if left else None


def offboard(customer: Customer, actor: Actor) -> str | None:
    return "; ".join(customer_offboard(customer=customer, actor=actor).left_upstream) or None


def register_webhook(customer: Customer, actor: Actor) -> str | None:
    return "; ".join(webhook_endpoint_register(customer=customer, actor=actor)) or None


def rotate_webhook(customer: Customer, actor: Actor) -> str | None:
    return "; ".join(webhook_endpoint_rotate(customer=customer, actor=actor)) or None


# The action's name → what it does for one customer.
RUNS: dict[str, Callable[[Customer, Actor], str | None]] = {
    "provision": provision,
    "update_details": update_details,
    "rotate_key": rotate_key,
    "sync_members": sync_members,
    "disable": disable,
    "enable": enable,
    "switch_to_api_key": switch_to_api_key,
    "switch_to_user": switch_to_user,
    "offboard": offboard,
    "check_drift": check_drift,
    "reconcile": reconcile,
    "register_webhook": register_webhook,
    "rotate_webhook": rotate_webhook,
}


# The action's name → the permission it needs (also to retry it from a job's page).
PERMISSIONS: dict[str, str] = {
    "provision": "tenants.provision_customer",
    "update_details": "tenants.update_entity_details",
    "rotate_key": "tenants.rotate_entityapikey",
    "sync_members": "tenants.sync_members",
    "disable": "tenants.disable_customer",
    "enable": "tenants.disable_customer",
    "switch_to_api_key": "tenants.change_access_mode",
    "switch_to_user": "tenants.change_access_mode",
    "offboard": "tenants.offboard_customer",
    # Reads only, but calls Space Invoices and rewrites the findings: not for Support.
    "check_drift": "tenants.reconcile_customer",
    "reconcile": "tenants.reconcile_customer",
    "register_webhook": "tenants.register_webhookendpoint",
    "rotate_webhook": "tenants.rotate_webhookendpoint",
}
