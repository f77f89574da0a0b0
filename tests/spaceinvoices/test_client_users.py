"""Contract tests: entity users, invitations and user launch tokens, and the embed page."""

import pytest
import requests

from spaceinvoices.client import Conflict, InvalidRequest, NotFound


def test_white_label_user_is_active_at_once_and_unique_per_entity(si, entity, simulator):
    user = si.entity_user_add(entity.id, email="Ana@Example.com", role="viewer", send_invite=False)
    assert (user.role, user.email) == ("viewer", "ana@example.com")
    assert user.user_id.startswith("user_")
    assert si.invitations_pending(entity.id) == {}
    assert si.user_token_create(entity.id, user.user_id).role == "viewer"
    with pytest.raises(Conflict):
        si.entity_user_add(entity.id, email="ana@example.com", send_invite=False)
    stats = simulator.stats()
    assert (stats["invitations"], stats["emails_sent"]) == (0, 0)


def test_user_object_has_exactly_the_documented_fields(si, entity, simulator):
    si.entity_user_add(entity.id, email="doc@example.com", send_invite=True)
    [raw] = simulator.api(
        "GET", "/entities/users", si._api_key, headers={"x-entity-id": entity.id}
    ).json()["data"]
    documented = {"user_id", "entity_id", "role", "email", "name", "invited_by_user_id"}
    assert set(raw) == documented | {"created_at"}


def test_send_invite_false_under_the_pending_invitation_behaviour(si, entity, simulator):
    simulator.behaviour(send_invite_false="pending_invitation")
    user = si.entity_user_add(entity.id, email="kim@example.com", send_invite=False)
    pending = si.invitations_pending(entity.id)
    assert list(pending) == ["kim@example.com"]
    assert simulator.stats()["emails_sent"] == 0  # invited, but nobody was emailed
    with pytest.raises(Conflict) as caught:
        si.user_token_create(entity.id, user.user_id)
    assert caught.value.code == "invitation_pending"
    si.invitation_resend(entity.id, pending["kim@example.com"].id)
    assert simulator.stats()["emails_sent"] == 1


def test_change_role_and_remove(si, entity):
    user = si.entity_user_add(entity.id, email="bo@example.com", send_invite=False)
    assert user.role == "editor"  # the API's default
    assert si.entity_user_role_set(entity.id, user.user_id, role="admin").role == "admin"
    with pytest.raises(InvalidRequest) as caught:
        si.entity_user_role_set(entity.id, user.user_id, role="member")
    assert "role" in caught.value.field_errors
    si.entity_user_remove(entity.id, user.user_id)
    assert si.entity_users_list(entity.id) == []
    with pytest.raises(NotFound):
        si.entity_user_remove(entity.id, user.user_id)


def test_one_user_in_two_entities(si, entity):
    other = si.entity_create(name="Other", country="Croatia")
    first = si.entity_user_add(entity.id, email="cy@example.com", send_invite=False)
    second = si.entity_user_add(other.id, email="cy@example.com", role="admin", send_invite=False)
    assert first.user_id == second.user_id
    assert [u.role for u in si.entity_users_list(other.id)] == ["admin"]


def test_invited_user_cannot_launch_until_accepted(si, entity, simulator):
    user = si.entity_user_add(entity.id, email="dee@example.com", send_invite=True)
    [invitation] = si.invitations_list(entity.id)
    assert (invitation.status, invitation.email) == ("pending", "dee@example.com")
    assert invitation.id.startswith("einv_")
    assert si.invitation_resend(entity.id, invitation.id).status == "pending"
    assert simulator.stats()["emails_sent"] == 2  # the invitation, and the resend
    with pytest.raises(Conflict) as caught:
        si.user_token_create(entity.id, user.user_id)
    assert caught.value.code == "invitation_pending"
    assert simulator.accept_invitation(invitation.id).status_code == 200
    assert [i.status for i in si.invitations_list(entity.id)] == ["accepted"]
    assert si.invitations_pending(entity.id) == {}
    assert si.user_token_create(entity.id, user.user_id).role == "editor"


def test_user_token_opens_the_embed_once(si, entity, simulator):
    user = si.entity_user_add(entity.id, email="fay@example.com", role="viewer", send_invite=False)
    token = si.user_token_create(entity.id, user.user_id, ttl=60)
    assert token.token not in repr(token)
    page = requests.get(simulator.embed_url, params={"token": token.token}, timeout=10)
    assert page.status_code == 200
    assert "Acme d.o.o." in page.text and "fay@example.com" in page.text
    assert 'id="role">viewer<' in page.text
    again = requests.get(simulator.embed_url, params={"token": token.token}, timeout=10)
    assert again.status_code == 401 and 'data-reason="used"' in again.text
    stats = simulator.stats()
    assert (stats["tokens_minted"], stats["tokens_used"]) == (1, 1)


def test_key_mode_token_opens_an_entity_key_session(si, entity, entity_key, simulator):
    token = si.with_key(entity_key).key_token_create(entity.id, ttl=120)
    assert token.token.startswith("ek_sandbox_")
    page = requests.get(simulator.embed_url, params={"token": token.token}, timeout=10)
    assert page.status_code == 200 and "entity API key session" in page.text
    unknown = requests.get(simulator.embed_url, params={"token": "nope"}, timeout=10)
    assert unknown.status_code == 401 and 'data-reason="unknown"' in unknown.text
    # The long-lived key itself is never accepted by the embed.
    direct = requests.get(simulator.embed_url, params={"token": entity_key}, timeout=10)
    assert direct.status_code == 401
    assert simulator.stats()["tokens_minted"] == 1


def test_token_for_a_disabled_entity_is_refused(si, entity):
    user = si.entity_user_add(entity.id, email="gus@example.com", send_invite=False)
    si.entity_disable(entity.id)
    from spaceinvoices.client import Forbidden

    with pytest.raises(Forbidden) as caught:
        si.user_token_create(entity.id, user.user_id)
    assert caught.value.code == "entity_disabled"
