"""Simulators started once for a whole ``make mutate`` run, one per worker slot.

Each mutant is a fresh pytest session in a forked process. Starting a simulator and an
account there costs more than most mutants' tests, and two workers sharing one simulator
(or one SQLite file) reset each other's state mid-test. So ``tests.mutation`` starts one
simulator per worker up front and writes them to a slots file; every session takes the
first free slot with ``flock`` and frees it when it ends; the kernel frees it when the
process is killed by a timeout.
"""

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SLOTS_ENV = "PORTAL_TEST_SLOTS"


@dataclass(frozen=True)
class Slot:
    url: str
    simulator_db: str
    account_key: str
    database: str
    lock: str


def slots_write(*, path: Path, slots: list[Slot]) -> None:
    path.write_text(json.dumps([slot.__dict__ for slot in slots]))


def slot_configured() -> bool:
    return bool(os.environ.get(SLOTS_ENV))


def slot_take(*, wait_seconds: float = 600) -> tuple[Slot, IO]:
    """Lock a free slot and return it with its lock file: closing the file frees it."""
    slots = [Slot(**raw) for raw in json.loads(Path(os.environ[SLOTS_ENV]).read_text())]
    deadline = time.monotonic() + wait_seconds
    while True:
        for slot in slots:
            handle = open(slot.lock, "a")  # noqa: SIM115 (returned: the lock lives with it)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return slot, handle
        if time.monotonic() > deadline:
            raise RuntimeError("no free mutation slot: more workers than simulators?")
        time.sleep(0.05)
