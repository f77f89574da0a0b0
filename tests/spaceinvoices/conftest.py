"""Fixtures for client contract tests: a client with quick backoff, pointed at the simulator."""

import pytest

from spaceinvoices.client import RetryPolicy, SpaceInvoicesClient, Transport

from .contract_server import CannedServer

CANNED_KEY = "sk_sandbox_" + "1" * 32


def make_client(simulator, key, *, retries=2, read_timeout=5.0) -> SpaceInvoicesClient:
    transport = Transport(
        base_url=simulator.url,
        read_timeout=read_timeout,
        retry=RetryPolicy(max_retries=retries, backoff=0.01, max_wait=5),
    )
    return SpaceInvoicesClient(transport=transport, api_key=key)


@pytest.fixture
def si(simulator, account_key) -> SpaceInvoicesClient:
    return make_client(simulator, account_key)


@pytest.fixture
def entity(si):
    return si.entity_create(name="Acme d.o.o.", country="Slovenia", city="Ljubljana")


@pytest.fixture
def entity_key(si, entity) -> str:
    return si.api_key_create(entity.id, name="portal").secret


@pytest.fixture
def canned():
    """A server answering what each test queues (documented shapes, not the simulator's)."""
    server = CannedServer().start()
    yield server
    server.stop()


@pytest.fixture
def canned_client(canned) -> SpaceInvoicesClient:
    transport = Transport(
        base_url=canned.url, retry=RetryPolicy(max_retries=2, backoff=0.01, max_wait=2)
    )
    return SpaceInvoicesClient(transport=transport, api_key=CANNED_KEY)


def raw_entity(simulator, key: str, entity_id: str):
    """The entity as the simulator answers it, read without our client."""
    return simulator.api("GET", f"/entities/{entity_id}", key)


def issue_paths(response) -> set[str]:
    """The dotted field paths of a raw 422's ``cause.issues``."""
    return {".".join(i["path"]) for i in response.json()["cause"]["issues"]}
