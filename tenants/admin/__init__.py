"""The partner-staff admin: thin classes that call the tenants services."""

from . import audit, customers, memberships, users  # noqa: F401  (registration)
