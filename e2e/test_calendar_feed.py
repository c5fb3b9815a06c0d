"""Calendar feeds through the live server: the address from the generated client, the ``.ics``
fetched over HTTP without credentials, as a calendar app fetches it, and read by two parsers.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import ics
import pytest
from icalendar import Calendar

pytestmark = pytest.mark.client

PACKAGE = "psico_api_client"


@pytest.fixture(scope="module")
def api(repo_root: Path, schema_path: Path, e2e_dir: Path):
    """The client generated from the committed schema (as in test_generated_client.py; the
    same package when that module already generated it in this session)."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    output = repo_root / ".generated" / PACKAGE
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema_path),
            "--config",
            str(e2e_dir / "openapi-client.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(output),
            "--overwrite",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(output.parent))
    importlib.invalidate_caches()
    return importlib.import_module(PACKAGE)


def operation(api, name: str):
    return importlib.import_module(f"{api.__name__}.api.calendar.{name}")


def signed_in(api, live_server, request, account: str):
    client = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=live_server.accounts[account].token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(client.get_httpx_client().close)
    return client


def feed_url(api, client) -> str:
    response = operation(api, "calendar_feed_retrieve").sync_detailed(client=client)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.parsed.url


# ics 0.7 passes re.split's maxsplit positionally, which Python 3.13 deprecates.
@pytest.mark.filterwarnings(
    "ignore:'maxsplit' is passed as positional argument:DeprecationWarning"
)
def test_a_patient_subscribes_to_their_feed(api, live_server, request):
    url = feed_url(api, signed_in(api, live_server, request, "patient"))
    assert url.startswith(live_server.base_url + "/api/calendar/") and url.endswith(".ics")

    # A calendar app: no credentials, plain HTTP.
    with httpx.Client(timeout=10.0) as http:
        response = http.get(url)
        assert response.status_code == 200, response.text[:500]
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "private" in response.headers["cache-control"]
        etag = response.headers["etag"]
        assert http.get(url, headers={"If-None-Match": etag}).status_code == 304

    calendar = Calendar.from_ical(response.text)
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Sesión con Lucía Mamani"
    assert str(event["uid"]).startswith(f"appointment-{live_server.ids['appointment']}@")
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["America/La_Paz"]
    imported = ics.Calendar(response.text)
    assert [item.name for item in imported.events] == ["Sesión con Lucía Mamani"]
    assert live_server.accounts["patient"].email not in response.text

    # The generated client reads the same document (a text/calendar answer).
    secret = urlsplit(url).path.rsplit("/", 1)[1].removesuffix(".ics")
    anonymous = api.Client(base_url=live_server.base_url)
    request.addfinalizer(anonymous.get_httpx_client().close)
    generated = operation(api, "calendar_feed_ics").sync_detailed(client=anonymous, secret=secret)
    assert generated.status_code == HTTPStatus.OK
    assert generated.content == response.content


def test_the_professional_sees_first_names_and_rotation_revokes(api, live_server, request):
    client = signed_in(api, live_server, request, "professional")
    old = feed_url(api, client)

    with httpx.Client(timeout=10.0) as http:
        response = http.get(old)
        assert response.status_code == 200, response.text[:500]
        [event] = Calendar.from_ical(response.text).walk("VEVENT")
        assert str(event["summary"]) == "Sesión con Ana"

        rotated = operation(api, "calendar_feed_rotate_create").sync_detailed(client=client)
        assert rotated.status_code == HTTPStatus.OK
        new = rotated.parsed.url
        assert new != old and feed_url(api, client) == new
        assert http.get(old).status_code == 404
        assert http.get(new).status_code == 200

    secrets = {urlsplit(url).path.rsplit("/", 1)[1].removesuffix(".ics") for url in (old, new)}
    log = live_server.log_path.read_text(errors="replace")
    assert "/api/calendar/[redacted]" in log
    for secret in secrets:
        assert secret not in log
