"""Every Space Invoices endpoint the portal uses, as typed methods over one Transport."""

import json
from collections.abc import Iterator
from typing import Any

from .contract import (
    API_KEY,
    API_KEYS,
    CUSTOMERS,
    ENTITIES,
    ENTITY,
    ENTITY_DISABLE,
    ENTITY_ENABLE,
    ENTITY_FIELDS,
    INVITATION,
    INVITATION_RESEND,
    INVITATIONS,
    INVOICES,
    ITEMS,
    USER,
    USER_TOKEN,
    USERS,
    key_environment,
)
from .transport import Transport
from .types import (
    ApiKeyInfo,
    CreatedApiKey,
    Entity,
    EntityUser,
    Invitation,
    LaunchToken,
    Page,
    data_list,
    document,
)


class SpaceInvoicesClient:
    """One credential (the account key or an entity key) over a shared Transport."""

    def __init__(self, *, transport: Transport, api_key: str) -> None:
        self.transport = transport
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"SpaceInvoicesClient(base_url={self.transport.base_url!r})"

    @property
    def environment(self) -> str | None:
        return key_environment(self._api_key)

    def with_key(self, api_key: str) -> "SpaceInvoicesClient":
        """The same pool and settings, acting with another credential (an entity key)."""
        return SpaceInvoicesClient(transport=self.transport, api_key=api_key)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.transport.request(method, path, credential=self._api_key, **kwargs).body

    # Entities (account key) -------------------------------------------------------------

    def entity_create(
        self,
        *,
        name: str,
        country: str,
        environment: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> Entity:
        body = {"name": name, "country": country, **_entity_fields(fields)}
        if environment:
            body["environment"] = environment
        return Entity.from_json(self._call("POST", ENTITIES, json=body, request_id=request_id))

    def entity_get(self, entity_id: str) -> Entity:
        return Entity.from_json(self._call("GET", ENTITY.format(id=entity_id)))

    def entity_update(self, entity_id: str, *, request_id: str | None = None, **fields) -> Entity:
        body = _entity_fields(fields) | ({"name": fields["name"]} if "name" in fields else {})
        path = ENTITY.format(id=entity_id)
        return Entity.from_json(self._call("PATCH", path, json=body, request_id=request_id))

    def entity_disable(self, entity_id: str, *, request_id: str | None = None) -> Entity:
        path = ENTITY_DISABLE.format(id=entity_id)
        return Entity.from_json(self._call("POST", path, request_id=request_id))

    def entity_enable(self, entity_id: str, *, request_id: str | None = None) -> Entity:
        path = ENTITY_ENABLE.format(id=entity_id)
        return Entity.from_json(self._call("POST", path, request_id=request_id))

    def entities_page(
        self,
        *,
        limit: int = 10,
        next_cursor: str | None = None,
        prev_cursor: str | None = None,
        include_total_count: bool = True,
        environment: str | None = None,
    ) -> Page[Entity]:
        params = _page_params(limit, next_cursor, prev_cursor, include_total_count)
        if environment:
            params["environment"] = environment
        return Page.from_json(self._call("GET", ENTITIES, params=params), Entity.from_json)

    def entities_iter(self, *, page_size: int = 100, environment: str | None = None):
        """Every entity, following cursors; one page in memory at a time."""
        return _follow(
            lambda cursor: self.entities_page(
                limit=page_size,
                next_cursor=cursor,
                include_total_count=False,
                environment=environment,
            )
        )

    # Entity API keys (x-entity-id) -------------------------------------------------------

    def api_key_create(
        self,
        entity_id: str,
        *,
        name: str | None = None,
        ttl: int | None = None,
        request_id: str | None = None,
    ) -> CreatedApiKey:
        body = {k: v for k, v in {"name": name, "ttl": ttl}.items() if v is not None}
        answer = self._call("POST", API_KEYS, entity_id=entity_id, json=body, request_id=request_id)
        return CreatedApiKey.from_json(answer)

    def api_keys_list(self, entity_id: str) -> list[ApiKeyInfo]:
        return data_list(self._call("GET", API_KEYS, entity_id=entity_id), ApiKeyInfo.from_json)

    def api_key_delete(self, entity_id: str, key: str, *, request_id: str | None = None) -> None:
        # The key travels in the path [doc]; the transport's logs redact it.
        self._call("DELETE", API_KEY.format(id=key), entity_id=entity_id, request_id=request_id)

    # Entity users (x-entity-id) ----------------------------------------------------------

    def entity_user_add(
        self,
        entity_id: str,
        *,
        email: str,
        role: str = "editor",
        send_invite: bool = True,
        request_id: str | None = None,
    ) -> EntityUser:
        body = {"email": email, "role": role, "send_invite": send_invite}
        answer = self._call("POST", USERS, entity_id=entity_id, json=body, request_id=request_id)
        return EntityUser.from_json(answer)

    def entity_users_list(self, entity_id: str) -> list[EntityUser]:
        return data_list(self._call("GET", USERS, entity_id=entity_id), EntityUser.from_json)

    def entity_user_role_set(
        self, entity_id: str, user_id: str, *, role: str, request_id: str | None = None
    ) -> EntityUser:
        answer = self._call(
            "PATCH",
            USER.format(id=user_id),
            entity_id=entity_id,
            json={"role": role},
            request_id=request_id,
        )
        return EntityUser.from_json(answer)

    def entity_user_remove(
        self, entity_id: str, user_id: str, *, request_id: str | None = None
    ) -> None:
        self._call("DELETE", USER.format(id=user_id), entity_id=entity_id, request_id=request_id)

    def user_token_create(
        self,
        entity_id: str,
        user_id: str,
        *,
        ttl: int | None = None,
        request_id: str | None = None,
        retry=None,
    ) -> LaunchToken:
        body = {"ttl": ttl} if ttl else {}
        answer = self._call(
            "POST",
            USER_TOKEN.format(id=user_id),
            entity_id=entity_id,
            json=body,
            request_id=request_id,
            retry=retry,
        )
        return LaunchToken.from_json(answer)

    def key_token_create(
        self, entity_id: str, *, ttl: int, request_id: str | None = None, retry=None
    ) -> LaunchToken:
        """Key-mode launch [chosen]: a short-lived entity key, made with this (entity) key."""
        answer = self._call(
            "POST",
            API_KEYS,
            entity_id=entity_id,
            json={"name": "embed launch", "ttl": ttl},
            request_id=request_id,
            retry=retry,
        )
        key = CreatedApiKey.from_json(answer)
        return LaunchToken(token=key.secret, entity_id=key.entity_id, expires_at=key.expires_at)

    # Invitations (x-entity-id) -----------------------------------------------------------

    def invitations_list(self, entity_id: str) -> list[Invitation]:
        answer = self._call("GET", INVITATIONS, entity_id=entity_id)
        return data_list(answer, Invitation.from_json)

    def invitation_get(self, entity_id: str, invitation_id: str) -> Invitation:
        path = INVITATION.format(id=invitation_id)
        return Invitation.from_json(self._call("GET", path, entity_id=entity_id))

    def invitation_resend(
        self, entity_id: str, invitation_id: str, *, request_id: str | None = None
    ) -> Invitation:
        path = INVITATION_RESEND.format(id=invitation_id)
        answer = self._call("POST", path, entity_id=entity_id, request_id=request_id)
        return Invitation.from_json(answer)

    def invitation_cancel(
        self, entity_id: str, invitation_id: str, *, request_id: str | None = None
    ) -> None:
        path = INVITATION.format(id=invitation_id)
        self._call("DELETE", path, entity_id=entity_id, request_id=request_id)

    # Business data (entity key) ----------------------------------------------------------

    def invoices_page(self, entity_id: str, **kwargs: Any) -> Page[dict]:
        return self._documents(INVOICES, entity_id, **kwargs)

    def customers_page(self, entity_id: str, **kwargs: Any) -> Page[dict]:
        return self._documents(CUSTOMERS, entity_id, **kwargs)

    def items_page(self, entity_id: str, **kwargs: Any) -> Page[dict]:
        return self._documents(ITEMS, entity_id, **kwargs)

    def _documents(
        self,
        path: str,
        entity_id: str,
        *,
        limit: int = 10,
        next_cursor: str | None = None,
        prev_cursor: str | None = None,
        include_total_count: bool = True,
        query: dict | None = None,
    ) -> Page[dict]:
        params = _page_params(limit, next_cursor, prev_cursor, include_total_count)
        if query:
            params["query"] = json.dumps(query, separators=(",", ":"))  # [doc] JSON in a param
        answer = self._call("GET", path, entity_id=entity_id, params=params)
        return Page.from_json(answer, document)


def _entity_fields(fields: dict) -> dict:
    unknown = set(fields) - ENTITY_FIELDS - {"name"}
    if unknown:
        raise TypeError(f"unknown entity fields: {', '.join(sorted(unknown))}")
    return {k: v for k, v in fields.items() if k in ENTITY_FIELDS and v is not None}


def _page_params(limit, next_cursor, prev_cursor, include_total_count) -> dict:
    params: dict[str, Any] = {"limit": limit}
    if next_cursor:
        params["next_cursor"] = next_cursor
    if prev_cursor:
        params["prev_cursor"] = prev_cursor
    params["include_total_count"] = "true" if include_total_count else "false"
    return params


def _follow(fetch) -> Iterator:
    cursor = None
    while True:
        page = fetch(cursor)
        yield from page.data
        if not page.has_more or not page.next_cursor:
            return
        cursor = page.next_cursor
