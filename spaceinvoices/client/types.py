"""Small typed objects for Space Invoices answers.

Liberal in what they accept: only what a call cannot do without is required (an id, a
secret, a token); every other documented field may be missing or null. A present field of
the wrong type is still MalformedResponse, never a KeyError or a TypeError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from ..contract import INVITATION_PENDING_STATUS, key_environment, key_prefix_hint
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

    def opt_int(self, name: str) -> int | None:
        return self._get(name, (int,), optional=True)

    def opt_bool(self, name: str) -> bool | None:
        return self._get(name, (bool,), optional=True)

    def dict(self, name: str) -> dict:
        return self._get(name, (dict,), optional=True) or {}

    def list(self, name: str) -> list:
        return self._get(name, (list,), optional=False)

    def opt_time(self, name: str) -> datetime | None:
        raw = self.opt_str(name)
        return None if raw is None else self._parse_time(name, raw)

    def _parse_time(self, name: str, raw: str) -> datetime:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise MalformedResponse(f"{self.what}: field {name!r} is not a timestamp") from None
        # The API's times are UTC; one written without an offset is UTC too.
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entity:
    id: str
    name: str = ""
    country: str = ""
    country_code: str | None = None
    environment: str | None = None
    is_enabled: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None
    address: str | None = None
    city: str | None = None
    post_code: str | None = None
    tax_number: str | None = None
    is_tax_subject: bool | None = None
    locale: str | None = None
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Entity:
        f = _Fields(data, "entity")
        return cls(
            id=f.str("id"),
            name=f.opt_str("name") or "",
            country=f.opt_str("country") or "",
            country_code=f.opt_str("country_code"),
            environment=f.opt_str("environment"),
            is_enabled=f.bool("is_enabled", default=True),
            created_at=f.opt_time("created_at"),
            updated_at=f.opt_time("updated_at"),
            address=f.opt_str("address"),
            city=f.opt_str("city"),
            post_code=f.opt_str("post_code"),
            tax_number=f.opt_str("tax_number"),
            is_tax_subject=f.opt_bool("is_tax_subject"),
            locale=f.opt_str("locale"),
            metadata=f.dict("metadata"),
        )


@dataclass(frozen=True)
class ApiKeyInfo:
    """An entity API key as listed: never the secret, only its hint."""

    prefix_hint: str
    entity_id: str | None = None
    name: str | None = None
    environment: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> ApiKeyInfo:
        f = _Fields(data, "api key")
        # A listed key's id is masked to its hint; either one serves as the hint.
        hint = f.opt_str("prefix_hint") or f.str("id")
        return cls(
            prefix_hint=hint,
            entity_id=f.opt_str("entity_id"),
            name=f.opt_str("name"),
            environment=f.opt_str("environment"),
            expires_at=f.opt_time("expires_at"),
            created_at=f.opt_time("created_at"),
        )


@dataclass(frozen=True)
class CreatedApiKey(ApiKeyInfo):
    """The answer to a key creation: the only time the secret is seen. Never in a repr."""

    secret: str = field(default="", repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedApiKey:
        f = _Fields(data, "api key")
        secret = f.str("id")  # the key's id IS the secret [doc]
        return cls(
            prefix_hint=f.opt_str("prefix_hint") or key_prefix_hint(secret),
            entity_id=f.opt_str("entity_id"),
            name=f.opt_str("name"),
            environment=f.opt_str("environment") or key_environment(secret),
            expires_at=f.opt_time("expires_at"),
            created_at=f.opt_time("created_at"),
            secret=secret,
        )


@dataclass(frozen=True)
class EntityUser:
    """The documented entity-user object: no status and no invitation id. Whether the
    user is still invited is read from the invitations list, never from here."""

    user_id: str
    email: str
    role: str
    entity_id: str | None = None
    name: str | None = None
    invited_by_user_id: str | None = None
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> EntityUser:
        f = _Fields(data, "entity user")
        return cls(
            user_id=f.str("user_id"),
            email=f.str("email"),
            role=f.str("role"),
            entity_id=f.opt_str("entity_id"),
            name=f.opt_str("name"),
            invited_by_user_id=f.opt_str("invited_by_user_id"),
            created_at=f.opt_time("created_at"),
        )


@dataclass(frozen=True)
class Invitation:
    id: str
    email: str
    status: str
    role: str | None = None
    entity_id: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def is_pending(self) -> bool:
        return self.status == INVITATION_PENDING_STATUS

    @classmethod
    def from_json(cls, data: Any) -> Invitation:
        f = _Fields(data, "invitation")
        return cls(
            id=f.str("id"),
            email=f.str("email"),
            status=f.str("status"),
            role=f.opt_str("role"),
            entity_id=f.opt_str("entity_id"),
            expires_at=f.opt_time("expires_at"),
            created_at=f.opt_time("created_at"),
        )


@dataclass(frozen=True)
class LaunchToken:
    """A short-lived, single-use token for the embed. Never in a repr or a log."""

    token: str = field(repr=False)
    entity_id: str | None = None
    expires_at: datetime | None = None
    user_id: str | None = None
    role: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> LaunchToken:
        """A user token answer; a key-mode token is built from a CreatedApiKey instead."""
        f = _Fields(data, "launch token")
        return cls(
            token=f.str("token"),
            entity_id=f.opt_str("entity_id"),
            user_id=f.opt_str("user_id"),
            role=f.opt_str("role"),
            expires_at=f.opt_time("expires_at"),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list. A list answered without a pagination block is one whole page."""

    data: list[T]
    total: int
    next_cursor: str | None
    prev_cursor: str | None
    has_more: bool

    @classmethod
    def from_json(cls, body: Any, item: Callable[[Any], T]) -> Page[T]:
        f = _Fields(body, "page")
        data = [item(x) for x in f.list("data")]
        if f.data.get("pagination") is None:
            return cls(
                data=data, total=len(data), next_cursor=None, prev_cursor=None, has_more=False
            )
        p = _Fields(f.data["pagination"], "pagination")
        next_cursor = p.opt_str("next_cursor")
        total = p.opt_int("total")
        return cls(
            data=data,
            total=-1 if total is None else total,
            next_cursor=next_cursor,
            prev_cursor=p.opt_str("prev_cursor"),
            # has_more missing: a next cursor says there is more.
            has_more=p.bool("has_more", default=next_cursor is not None),
        )


def document(data: Any) -> dict:
    """Invoices, customers and items stay plain JSON objects: the portal only summarises."""
    return _Fields(data, "document").data


@dataclass(frozen=True)
class WebhookEndpoint:
    """An entity's webhook endpoint as listed: never the secret."""

    id: str
    url: str = ""
    events: tuple[str, ...] = ()
    active: bool = True
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> WebhookEndpoint:
        f = _Fields(data, "webhook endpoint")
        events = f.data.get("events") or []
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise MalformedResponse("webhook endpoint: field 'events' has the wrong type")
        return cls(
            id=f.str("id"),
            url=f.opt_str("url") or "",
            events=tuple(events),
            active=f.bool("active", default=True),
            created_at=f.opt_time("created_at"),
        )


@dataclass(frozen=True)
class CreatedWebhookEndpoint(WebhookEndpoint):
    """The answer to registering an endpoint: the only time its secret is seen."""

    secret: str = field(default="", repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedWebhookEndpoint:
        listed = WebhookEndpoint.from_json(data)
        secret = _Fields(data, "webhook endpoint").str("secret")
        return cls(**listed.__dict__, secret=secret)
