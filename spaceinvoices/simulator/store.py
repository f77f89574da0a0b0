"""The simulator's state: one SQLite file, shared by its server and its command line."""

import json
import secrets
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, key TEXT UNIQUE NOT NULL, environment TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, account_id TEXT NOT NULL,
    environment TEXT NOT NULL, is_enabled INTEGER NOT NULL DEFAULT 1, data TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, entity_id TEXT NOT NULL, name TEXT, environment TEXT NOT NULL,
    expires_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, launch INTEGER NOT NULL DEFAULT 0, used_at TEXT);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, email TEXT NOT NULL, name TEXT,
    status TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (account_id, email));
CREATE TABLE IF NOT EXISTS entity_users (
    entity_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL, status TEXT NOT NULL,
    invitation_id TEXT, created_at TEXT NOT NULL, PRIMARY KEY (entity_id, user_id));
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, user_id TEXT NOT NULL, email TEXT NOT NULL,
    role TEXT NOT NULL, status TEXT NOT NULL, expires_at TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, entity_id TEXT NOT NULL, user_id TEXT, role TEXT NOT NULL,
    expires_at TEXT NOT NULL, used_at TEXT);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
    entity_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS emails (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, email TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, entity_id TEXT NOT NULL,
    url TEXT NOT NULL, events TEXT NOT NULL, description TEXT, secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1, deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, event TEXT NOT NULL,
    body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, due_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', last_status INTEGER, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS overdue_sent (invoice_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS idempotency (
    account_id TEXT NOT NULL, request_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, request_id));
"""
FORGETTABLE = (
    "entities",
    "api_keys",
    "users",
    "entity_users",
    "invitations",
    "tokens",
    "documents",
    "emails",
    "webhooks",
    "deliveries",
    "overdue_sent",
    "idempotency",
)
# Where the contract is [chosen, uncertain], the plausible behaviours, the first the default.
BEHAVIOURS = {"send_invite_false": ("active_user", "pending_invitation")}


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds, as the API writes it [doc]."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def later(seconds: float) -> str:
    return iso(now() + timedelta(seconds=seconds))


def new_id(prefix: str, hex_chars: int = 24) -> str:
    return prefix + secrets.token_hex(hex_chars // 2)


def new_key(kind: str, environment: str) -> str:
    """``sk_{env}_…`` or ``ek_{env}_{32 hex}`` [doc]."""
    return f"{kind}_{environment}_{secrets.token_hex(16)}"


def prefix_hint(key: str) -> str:
    head, _, tail = key.rpartition("_")
    return f"{head}_{tail[:3]}...{tail[-3:]}"


class Store:
    """Thread-safe access to the SQLite file. One lock: simple, and fast enough for tens of
    parallel requests, since the injected latency sleeps outside it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()
        self.behaviour = {name: choices[0] for name, choices in BEHAVIOURS.items()}
        # Days the business clock runs ahead of real time (document dates and overdue
        # checks only; webhook timestamps stay real), and how fast retries come (1 = real).
        self.clock_days = 0
        self.retry_scale = 1.0

    def business_now(self) -> datetime:
        return now() + timedelta(days=self.clock_days)

    def transaction(self):
        return _Transaction(self)

    def one(self, sql: str, *args) -> sqlite3.Row | None:
        return self.db.execute(sql, args).fetchone()

    def all(self, sql: str, *args) -> list[sqlite3.Row]:
        return self.db.execute(sql, args).fetchall()

    def run(self, sql: str, *args) -> None:
        self.db.execute(sql, args)

    def create_account(self, environment: str) -> str:
        key = new_key("sk", environment)
        with self.transaction():
            self.run(
                "INSERT INTO accounts VALUES (?, ?, ?, ?)",
                new_id("acc_"),
                key,
                environment,
                iso(now()),
            )
        return key

    def reset(self) -> None:
        with self.transaction():
            for table in FORGETTABLE:
                self.run(f"DELETE FROM {table}")
        self.behaviour = {name: choices[0] for name, choices in BEHAVIOURS.items()}
        self.clock_days, self.retry_scale = 0, 1.0

    def email_record(self, kind: str, email: str) -> None:
        """An email Space Invoices would send (in its own branding) to ``email``."""
        self.run(
            "INSERT INTO emails (kind, email, created_at) VALUES (?, ?, ?)", kind, email, iso(now())
        )

    def counts(self) -> dict:
        def count(sql: str) -> int:
            return self.one(sql)[0]

        return {
            "entities": count("SELECT COUNT(*) FROM entities"),
            "api_keys": count("SELECT COUNT(*) FROM api_keys WHERE deleted = 0 AND launch = 0"),
            "users": count("SELECT COUNT(*) FROM entity_users"),
            "invitations": count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'"),
            "tokens_minted": count("SELECT COUNT(*) FROM tokens")
            + count("SELECT COUNT(*) FROM api_keys WHERE launch = 1"),
            "emails_sent": count("SELECT COUNT(*) FROM emails"),
            "webhooks": count("SELECT COUNT(*) FROM webhooks WHERE deleted = 0"),
            "webhooks_active": count(
                "SELECT COUNT(*) FROM webhooks WHERE deleted = 0 AND active = 1"
            ),
            "tokens_used": count("SELECT COUNT(*) FROM tokens WHERE used_at IS NOT NULL")
            + count("SELECT COUNT(*) FROM api_keys WHERE used_at IS NOT NULL"),
        }


class _Transaction:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self):
        self.store.lock.acquire()
        self.store.db.execute("BEGIN IMMEDIATE")
        return self.store

    def __exit__(self, exc_type, exc, tb):
        try:
            self.store.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store.lock.release()
        return False


def dumps(data) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)
