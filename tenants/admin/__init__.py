"""The partner-staff admin: thin classes that call the tenants services."""

from . import audit, customers, drift, keys, memberships, staff_access, users, webhooks  # noqa: F401
