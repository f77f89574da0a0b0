"""Typed refusals of the tenants services, with messages fit to show partner staff."""


class TenantError(Exception):
    """A business rule refused the action; the message says why and never holds a secret."""


class NotProvisioned(TenantError):
    pass


class KeyRejected(TenantError):
    """A key offered by hand that Space Invoices does not accept for this entity.
    ``about_entity``: the entity id given is what is wrong (a form puts it on that field)."""

    def __init__(self, message: str, *, about_entity: bool = False) -> None:
        super().__init__(message)
        self.about_entity = about_entity


class Offboarded(TenantError):
    """The customer has left (or is leaving): nothing new is set up for it upstream."""


class PartlyApplied(TenantError):
    """Applied here, not (or not confirmed) at Space Invoices: the message says which part
    holds. Raised from the upstream failure, so a queue can tell a passing outage."""
