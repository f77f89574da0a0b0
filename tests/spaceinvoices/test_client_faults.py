"""Contract tests: failures, retries and idempotent replay, injected through /_control/."""

import pytest

from spaceinvoices.client import (
    IdempotencyKeyReused,
    MalformedResponse,
    RateLimited,
    Unavailable,
)

from .conftest import make_client, raw_entity


def test_two_creates_with_one_request_id_leave_one_entity(si, simulator):
    first = si.entity_create(name="Once", country="Germany", request_id="cust-1-entity")
    second = si.entity_create(name="Once", country="Germany", request_id="cust-1-entity")
    assert first.id == second.id
    assert simulator.stats()["entities"] == 1


def test_same_request_id_with_another_body_is_refused(si, simulator):
    si.entity_create(name="Once", country="Germany", request_id="cust-2-entity")
    with pytest.raises(IdempotencyKeyReused):
        si.entity_create(name="Twice", country="Germany", request_id="cust-2-entity")
    assert simulator.stats()["entities"] == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_create_retried_after_a_5xx_gateway_answer_creates_exactly_one(si, simulator, status):
    simulator.fault(path_prefix="/entities", method="POST", status=status, count=1)
    entity = si.entity_create(name="Retry", country="Germany")
    assert simulator.stats()["entities"] == 1
    assert simulator.requests_to("POST /entities") == 2
    assert raw_entity(simulator, si._api_key, entity.id).json()["name"] == "Retry"


def test_persistent_503_gives_unavailable(si, simulator):
    simulator.fault(path_prefix="/entities", method="POST", status=503, count=5)
    with pytest.raises(Unavailable) as caught:
        si.entity_create(name="Down", country="Germany")
    assert caught.value.status == 503
    assert simulator.requests_to("POST /entities") == 3  # the first try and two retries
    assert simulator.stats()["entities"] == 0


@pytest.mark.parametrize("status", [500, 501])
def test_other_5xx_are_not_retried(si, simulator, status):
    simulator.fault(path_prefix="/entities", method="GET", status=status, count=1)
    with pytest.raises(Unavailable) as caught:
        si.entities_page()
    assert caught.value.status == status
    assert simulator.requests_to("GET /entities") == 1


def test_429_honours_retry_after_then_succeeds(si, simulator):
    simulator.fault(path_prefix="/entities", status=429, retry_after=0, count=1)
    assert si.entities_page().total == 0
    assert simulator.requests_to("GET /entities") == 2


def test_429_beyond_the_retries_gives_rate_limited_with_retry_after(si, simulator):
    simulator.fault(path_prefix="/entities", status=429, retry_after=0, count=10)
    with pytest.raises(RateLimited) as caught:
        si.entities_page()
    assert caught.value.retry_after == 0
    assert caught.value.code == "rate_limit_exceeded"


def test_retry_after_longer_than_the_budget_is_not_waited_for(simulator, account_key):
    simulator.fault(path_prefix="/entities", status=429, retry_after=60, count=1)
    with pytest.raises(RateLimited) as caught:
        make_client(simulator, account_key).entities_page()
    assert caught.value.retry_after == 60
    assert simulator.requests_to("GET /entities") == 1  # no second try after 60 s


def test_timeout_gives_unavailable(simulator, account_key):
    simulator.fault(path_prefix="/entities", method="GET", delay_ms=1500, count=1)
    impatient = make_client(simulator, account_key, retries=0, read_timeout=0.3)
    with pytest.raises(Unavailable, match="in time"):
        impatient.entities_page()


def test_write_that_timed_out_and_was_retried_happens_once(simulator, account_key):
    simulator.fault(path_prefix="/entities", method="POST", delay_ms=800, count=1)
    impatient = make_client(simulator, account_key, retries=2, read_timeout=0.3)
    entity = impatient.entity_create(name="Slow", country="Germany")
    simulator.wait_until_idle()  # the first, delayed attempt has finished: it replayed
    assert simulator.requests_to("POST /entities") >= 2
    assert simulator.stats()["entities"] == 1
    assert raw_entity(simulator, account_key, entity.id).json()["name"] == "Slow"


def test_connection_dropped_before_the_write(si, simulator):
    simulator.fault(path_prefix="/entities", method="POST", drop="before", count=1)
    si.entity_create(name="Dropped before", country="Germany")
    assert simulator.stats()["entities"] == 1
    assert simulator.requests_to("POST /entities") == 2


