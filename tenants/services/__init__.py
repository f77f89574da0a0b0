"""Business actions on customers, keys and members; views, admin and commands call these."""

from .access import customer_access_mode_set, customer_disable, customer_enable
from .audit import Actor, staff_action_record
from .details import DETAIL_FIELDS, DETAILS_WITH_PROVISIONING, customer_details_update
from .drift import customer_drift_apply, customer_drift_check
from .guards import (
    refuse_if_offboarding,
    refuse_unless_ready,
    team_growth_refusal,
)
from .invitations import invitation_resend
from .keys import entity_key_attach, entity_key_rotate, entity_key_verify
from .members import (
    SyncReport,
    members_sync,
    members_sync_if_live,
    user_active_set,
    users_deactivate,
)
from .offboarding import OffboardingIncomplete, OffboardingReport, customer_offboard
from .provisioning import customer_provision
from .team import membership_add, membership_remove, membership_role_set
from .webhooks import webhook_endpoint_register, webhook_endpoint_rotate

__all__ = [
    "DETAILS_WITH_PROVISIONING",
    "DETAIL_FIELDS",
    "Actor",
    "OffboardingIncomplete",
    "OffboardingReport",
    "SyncReport",
    "customer_access_mode_set",
    "customer_details_update",
    "customer_disable",
    "customer_drift_apply",
    "customer_drift_check",
    "customer_enable",
    "customer_offboard",
    "customer_provision",
    "entity_key_attach",
    "entity_key_rotate",
    "entity_key_verify",
    "invitation_resend",
    "members_sync",
    "members_sync_if_live",
    "membership_add",
    "membership_remove",
    "membership_role_set",
    "refuse_if_offboarding",
    "refuse_unless_ready",
    "staff_action_record",
    "team_growth_refusal",
    "user_active_set",
    "users_deactivate",
    "webhook_endpoint_register",
    "webhook_endpoint_rotate",
]
