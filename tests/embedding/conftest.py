"""Fixtures for client contract tests: a client with quick backoff, pointed at the simulator."""

import pytest

from embedding.client import RetryPolicy, SpaceInvoicesClient, Transport


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
