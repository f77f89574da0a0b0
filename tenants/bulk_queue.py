"""Where bulk work goes when a queue is installed: the jobs app offers one at start-up.

tenants stays below jobs in the layers: its commands and admin ask this module, never the
jobs app itself.
"""

from collections.abc import Callable

_enqueue: Callable | None = None


def bulk_enqueue_set(enqueue: Callable | None) -> None:
    """``enqueue(kind=, label=, customers=, created_by=, origin=)`` returns the job."""
    global _enqueue
    _enqueue = enqueue


def bulk_enqueue(*, kind: str, label: str, customers: list, created_by=None, origin: str = ""):
    """Start a job for ``customers``; None when no queue is installed. ``origin`` names a
    starter that is not a person (``command:sync_members``) for the audit."""
    if _enqueue is None:
        return None
    return _enqueue(
        kind=kind, label=label, customers=customers, created_by=created_by, origin=origin
    )
