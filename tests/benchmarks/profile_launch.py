"""``python -m tests.benchmarks.profile_launch [N]``: where a launch's CPU goes in the
portal's own process (the whole request: middleware, view, client, audit, log line),
under the benchmark's settings (DEBUG off, PostgreSQL, Redis, the portal's session store)."""

import cProfile
import io
import pstats
import sys
import time

from tests.benchmarks.run import PASSWORD, seed
from tests.benchmarks.stack import Stack


def main() -> int:
    launches = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    stack = Stack()
    try:
        stack.manage("collectstatic", "--no-input", "-v", "0")
        import logging

        import django

        django.setup()
        from django.test import Client

        customer, members = seed(1)
        logging.getLogger().setLevel(logging.INFO)  # the request log line is part of a launch
        client = Client(enforce_csrf_checks=True)
        page = client.get("/accounts/login/")
        token = page.cookies["csrftoken"].value
        client.post(
            "/accounts/login/",
            {"username": members[0].user.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        csrf = client.cookies["csrftoken"].value
        url = f"/customers/{customer.slug}/open-invoicing/"
        for _ in range(200):  # warm: connections, lazy set-up
            assert client.post(url, HTTP_X_CSRFTOKEN=csrf).status_code == 303
        profile = cProfile.Profile()
        cpu = time.process_time()
        profile.enable()
        for _ in range(launches):
            client.post(url, HTTP_X_CSRFTOKEN=csrf)
        profile.disable()
        cpu = time.process_time() - cpu
        # The test client adds its own work (building the request, reading the response);
        # the figure is an upper bound of the server's share.
        print(f"{launches} launches: {cpu / launches * 1000:.2f} ms of CPU each (client included)")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(35)
        stats.sort_stats("cumulative").print_stats(60)
        print(out.getvalue())
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
