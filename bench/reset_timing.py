"""POST /api/auth/password-reset/ for an existing and for an unknown address: time per request.

The answer must not tell whether an account exists, and its time must not either: a request
that looks up the account and sends the email before answering takes measurably longer for a
real address. Both cases are posted in alternation (so that drift of the machine hits both
alike) through DRF's APIClient with the database task backend, as deployed: the request only
stores a task, a worker (not started here) sends the email. Printed: the median (min, max) of
each case and the difference of the medians.

    python bench/reset_timing.py [--size small|full]
"""

from __future__ import annotations

import statistics
import sys
import time

import harness

# Requests per case; small is the figure the security review asked for (medians of 20).
REQUESTS = {"small": 20, "full": 200}
WARM_UP = 5
KNOWN_EMAIL = "registrada@bench.psico.test"
UNKNOWN_EMAIL = "nadie@bench.psico.test"
RESET = "/api/auth/password-reset/"


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("reset_timing")

    from django.test.utils import override_settings, setup_test_environment
    from psico_accounts.testing.factories import PatientFactory
    from rest_framework.test import APIClient

    # Django's in-memory email backend, as in tests: sending costs as little as it can, so
    # whatever difference remains is the work done for an existing account, not the network.
    setup_test_environment()
    requests = REQUESTS[args.size]
    overrides = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        PSICO_ACCOUNTS={"PASSWORD_RESET_THROTTLE_RATE": None},
    )
    with harness.bench_database(), overrides:
        print(f"password reset timing ({harness.describe_environment()})")
        PatientFactory(email=KNOWN_EMAIL)
        client = APIClient()

        def post(email: str) -> float:
            started = time.perf_counter()
            response = client.post(RESET, {"email": email}, format="json")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                sys.exit(f"reset_timing: {email} answered {response.status_code}")
            return elapsed

        for _ in range(WARM_UP):
            post(KNOWN_EMAIL)
            post(UNKNOWN_EMAIL)
        known, unknown = [], []
        for _ in range(requests):
            known.append(post(KNOWN_EMAIL))
            unknown.append(post(UNKNOWN_EMAIL))

        harness.print_table(
            ["case", "time per request"],
            [
                ("existing account", harness.summary_ms(known)),
                ("unknown address", harness.summary_ms(unknown)),
            ],
        )
        difference = statistics.median(known) - statistics.median(unknown)
        print(f"difference of the medians (existing - unknown): {difference:+.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
