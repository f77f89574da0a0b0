"""Models of the tenants app, one concept a module."""

from .api_key import EntityApiKey
from .audit import StaffAction
from .customer import AccessMode, Customer, DetailsState, Environment, ProvisioningState
from .drift import DriftFinding
from .intent import CustomerLease, UpstreamIntent
from .membership import Membership, Role, SyncState
from .session import UserSession
from .user import User
from .webhook import WebhookEndpoint

__all__ = [
    "AccessMode",
    "Customer",
    "CustomerLease",
    "DetailsState",
    "DriftFinding",
    "EntityApiKey",
    "Environment",
    "Membership",
    "ProvisioningState",
    "Role",
    "StaffAction",
    "SyncState",
    "UpstreamIntent",
    "User",
    "UserSession",
    "WebhookEndpoint",
]
