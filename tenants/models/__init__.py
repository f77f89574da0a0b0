"""Models of the tenants app, one concept a module."""

from .user import User

__all__ = ["User"]