@pytest.mark.parametrize(("drop", "entities"), [("before", 0), ("after", 1)])
def test_a_write_without_an_answer_is_never_called_unreached(
    simulator, account_key, drop, entities
):
    """The request left; whether Space Invoices acted on it is unknown to the client, and
    the message says so (staff read it: a rotation whose answer was lost had made a key)."""
    simulator.fault(path_prefix="/entities", method="POST", drop=drop, count=1)
    with pytest.raises(Unavailable) as caught:
        make_client(simulator, account_key, retries=0).entity_create(name="X", country="Italy")
    assert str(caught.value) == "Space Invoices did not answer; it may have carried out the request"
    assert simulator.stats()["entities"] == entities


def test_a_write_retried_into_a_failure_still_says_it_may_have_been_carried_out(si, simulator):
    """The first attempt acted and its answer was lost; the retries met 503s. The error is
    the last attempt's, and says what the first may have done."""
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=1)
    simulator.fault(path_prefix="/entities", method="POST", status=503, count=9)
    with pytest.raises(Unavailable) as caught:
        si.entity_create(name="Made", country="Italy")
    assert caught.value.status == 503
    assert str(caught.value).endswith(
        "; an earlier attempt got no answer, so it may have been carried out"
    )
    assert simulator.stats()["entities"] == 1  # it was


def test_a_read_without_an_answer_says_only_that(simulator, account_key):
    simulator.fault(path_prefix="/entities", method="GET", drop="after", count=1)
    with pytest.raises(Unavailable) as caught:
        make_client(simulator, account_key, retries=0).entities_page()
    assert str(caught.value) == "Space Invoices did not answer"


def test_a_server_nobody_listens_on_could_not_be_reached_and_got_nothing(account_key):
    import socket

    from spaceinvoices.client import SpaceInvoicesClient, Transport
    from spaceinvoices.client.transport import RetryPolicy

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        transport = Transport(base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_retries=0))
        with pytest.raises(Unavailable) as caught:
            SpaceInvoicesClient(transport=transport, api_key=account_key).entity_create(
                name="X", country="Italy"
            )
    assert str(caught.value) == "Space Invoices could not be reached"


def test_connection_dropped_after_the_write_replays_on_retry(si, simulator):
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=1)
    entity = si.entity_create(name="Dropped after", country="Germany")
    assert simulator.stats()["entities"] == 1
    assert [e.id for e in si.entities_iter()] == [entity.id]


def test_malformed_body_is_a_typed_error(si, simulator):
    simulator.fault(path_prefix="/entities", method="GET", malformed=True, count=1)
    with pytest.raises(MalformedResponse):
        si.entities_page()


def test_missing_field_is_a_typed_error_not_a_key_error():
    from spaceinvoices.client import Entity

    with pytest.raises(MalformedResponse, match="'id' is missing"):
        Entity.from_json({"name": "x"})
    with pytest.raises(MalformedResponse, match="wrong type"):
        Entity.from_json({"id": 1})


def test_proxy_settings_in_the_environment_are_ignored(simulator, account_key, monkeypatch):
    """Credentials never travel through a proxy the process environment names."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert make_client(simulator, account_key, retries=0).entities_page().total == 0


def test_backoff_is_exponential_with_full_jitter_over_a_floor():
    """Half a backoff at least, then up to backoff x 2^attempt more, drawn at random."""
    import random

    from spaceinvoices.client import RetryPolicy, Transport, Unavailable

    policy = RetryPolicy(max_retries=3, backoff=0.1, max_wait=5)
    random.seed(7)
    for attempt in (0, 1, 3):
        delays = [Transport._delay(Unavailable("x"), attempt, policy) for _ in range(400)]
        ceiling = 0.1 * 2**attempt + 0.05
        assert all(0.05 <= d <= ceiling for d in delays), attempt
        assert min(delays) < 0.05 + 0.1 * 2**attempt * 0.05  # the jitter starts at zero
        assert max(delays) > 0.05 + 0.1 * 2**attempt * 0.95  # and reaches the top


def test_a_base_url_loses_its_trailing_slash_only():
    from spaceinvoices.client import Transport

    assert Transport(base_url="http://127.0.0.1:9/api/").base_url == "http://127.0.0.1:9/api"
