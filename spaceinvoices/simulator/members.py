"""Entity users, invitations and user launch tokens (x-entity-id)."""

import re
import secrets

from .api import ApiError, Call, invalid, not_found, require_dict, route
from .store import Store, iso, later, new_id, now, parse_iso

ROLES = ("viewer", "editor", "admin")
INVITATION_SECONDS = 7 * 24 * 3600
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _user_row(store: Store, entity_id: str, user_id: str):
    return store.one(
        "SELECT eu.*, u.email, u.name FROM entity_users eu JOIN users u ON u.id = eu.user_id "
        "WHERE eu.entity_id = ? AND eu.user_id = ?",
        entity_id,
        user_id,
    )


def render_user(row) -> dict:
    """Exactly the documented entity-user fields: no status, no invitation id."""
    return {
        "user_id": row["user_id"],
        "entity_id": row["entity_id"],
        "role": row["role"],
        "email": row["email"],
        "name": row["name"],
        "invited_by_user_id": None,  # keys invite, not users
        "created_at": row["created_at"],
    }


def render_invitation(row) -> dict:
    status = row["status"]
    if status == "pending" and parse_iso(row["expires_at"]) <= now():
        status = "expired"
    return {
        "id": row["id"],
        "entity_id": row["entity_id"],
        "email": row["email"],
        "role": row["role"],
        "status": status,
        "expires_at": row["expires_at"],
        "created_at": row["created_at"],
    }


def _role(body: dict, default: str | None) -> str:
    role = body.get("role", default)
    if role not in ROLES:
        raise invalid({"role": f"Must be one of: {', '.join(ROLES)}."})
    return role


def _invite(store: Store, entity_id: str, user_id: str, email: str, role: str, *, mail: bool):
    invitation_id = new_id("einv_")
    store.run(
        "INSERT INTO invitations VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        invitation_id,
        entity_id,
        user_id,
        email,
        role,
        later(INVITATION_SECONDS),
        iso(now()),
    )
    if mail:
        store.email_record("invitation", email)
    return invitation_id


@route("POST", "/entities/users", "entity")
def entity_user_add(store: Store, call: Call):
    body = require_dict(call.body)
    email = body.get("email")
    if not isinstance(email, str) or not EMAIL.match(email.strip()) or len(email) > 255:
        raise invalid({"email": ("invalid_string", "Enter a valid email address.")})
    email = email.strip().lower()
    role = _role(body, "editor")
    send_invite = body.get("send_invite", True)
    if not isinstance(send_invite, bool):
        raise invalid({"send_invite": ("invalid_type", "Expected boolean.")})
    entity_id, stamp = call.entity["id"], iso(now())
    user = store.one(
        "SELECT * FROM users WHERE account_id = ? AND email = ?", call.account["id"], email
    )
    if user and _user_row(store, entity_id, user["id"]):
        raise ApiError(409, "user_already_exists", "This email is already a user of the entity.")
    if user is None:
        user_id = new_id("user_")
        store.run(
            "INSERT INTO users VALUES (?, ?, ?, ?, 'invited', ?)",
            user_id,
            call.account["id"],
            email,
            None,
            stamp,
        )
        active = False
    else:
        user_id, active = user["id"], user["status"] == "active"
    invitation_id = None
    if not active:
        # [chosen, uncertain] send_invite false for someone with no Space Invoices user yet:
        # (a) "active_user", a white-label user at once, no email; (b) "pending_invitation",
        # a pending invitation but no email. The control API switches between them.
        if send_invite or store.behaviour["send_invite_false"] == "pending_invitation":
            invitation_id = _invite(store, entity_id, user_id, email, role, mail=send_invite)
        else:
            store.run("UPDATE users SET status = 'active' WHERE id = ?", user_id)
    store.run(
        "INSERT INTO entity_users VALUES (?, ?, ?, ?, ?, ?)",
        entity_id,
        user_id,
        role,
        "invited" if invitation_id else "active",
        invitation_id,
        stamp,
    )
    return 201, render_user(_user_row(store, entity_id, user_id))


@route("GET", "/entities/users", "entity")
def entity_users_list(store: Store, call: Call):
    rows = store.all(
        "SELECT eu.*, u.email, u.name FROM entity_users eu JOIN users u ON u.id = eu.user_id "
        "WHERE eu.entity_id = ? ORDER BY eu.created_at, u.email",
        call.entity["id"],
    )
    return 200, {"data": [render_user(r) for r in rows]}


def _member(store: Store, call: Call):
    row = _user_row(store, call.entity["id"], call.args[0])
    if row is None:
        raise not_found("User")
    return row


