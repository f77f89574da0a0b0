"""Every Space Invoices endpoint the portal uses, as typed methods over one Transport."""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .. import contract
from ..contract import (
    API_KEY,
    API_KEYS,
    CUSTOMERS,
    ENTITIES,
    ENTITY,
    ENTITY_DISABLE,
    ENTITY_ENABLE,
    INVITATION_RESEND,
    INVITATIONS,
    INVOICE_VOID,
    INVOICES,
    ITEMS,
    PAYMENTS,
    USER,
    USER_TOKEN,
    USERS,
    WEBHOOK,
    WEBHOOKS,
)
from .errors import MalformedResponse
from .transport import Transport
from .types import (
    ApiKeyInfo,
    CreatedApiKey,
    CreatedWebhookEndpoint,
    Entity,
    EntityUser,
    Invitation,
    LaunchToken,
    Page,
    WebhookEndpoint,
    document,
)

T = TypeVar("T")
MAX_PAGES = 10_000  # a cursor that never ends is a broken answer, not a long list


class SpaceInvoicesClient:
    """One credential (the account key or an entity key) over a shared Transport."""

    def __init__(self, *, transport: Transport, api_key: str) -> None:
        self.transport = transport
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"SpaceInvoicesClient(base_url={self.transport.base_url!r})"

    @property
    def environment(self) -> str | None:
        return contract.key_environment(self._api_key)

    def with_key(self, api_key: str) -> "SpaceInvoicesClient":
        """The same pool and settings, acting with another credential (an entity key)."""
        return SpaceInvoicesClient(transport=self.transport, api_key=api_key)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.transport.request(method, path, credential=self._api_key, **kwargs).body

    def _pages(
        self,
        path: str,
        item: Callable[[Any], T],
        *,
        entity_id: str | None = None,
        params: dict | None = None,
        page_size: int = contract.PAGE_LIMIT_MAX,
    ) -> Iterator[T]:
        """Every item of a list, following ``next_cursor`` while ``has_more``; a list
        answered without a pagination block is complete in one answer."""
        params = {"limit": page_size, **(params or {})}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            answer = self._call("GET", path, entity_id=entity_id, params=params)
            page = Page.from_json(answer, item)
            yield from page.data
            if not page.has_more:
                return
            if not page.next_cursor:
                raise MalformedResponse(f"list {path}: has_more without a next cursor")
            if page.next_cursor in seen:
                raise MalformedResponse(f"list {path}: the next cursor repeats")
            seen.add(page.next_cursor)
            params = {**params, "next_cursor": page.next_cursor, "include_total_count": "false"}
        raise MalformedResponse(f"list {path}: more than {MAX_PAGES} pages")

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
        body = {"name": name, "country": country, **contract.entity_payload(**fields)}
        if environment:
            body["environment"] = environment
        return Entity.from_json(self._call("POST", ENTITIES, json=body, request_id=request_id))

    def entity_update(self, entity_id: str, *, request_id: str | None = None, **fields) -> Entity:
        """PATCH the given fields; an empty string clears a text field."""
        body = contract.entity_update_payload(**fields)
        path = contract.path(ENTITY, entity_id)
        return Entity.from_json(self._call("PATCH", path, json=body, request_id=request_id))

    def entity_get(self, entity_id: str) -> Entity:
        """One entity (NotFound when it is gone or not this account's)."""
        return Entity.from_json(self._call("GET", contract.path(ENTITY, entity_id)))

    def entity_disable(self, entity_id: str, *, request_id: str | None = None) -> None:
        self._call("POST", contract.path(ENTITY_DISABLE, entity_id), request_id=request_id)

    def entity_enable(self, entity_id: str, *, request_id: str | None = None) -> None:
        self._call("POST", contract.path(ENTITY_ENABLE, entity_id), request_id=request_id)

    def entities_page(
        self,
        *,
        limit: int = 10,
        next_cursor: str | None = None,
        prev_cursor: str | None = None,
        include_total_count: bool = True,
        environment: str | None = None,
        query: dict | None = None,
    ) -> Page[Entity]:
        params = _page_params(limit, next_cursor, prev_cursor, include_total_count)
        if environment:
            params["environment"] = environment
        if query:
            params["query"] = contract.query_param(query)
        return Page.from_json(self._call("GET", ENTITIES, params=params), Entity.from_json)

    def entities_iter(
        self,
        *,
        environment: str | None = None,
        query: dict | None = None,
        page_size: int = contract.PAGE_LIMIT_MAX,
    ) -> Iterator[Entity]:
        """Every entity (matching ``query``), following cursors; one page in memory."""
        params: dict[str, Any] = {"include_total_count": "false"}
        if environment:
            params["environment"] = environment
        if query:
            params["query"] = contract.query_param(query)
        return self._pages(ENTITIES, Entity.from_json, params=params, page_size=page_size)

    def entity_find_by_metadata(self, *, key: str, value: str) -> Entity | None:
        """The entity whose ``metadata[key]`` is ``value``, or None. Filtered upstream, and
        checked again here, so that a service that ignored the filter cannot mislead us."""
        found = self.entities_iter(query=contract.metadata_query(key, value))
        return next((e for e in found if e.metadata.get(key) == value), None)

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
        return list(self._pages(API_KEYS, ApiKeyInfo.from_json, entity_id=entity_id))

    def api_key_delete(self, entity_id: str, key: str, *, request_id: str | None = None) -> None:
        # The key travels in the path [doc]; the transport's logs redact it.
        self._call(
            "DELETE", contract.path(API_KEY, key), entity_id=entity_id, request_id=request_id
        )

    # Entity users (x-entity-id) ----------------------------------------------------------

    def entity_user_add(
        self,
        entity_id: str,
        *,
        email: str,
        role: str = contract.DEFAULT_ROLE_ON_ADD,
        send_invite: bool = True,
        request_id: str | None = None,
    ) -> EntityUser:
        body = {"email": email, "role": role, "send_invite": send_invite}
        answer = self._call("POST", USERS, entity_id=entity_id, json=body, request_id=request_id)
        return EntityUser.from_json(answer)

    def entity_users_list(self, entity_id: str) -> list[EntityUser]:
        return list(self._pages(USERS, EntityUser.from_json, entity_id=entity_id))

    def entity_user_role_set(
        self, entity_id: str, user_id: str, *, role: str, request_id: str | None = None
    ) -> EntityUser:
        answer = self._call(
            "PATCH",
            contract.path(USER, user_id),
            entity_id=entity_id,
            json={"role": role},
            request_id=request_id,
        )
        return EntityUser.from_json(answer)

    def entity_user_remove(
        self, entity_id: str, user_id: str, *, request_id: str | None = None
    ) -> None:
        self._call(
            "DELETE", contract.path(USER, user_id), entity_id=entity_id, request_id=request_id
        )

    def user_token_create(
        self,
        entity_id: str,
        user_id: str,
        *,
        ttl: int | None = None,
        request_id: str | None = None,
    ) -> LaunchToken:
        body = {"ttl": ttl} if ttl else {}
        answer = self._call(
            "POST",
            contract.path(USER_TOKEN, user_id),
            entity_id=entity_id,
            json=body,
            request_id=request_id,
        )
        return LaunchToken.from_json(answer)

    def key_token_create(
        self,
        entity_id: str,
        *,
        ttl: int,
        name: str = contract.LAUNCH_KEY_NAME,
        request_id: str | None = None,
    ) -> LaunchToken:
        """Key-mode launch [chosen]: a short-lived entity key, made with this (entity) key;
        ``name`` is best ``contract.launch_key_name``'s (tagged, for the drift report)."""
        key = self.api_key_create(
            entity_id,
            name=name,
            ttl=ttl,
            request_id=request_id,
        )
        return LaunchToken(token=key.secret, entity_id=key.entity_id, expires_at=key.expires_at)

    # Invitations (x-entity-id) -----------------------------------------------------------

    def invitations_list(self, entity_id: str) -> list[Invitation]:
        return list(self._pages(INVITATIONS, Invitation.from_json, entity_id=entity_id))

    def invitations_pending(self, entity_id: str) -> dict[str, Invitation]:
        """Pending invitations by lower-cased email: who is still invited."""
        return {
            inv.email.lower(): inv for inv in self.invitations_list(entity_id) if inv.is_pending
        }

    def invitation_resend(
        self, entity_id: str, invitation_id: str, *, request_id: str | None = None
    ) -> Invitation:
        path = contract.path(INVITATION_RESEND, invitation_id)
        answer = self._call("POST", path, entity_id=entity_id, request_id=request_id)
        return Invitation.from_json(answer)

    # Webhook endpoints (x-entity-id) -----------------------------------------------------

    def webhook_create(
        self,
        entity_id: str,
        *,
        url: str,
        events: tuple[str, ...] | list[str],
        description: str | None = None,
        request_id: str | None = None,
    ) -> CreatedWebhookEndpoint:
        body = {"url": url, "events": list(events)}
        if description:
            body["description"] = description
        answer = self._call("POST", WEBHOOKS, entity_id=entity_id, json=body, request_id=request_id)
        return CreatedWebhookEndpoint.from_json(answer)

    def webhooks_list(self, entity_id: str) -> list[WebhookEndpoint]:
        return list(self._pages(WEBHOOKS, WebhookEndpoint.from_json, entity_id=entity_id))

    def webhook_delete(
        self, entity_id: str, endpoint_id: str, *, request_id: str | None = None
    ) -> None:
        self._call(
            "DELETE",
            contract.path(WEBHOOK, endpoint_id),
            entity_id=entity_id,
            request_id=request_id,
        )

    # Business data (entity key) ----------------------------------------------------------

    def invoices_page(self, entity_id: str, **kwargs: Any) -> Page[dict]:
        return self._documents(INVOICES, entity_id, **kwargs)

    def customers_page(self, entity_id: str, **kwargs: Any) -> Page[dict]:
        return self._documents(CUSTOMERS, entity_id, **kwargs)

    def items_page(self, entity_id: str, **kwargs: Any) -> Page[dict]:
        return self._documents(ITEMS, entity_id, **kwargs)

    def invoices_iter(self, entity_id: str, *, query: dict | None = None) -> Iterator[dict]:
        """Every invoice (matching ``query``), following cursors."""
        params: dict[str, Any] = {"include_total_count": "false"}
        if query:
            params["query"] = contract.query_param(query)
        return self._pages(INVOICES, document, entity_id=entity_id, params=params)

    def invoice_create(
        self,
        entity_id: str,
        *,
        customer: dict,
        items: list[dict],
        request_id: str | None = None,
        **fields: Any,
    ) -> dict:
        body = {"customer": customer, "items": items, **fields}
        return document(
            self._call("POST", INVOICES, entity_id=entity_id, json=body, request_id=request_id)
        )

    def payment_create(
        self,
        entity_id: str,
        *,
        document_id: str,
        amount: float,
        date: str,
        request_id: str | None = None,
    ) -> dict:
        body = {"document_id": document_id, "amount": amount, "date": date}
        return document(
            self._call("POST", PAYMENTS, entity_id=entity_id, json=body, request_id=request_id)
        )

    def invoice_void(self, entity_id: str, invoice_id: str, *, request_id: str | None = None):
        path = contract.path(INVOICE_VOID, invoice_id)
        return document(self._call("POST", path, entity_id=entity_id, request_id=request_id))

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
        order_by: str | None = None,
    ) -> Page[dict]:
        params = _page_params(limit, next_cursor, prev_cursor, include_total_count)
        if query:
            params["query"] = contract.query_param(query)
        if order_by:
            params["order_by"] = order_by
        answer = self._call("GET", path, entity_id=entity_id, params=params)
        return Page.from_json(answer, document)


def _page_params(limit, next_cursor, prev_cursor, include_total_count) -> dict:
    params: dict[str, Any] = {"limit": limit}
    if next_cursor:
        params["next_cursor"] = next_cursor
    if prev_cursor:
        params["prev_cursor"] = prev_cursor
    params["include_total_count"] = "true" if include_total_count else "false"
    return params
