"""Calendar feeds through the live server: the address from the generated client, the ``.ics``
fetched over HTTP without credentials, as a calendar app fetches it, and read by two parsers.
"""

from __future__ import annotations

import importlib
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx
import ics
import pytest
from icalendar import Calendar

pytestmark = pytest.mark.client


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
@pytest.mark.filterwarnings("ignore:'maxsplit' is passed as positional argument:DeprecationWarning")
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

    # The seeded appointment, and any other that earlier tests booked with the same people.
    calendar = Calendar.from_ical(response.text)
    events = calendar.walk("VEVENT")
    assert {str(event["summary"]) for event in events} == {"Sesión con Lucía Mamani"}
    assert f"appointment-{live_server.ids['appointment']}" in {
        str(event["uid"]).split("@")[0] for event in events
    }
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["America/La_Paz"]
    imported = ics.Calendar(response.text)
    assert [item.name for item in imported.events] == ["Sesión con Lucía Mamani"] * len(events)
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
        events = Calendar.from_ical(response.text).walk("VEVENT")
        # Her patients by first name only: Ana, and whoever earlier tests booked with her
        # (the seeded first names are one word each, so a last name would be a fourth word).
        summaries = {str(event["summary"]) for event in events}
        assert "Sesión con Ana" in summaries
        assert all(len(summary.split()) == 3 for summary in summaries), summaries
        assert live_server.accounts["patient"].email not in response.text

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
