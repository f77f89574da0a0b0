"""The simulator stops holding an answer once its client hangs up, and keeps what it did."""

import json
import socket
import time
from urllib.parse import urlsplit

import requests

HOUR_MS = 3_600_000  # far longer than any test waits: only a hang-up can end such a hold


def post_then_hang_up(simulator, key: str, until) -> None:
    """Send ``POST /entities`` over a bare socket, wait until ``until(stats)``, then close."""
    url = urlsplit(simulator.url)
    body = json.dumps({"name": "Hung up", "country": "Germany"}).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(
            b"POST /entities HTTP/1.1\r\nHost: simulator\r\n"
            + f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + 10
        while not until(simulator.stats()):
            assert time.monotonic() < deadline, simulator.stats()
            time.sleep(0.02)


def test_a_hold_after_the_work_ends_when_the_client_hangs_up_and_the_work_stays(
    simulator, account_key
):
    simulator.fault(path_prefix="/entities", method="POST", hold_ms=HOUR_MS, count=1)
    post_then_hang_up(simulator, account_key, lambda s: s["entities"] == 1 and s["in_flight"])
    simulator.wait_until_idle(seconds=10)  # an hour's hold, ended by the hang-up
    assert simulator.stats()["entities"] == 1


def test_a_wait_before_a_drop_ends_when_the_client_hangs_up_and_nothing_is_done(
    simulator, account_key
):
    simulator.fault(
        path_prefix="/entities", method="POST", delay_ms=HOUR_MS, drop="before", count=1
    )
    post_then_hang_up(simulator, account_key, lambda s: not s["faults_waiting"])
    simulator.wait_until_idle(seconds=10)
    assert simulator.stats()["entities"] == 0
    assert simulator.requests_to("POST /entities") == 1


def test_a_client_that_stays_gets_its_answer_after_the_hold(simulator, account_key):
    simulator.fault(path_prefix="/entities", method="POST", hold_ms=300, count=1)
    answer = requests.post(
        f"{simulator.url}/entities",
        headers={"Authorization": f"Bearer {account_key}"},
        json={"name": "Stayed", "country": "Germany"},
        timeout=10,
    )
    assert answer.status_code == 201
    assert answer.json()["name"] == "Stayed"
    assert simulator.stats()["entities"] == 1
