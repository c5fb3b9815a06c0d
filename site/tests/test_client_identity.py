"""Who the client is, as the Procfile serves the site: its connection's address, or what a
trusted proxy (FORWARDED_ALLOW_IPS) says it is; never what the client writes itself.

The two workers count in one file cache in the test's directory, so that the figures do not
depend on which worker answers (production shares Redis instead).
"""

import httpx
import pytest

from .live_server import Server, production_environment

LOGIN = "/api/auth/login/"
WRONG = {"email": "x@psico.bo", "password": "whatever"}
RATE = 5
ATTEMPTS = 30

# Logins hash passwords: on a loaded CI machine one can take longer than httpx's 5 s default.
LOADED_MACHINE_TIMEOUT = 30


def serve(tmp_path, **env: str) -> Server:
    return Server(
        production_environment(
            tmp_path,
            steps=("migrate",),
            CACHE_URL=f"filecache://{tmp_path / 'cache'}",
            THROTTLE_RATE_LOGIN=f"{RATE}/minute",
            **env,
        )
    )


@pytest.fixture
def server_factory(tmp_path):
    servers: list[Server] = []

    def start(**env: str) -> Server:
        servers.append(serve(tmp_path, **env))
        return servers[-1]

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.stop()


def login_statuses(client: httpx.Client, forwarded_for: list[str]) -> list[int]:
    return [
        client.post(LOGIN, json=WRONG, headers={"X-Forwarded-For": address}).status_code
        for address in forwarded_for
    ]


def test_a_new_x_forwarded_for_on_every_attempt_is_still_throttled(server_factory):
    # No FORWARDED_ALLOW_IPS: nobody's forwarded headers are believed. Plain HTTP on the
    # loopback interface, as there is no TLS proxy in front.
    server = server_factory(SECURE_SSL_REDIRECT="0")
    rotating = [f"198.51.100.{n}" for n in range(1, ATTEMPTS + 1)]

    with httpx.Client(base_url=server.url, timeout=LOADED_MACHINE_TIMEOUT) as client:
        statuses = login_statuses(client, rotating)

    assert statuses[:RATE] == [400] * RATE
    assert statuses[RATE:] == [429] * (ATTEMPTS - RATE)


def test_a_trusted_proxy_names_the_client(server_factory):
    # The test client plays the proxy on 127.0.0.1 that terminates TLS.
    server = server_factory(FORWARDED_ALLOW_IPS="127.0.0.1")

    with httpx.Client(
        base_url=server.url, headers={"X-Forwarded-Proto": "https"}, timeout=LOADED_MACHINE_TIMEOUT
    ) as client:
        first = login_statuses(client, ["198.51.100.1"] * (RATE + 1))
        another = login_statuses(client, ["198.51.100.2"])
        # A client's own X-Forwarded-For comes first; the proxy appends the address it saw.
        spoofed = login_statuses(client, ["203.0.113.99, 198.51.100.1"])

    # Not redirected to HTTPS: the scheme is the trusted proxy's too.
    assert first == [400] * RATE + [429]
    assert another == [400]
    assert spoofed == [429]
