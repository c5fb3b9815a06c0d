"""The patient's rights through the generated client and a real worker: a new patient books,
asks for a copy of their data, a `manage.py db_worker --batch` builds it and emails the link
(the server's file mail backend), the copy downloads once; then the patient erases the account
and the professional still sees the appointment, anonymised."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import uuid
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ARTIFACTS_DIR, SITE_DIR

# The generated client is the `api` fixture of conftest.py.
from test_generated_client import model, ok, operation

pytestmark = pytest.mark.client

PASSWORD = "Mis-datos-son-mios-2024"


def run_worker(live_server) -> None:
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"],
        cwd=SITE_DIR,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout[-2000:] + worker.stderr[-2000:]


def emailed_link(email: str) -> str:
    """The download link of the export email to ``email`` in the file mail backend's files."""
    for path in sorted((ARTIFACTS_DIR / "mail").glob("*.log")):
        for raw in path.read_bytes().split(b"-" * 79):
            message = BytesParser(policy=policy.default).parsebytes(raw.strip())
            if message["To"] != email:
                continue
            body = message.get_body(("plain",)).get_content()
            if found := re.search(r"(http\S+/export/download/\?signature=\S+)", body):
                return found.group(1)
    raise AssertionError(f"no export email to {email}")


def test_a_patient_downloads_their_data_once_then_erases_the_account(api, live_server, request):
    anonymous = api.Client(base_url=live_server.base_url, raise_on_unexpected_status=True)
    request.addfinalizer(anonymous.get_httpx_client().close)
    email = f"derechos-{uuid.uuid4().hex[:8]}@e2e.psico.test"
    registered = ok(
        operation(api, "accounts", "auth_register_create").sync_detailed(
            client=anonymous,
            body=model(api, "RegisterRequest")(
                email=email,
                password=PASSWORD,
                first_name="Julia",
                last_name="Condori",
                ci=str(uuid.uuid4().int)[:8],
            ),
        ),
        HTTPStatus.CREATED,
    )
    patient = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=registered.token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(patient.get_httpx_client().close)
    professional_account = live_server.accounts["professional"]
    professional = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=professional_account.token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(professional.get_httpx_client().close)

    day = dt.date.today() + dt.timedelta(days=8)
    slots = ok(
        operation(api, "appointments", "scheduling_available_slots").sync_detailed(
            client=patient, psychologist=professional_account.id, date=day
        )
    )
    booked = ok(
        operation(api, "appointments", "scheduling_appointments_create").sync_detailed(
            client=patient,
            body=model(api, "AppointmentCreateRequest")(
                psychologist=professional_account.id,
                appointment_date=day,
                start_time=slots.slots[-1].start_time,
                reason="Mis datos",
            ),
        ),
        HTTPStatus.CREATED,
    )

    asked = operation(api, "accounts", "users_me_export_create").sync_detailed(client=patient)
    assert asked.status_code == HTTPStatus.ACCEPTED
    run_worker(live_server)
    link = emailed_link(email)
    assert link.startswith(live_server.base_url + "/api/users/me/export/download/?signature=")
    signature = parse_qs(urlsplit(link).query)["signature"][0]

    download = operation(api, "accounts", "users_me_export_download_retrieve")
    copy = download.sync_detailed(client=anonymous, signature=signature)
    assert copy.status_code == HTTPStatus.OK
    data = copy.parsed.to_dict() if hasattr(copy.parsed, "to_dict") else copy.parsed
    assert data["user"]["email"] == email
    assert [item["id"] for item in data["appointments"]] == [booked.id]
    again = download.sync_detailed(client=anonymous, signature=signature)
    assert again.status_code == HTTPStatus.NOT_FOUND

    erased = operation(api, "accounts", "users_me_destroy").sync_detailed(
        client=patient, body=model(api, "ErasureRequest")(password=PASSWORD)
    )
    assert erased.status_code == HTTPStatus.NO_CONTENT
    me = operation(api, "accounts", "users_me_retrieve").sync_detailed(client=patient)
    assert me.status_code == HTTPStatus.UNAUTHORIZED
    seen = ok(
        operation(api, "appointments", "scheduling_appointments_retrieve").sync_detailed(
            booked.id, client=professional
        )
    )
    assert (seen.patient.first_name, seen.patient.last_name) == ("Usuario eliminado", "")
    assert seen.reason == "Mis datos"
