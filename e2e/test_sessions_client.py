"""Per-device tokens and email verification through the generated client: a new patient signs
in on two devices, lists them, signs one out from the other, logs out of one and then of all;
a password change signs the other devices out; verification codes that were never sent are
refused and a new verification email can be asked for."""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest

# The generated client is the `api` fixture of conftest.py.
from test_generated_client import model, ok, operation

pytestmark = pytest.mark.client

PASSWORD = "Celular-y-laptop-2024!"


def signed_in(api, live_server, request, token: str):
    client = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(client.get_httpx_client().close)
    return client


def anonymous_client(api, live_server, request):
    client = api.Client(base_url=live_server.base_url, raise_on_unexpected_status=True)
    request.addfinalizer(client.get_httpx_client().close)
    return client


def new_patient(api, anonymous) -> tuple[str, str]:
    """Register a patient of this test alone (its devices are signed out here); returns the
    email and the registration's token (the first device)."""
    email = f"equipos-{uuid.uuid4().hex[:8]}@e2e.psico.test"
    registered = ok(
        operation(api, "accounts", "auth_register_create").sync_detailed(
            client=anonymous,
            body=model(api, "RegisterRequest")(
                email=email,
                password=PASSWORD,
                first_name="Daniela",
                last_name="Mamani",
                ci=str(uuid.uuid4().int)[:8],
            ),
        ),
        HTTPStatus.CREATED,
    )
    assert registered.user.email_verified is False
    return email, registered.token


def log_in(api, anonymous, email: str, password: str = PASSWORD) -> str:
    return ok(
        operation(api, "accounts", "auth_login_create").sync_detailed(
            client=anonymous, body=model(api, "LoginRequest")(email=email, password=password)
        )
    ).token


def me_status(api, client) -> int:
    return operation(api, "accounts", "users_me_retrieve").sync_detailed(client=client).status_code


def test_devices_are_listed_and_signed_out_one_by_one_or_all(api, live_server, request):
    anonymous = anonymous_client(api, live_server, request)
    email, first_key = new_patient(api, anonymous)
    first = signed_in(api, live_server, request, first_key)
    second = signed_in(api, live_server, request, log_in(api, anonymous, email))
    third = signed_in(api, live_server, request, log_in(api, anonymous, email))

    devices = ok(operation(api, "accounts", "auth_sessions_list").sync_detailed(client=second))
    assert len(devices) == 3
    assert [device.current for device in devices].count(True) == 1
    current = next(device for device in devices if device.current)
    assert current.expires_at > current.last_used_at >= current.created_at

    # The second device signs the first one out.
    first_id = next(
        device.id
        for device in ok(
            operation(api, "accounts", "auth_sessions_list").sync_detailed(client=first)
        )
        if device.current
    )
    deleted = operation(api, "accounts", "auth_sessions_destroy").sync_detailed(
        first_id, client=second
    )
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert me_status(api, first) == HTTPStatus.UNAUTHORIZED
    assert me_status(api, second) == HTTPStatus.OK
    assert me_status(api, third) == HTTPStatus.OK
    left = ok(operation(api, "accounts", "auth_sessions_list").sync_detailed(client=third))
    assert len(left) == 2 and first_id not in {device.id for device in left}


def test_logout_signs_out_only_this_device_and_logout_all_every_one(api, live_server, request):
    anonymous = anonymous_client(api, live_server, request)
    email, first_key = new_patient(api, anonymous)
    first = signed_in(api, live_server, request, first_key)
    second = signed_in(api, live_server, request, log_in(api, anonymous, email))
    third = signed_in(api, live_server, request, log_in(api, anonymous, email))

    logout = operation(api, "accounts", "auth_logout_create").sync_detailed(client=first)
    assert logout.status_code == HTTPStatus.NO_CONTENT
    assert me_status(api, first) == HTTPStatus.UNAUTHORIZED
    assert me_status(api, second) == HTTPStatus.OK

    everywhere = operation(api, "accounts", "auth_logout_all_create").sync_detailed(client=second)
    assert everywhere.status_code == HTTPStatus.NO_CONTENT
    assert me_status(api, second) == HTTPStatus.UNAUTHORIZED
    assert me_status(api, third) == HTTPStatus.UNAUTHORIZED


def test_a_password_change_signs_the_other_devices_out(api, live_server, request):
    anonymous = anonymous_client(api, live_server, request)
    email, first_key = new_patient(api, anonymous)
    first = signed_in(api, live_server, request, first_key)
    second = signed_in(api, live_server, request, log_in(api, anonymous, email))

    changed = ok(
        operation(api, "accounts", "auth_password_change_create").sync_detailed(
            client=second,
            body=model(api, "PasswordChangeRequest")(
                old_password=PASSWORD, new_password="Otra-clave-2025!"
            ),
        )
    )
    assert me_status(api, first) == HTTPStatus.UNAUTHORIZED
    assert me_status(api, second) == HTTPStatus.UNAUTHORIZED
    renewed = signed_in(api, live_server, request, changed.token)
    assert me_status(api, renewed) == HTTPStatus.OK
    devices = ok(operation(api, "accounts", "auth_sessions_list").sync_detailed(client=renewed))
    assert [device.current for device in devices] == [True]


def test_someone_elses_device_is_not_found(api, live_server, request):
    anonymous = anonymous_client(api, live_server, request)
    _email, mine = new_patient(api, anonymous)
    _other_email, theirs = new_patient(api, anonymous)
    me = signed_in(api, live_server, request, mine)
    them = signed_in(api, live_server, request, theirs)
    their_id = ok(operation(api, "accounts", "auth_sessions_list").sync_detailed(client=them))[0].id

    response = operation(api, "accounts", "auth_sessions_destroy").sync_detailed(
        their_id, client=me
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert me_status(api, them) == HTTPStatus.OK


def test_email_verification_codes_and_resending(api, live_server, request):
    anonymous = anonymous_client(api, live_server, request)
    _email, key = new_patient(api, anonymous)
    client = signed_in(api, live_server, request, key)

    refused = operation(api, "accounts", "auth_verify_email_create").sync_detailed(
        client=anonymous, body=model(api, "EmailVerifyRequest")(uid="MQ", token="never-sent")
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.parsed is not None

    resent = ok(
        operation(api, "accounts", "auth_verify_email_resend_create").sync_detailed(client=client)
    )
    assert resent.detail
    me = ok(operation(api, "accounts", "users_me_retrieve").sync_detailed(client=client))
    assert me.email_verified is False