@route("PATCH", "/entities/users/(user_[A-Za-z0-9]+)", "entity")
def entity_user_update(store: Store, call: Call):
    row = _member(store, call)
    role = _role(require_dict(call.body), None)
    store.run(
        "UPDATE entity_users SET role = ? WHERE entity_id = ? AND user_id = ?",
        role,
        row["entity_id"],
        row["user_id"],
    )
    store.run(
        "UPDATE invitations SET role = ? WHERE entity_id = ? AND user_id = ? "
        "AND status = 'pending'",
        role,
        row["entity_id"],
        row["user_id"],
    )
    return 200, render_user(_user_row(store, row["entity_id"], row["user_id"]))


@route("DELETE", "/entities/users/(user_[A-Za-z0-9]+)", "entity")
def entity_user_remove(store: Store, call: Call):
    row = _member(store, call)
    store.run(
        "DELETE FROM entity_users WHERE entity_id = ? AND user_id = ?",
        row["entity_id"],
        row["user_id"],
    )
    store.run(
        "DELETE FROM invitations WHERE entity_id = ? AND user_id = ? AND status = 'pending'",
        row["entity_id"],
        row["user_id"],
    )
    return 204, None


@route("POST", "/entities/users/(user_[A-Za-z0-9]+)/token", "entity_account")
def user_token_create(store: Store, call: Call):
    row = _member(store, call)
    body = require_dict(call.body)
    ttl = body.get("ttl", 120)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 60 <= ttl <= 3600:
        raise invalid({"ttl": "Must be an integer from 60 to 3600."})
    if not call.entity["is_enabled"]:
        raise ApiError(403, "entity_disabled", "This entity is disabled.")
    if row["status"] != "active":
        raise ApiError(409, "invitation_pending", "The user has not accepted the invitation.")
    token = "sit_" + secrets.token_urlsafe(32)
    expires_at = later(ttl)
    store.run(
        "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL)",
        token,
        row["entity_id"],
        row["user_id"],
        row["role"],
        expires_at,
    )
    return 201, {
        "token": token,
        "user_id": row["user_id"],
        "entity_id": row["entity_id"],
        "role": row["role"],
        "expires_at": expires_at,
    }


def _invitation(store: Store, call: Call):
    row = store.one(
        "SELECT * FROM invitations WHERE id = ? AND entity_id = ?", call.args[0], call.entity["id"]
    )
    if row is None:
        raise not_found("Invitation")
    return row


@route("GET", "/entities/invitations", "entity")
def invitations_list(store: Store, call: Call):
    rows = store.all(
        "SELECT * FROM invitations WHERE entity_id = ? ORDER BY created_at", call.entity["id"]
    )
    return 200, {"data": [render_invitation(r) for r in rows]}


@route("GET", "/entities/invitations/(einv_[A-Za-z0-9]+)", "entity")
def invitation_get(store: Store, call: Call):
    return 200, render_invitation(_invitation(store, call))


@route("POST", "/entities/invitations/(einv_[A-Za-z0-9]+)/resend", "entity")
def invitation_resend(store: Store, call: Call):
    row = _invitation(store, call)
    if row["status"] != "pending":
        raise ApiError(409, "invitation_not_pending", "Only a pending invitation can be resent.")
    store.run(
        "UPDATE invitations SET expires_at = ? WHERE id = ?", later(INVITATION_SECONDS), row["id"]
    )
    store.email_record("invitation", row["email"])
    return 200, render_invitation(_invitation(store, call))


@route("DELETE", "/entities/invitations/(einv_[A-Za-z0-9]+)", "entity")
def invitation_cancel(store: Store, call: Call):
    row = _invitation(store, call)
    store.run("DELETE FROM invitations WHERE id = ?", row["id"])
    store.run(
        "DELETE FROM entity_users WHERE entity_id = ? AND user_id = ? AND status = 'invited'",
        row["entity_id"],
        row["user_id"],
    )
    return 204, None


def invitation_accept(store: Store, invitation_id: str) -> dict | None:
    """What clicking the invitation email does (control API only)."""
    row = store.one("SELECT * FROM invitations WHERE id = ?", invitation_id)
    if row is None or row["status"] != "pending":
        return None
    store.run("UPDATE invitations SET status = 'accepted' WHERE id = ?", invitation_id)
    store.run(
        "UPDATE entity_users SET status = 'active', invitation_id = NULL "
        "WHERE entity_id = ? AND user_id = ?",
        row["entity_id"],
        row["user_id"],
    )
    store.run("UPDATE users SET status = 'active' WHERE id = ?", row["user_id"])
    return render_invitation(store.one("SELECT * FROM invitations WHERE id = ?", invitation_id))
