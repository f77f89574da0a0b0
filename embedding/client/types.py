"""Small typed objects for Space Invoices answers, parsed strictly from JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from .errors import MalformedResponse

T = TypeVar("T")


class _Fields:
    """Reads fields from one JSON object; a missing or mistyped field is MalformedResponse."""

    def __init__(self, data: Any, what: str) -> None:
        if not isinstance(data, dict):
            raise MalformedResponse(f"{what}: expected a JSON object")
        self.data = data
        self.what = what

    def _get(self, name: str, kinds: tuple[type, ...], optional: bool) -> Any:
        if name not in self.data or self.data[name] is None:
            if optional:
                return None
            raise MalformedResponse(f"{self.what}: field {name!r} is missing")
        value = self.data[name]
        # bool is an int in Python; a field typed int must not accept it, nor the reverse.
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            raise MalformedResponse(f"{self.what}: field {name!r} has the wrong type")
        return value

    def str(self, name: str) -> str:
        return self._get(name, (str,), optional=False)

    def opt_str(self, name: str) -> str | None:
        return self._get(name, (str,), optional=True)

    def bool(self, name: str, default: bool | None = None) -> bool:
        value = self._get(name, (bool,), optional=default is not None)
        return default if value is None else value

    def int(self, name: str) -> int:
        return self._get(name, (int,), optional=False)

    def dict(self, name: str) -> dict:
        return self._get(name, (dict,), optional=True) or {}

    def list(self, name: str) -> list:
        return self._get(name, (list,), optional=False)

    def time(self, name: str) -> datetime:
        return self._parse_time(name, self.str(name))

    def opt_time(self, name: str) -> datetime | None:
        raw = self.opt_str(name)
        return None if raw is None else self._parse_time(name, raw)

    def _parse_time(self, name: str, raw: str) -> datetime:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            raise MalformedResponse(f"{self.what}: field {name!r} is not a timestamp") from None


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    country: str
    country_code: str | None
    environment: str
    is_enabled: bool
    created_at: datetime
    updated_at: datetime
    address: str | None = None
    city: str | None = None
    post_code: str | None = None
    tax_number: str | None = None
    is_tax_subject: bool | None = None
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Entity:
        f = _Fields(data, "entity")
        return cls(
            id=f.str("id"),
            name=f.str("name"),
            country=f.str("country"),
            country_code=f.opt_str("country_code"),
            environment=f.str("environment"),
            is_enabled=f.bool("is_enabled"),
            created_at=f.time("created_at"),
            updated_at=f.time("updated_at"),
            address=f.opt_str("address"),
            city=f.opt_str("city"),
            post_code=f.opt_str("post_code"),
            tax_number=f.opt_str("tax_number"),
            is_tax_subject=f._get("is_tax_subject", (bool,), optional=True),
            metadata=f.dict("metadata"),
        )


@dataclass(frozen=True)
class ApiKeyInfo:
    """An entity API key as listed: never the secret, only its hint."""

    entity_id: str
    name: str | None
    environment: str
    prefix_hint: str
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def from_json(cls, data: Any) -> ApiKeyInfo:
        f = _Fields(data, "api key")
        return cls(
            entity_id=f.str("entity_id"),
            name=f.opt_str("name"),
            environment=f.str("environment"),
            prefix_hint=f.str("prefix_hint"),
            expires_at=f.opt_time("expires_at"),
            created_at=f.time("created_at"),
        )


@dataclass(frozen=True)
class CreatedApiKey(ApiKeyInfo):
    """The answer to a key creation: the only time the secret is seen. Never in a repr."""

    secret: str = field(default="", repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedApiKey:
        info = ApiKeyInfo.from_json(data)
        # The key's id IS the secret [doc].
        return cls(**info.__dict__, secret=_Fields(data, "api key").str("id"))


@dataclass(frozen=True)
class EntityUser:
    user_id: str
    entity_id: str
    email: str
    role: str
    status: str
    name: str | None = None
    invitation_id: str | None = None
    created_at: datetime | None = None

    @property
    def is_invited(self) -> bool:
        return self.status == "invited"

    @classmethod
    def from_json(cls, data: Any) -> EntityUser:
        f = _Fields(data, "entity user")
        return cls(
            user_id=f.str("user_id"),
            entity_id=f.str("entity_id"),
            email=f.str("email"),
            role=f.str("role"),
            status=f.str("status"),
            name=f.opt_str("name"),
            invitation_id=f.opt_str("invitation_id"),
            created_at=f.opt_time("created_at"),
        )


@dataclass(frozen=True)
class Invitation:
    id: str
    entity_id: str
    email: str
    role: str
    status: str
    expires_at: datetime
    created_at: datetime

    @classmethod
    def from_json(cls, data: Any) -> Invitation:
        f = _Fields(data, "invitation")
        return cls(
            id=f.str("id"),
            entity_id=f.str("entity_id"),
            email=f.str("email"),
            role=f.str("role"),
            status=f.str("status"),
            expires_at=f.time("expires_at"),
            created_at=f.time("created_at"),
        )


@dataclass(frozen=True)
class LaunchToken:
    """A short-lived, single-use token for the embed. Never in a repr or a log."""

    token: str = field(repr=False)
    entity_id: str
    expires_at: datetime | None
    user_id: str | None = None
    role: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> LaunchToken:
        """A user token answer; a key-mode token is built from a CreatedApiKey instead."""
        f = _Fields(data, "launch token")
        return cls(
            token=f.str("token"),
            entity_id=f.str("entity_id"),
            user_id=f.str("user_id"),
            role=f.str("role"),
            expires_at=f.time("expires_at"),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    total: int
    next_cursor: str | None
    prev_cursor: str | None
    has_more: bool

    @classmethod
    def from_json(cls, body: Any, item: Callable[[Any], T]) -> Page[T]:
        f = _Fields(body, "page")
        p = _Fields(f.data.get("pagination"), "pagination")
        return cls(
            data=[item(x) for x in f.list("data")],
            total=p.int("total"),
            next_cursor=p.opt_str("next_cursor"),
            prev_cursor=p.opt_str("prev_cursor"),
            has_more=p.bool("has_more"),
        )


def data_list(body: Any, item: Callable[[Any], T]) -> list[T]:
    """Lists without a pagination block (users, keys, invitations) answer ``{"data": [...]}``."""
    return [item(x) for x in _Fields(body, "list").list("data")]


def document(data: Any) -> dict:
    """Invoices, customers and items stay plain JSON objects: the portal only summarises."""
    return _Fields(data, "document").data
