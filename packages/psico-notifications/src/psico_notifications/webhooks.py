"""Signed webhooks: the endpoints' services, the address guard (SSRF), the payload, the
Standard Webhooks signature and the sending.

A webhook URL is checked twice. When it is saved (:func:`webhook_url_problem`): http or https
only, no user name or password, an allowed port, and no IP address (written in any form) or
local name that points inside the clinic's network. When a message is sent
(:func:`webhook_post`): the name is resolved, every address it resolves to is checked, and the
request connects to the checked address itself (the URL's name still goes in the ``Host``
header and in TLS, whose certificate is verified against it). A name that answered a public
address when it was saved and a private one later (DNS rebinding) is refused at that moment.
Redirects are never followed and proxies from the environment are never used.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_scheduling.models import AppointmentEvent, AppointmentEventName
from standardwebhooks import Webhook

from . import __version__
from .conf import notifications_settings
from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
RESPONSE_EXCERPT_LENGTH = 500
ERROR_LENGTH = 500
USER_AGENT = f"Psico-Webhooks/{__version__}"
# Names that always mean this machine, whatever the resolver says.
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")

SCHEME_NOT_ALLOWED = _("Only http and https URLs can receive webhooks.")
CREDENTIALS_NOT_ALLOWED = _("A webhook URL cannot carry a user name or a password.")
PORT_NOT_ALLOWED = _("Webhooks are only sent to the ports {ports}.")
ADDRESS_NOT_ALLOWED = _(
    "Webhooks are not sent to loopback, private, link-local, multicast or reserved "
    "addresses ({address})."
)
LOCAL_NAME_NOT_ALLOWED = _("Webhooks are not sent to this machine ({host}).")
NOT_A_URL = _("Enter a valid URL.")
ENDPOINT_INACTIVE = _("The endpoint is inactive: activate it before redelivering.")
DELIVERY_IN_PROGRESS = _("This message is still being delivered.")
DISABLED_AFTER_FAILURES = _("Disabled after {count} failed messages in a row.")


class WebhookAddressRefused(Exception):
    """The URL's name resolves to an address webhooks are not sent to (or to none)."""


# -- the address guard ------------------------------------------------------------------------


def allowed_networks() -> list[IPNetwork]:
    """``WEBHOOK_ALLOWED_NETWORKS``, parsed (the system check has validated them)."""
    return [
        ipaddress.ip_network(network, strict=False)
        for network in notifications_settings.WEBHOOK_ALLOWED_NETWORKS
    ]


def _embedded_ipv4(address: IPAddress) -> Iterable[IPAddress]:
    # An IPv6 address can carry an IPv4 one (6to4, Teredo): check both.
    yield address
    if isinstance(address, ipaddress.IPv6Address):
        if address.sixtofour is not None:
            yield address.sixtofour
        if address.teredo is not None:
            yield address.teredo[1]


def address_is_forbidden(address: IPAddress) -> bool:
    """Whether webhooks may not go to ``address``: loopback, private, link-local, multicast,
    reserved, unspecified or otherwise not global (IPv4 and IPv6; an IPv4-mapped IPv6 address
    is its IPv4 address), unless ``WEBHOOK_ALLOWED_NETWORKS`` holds it."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(
        address in network for network in allowed_networks() if network.version == address.version
    ):
        return False
    return any(
        candidate.is_loopback
        or candidate.is_private
        or candidate.is_link_local
        or candidate.is_multicast
        or candidate.is_reserved
        or candidate.is_unspecified
        or not candidate.is_global
        for candidate in _embedded_ipv4(address)
    )


def _literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` writes, in any form a resolver reads (``127.1``, ``0x7f.0.0.1``,
    ``2130706433`` are 127.0.0.1), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def webhook_url_problem(url: str) -> Any:
    """The message saying why webhooks may not go to ``url``, or None when they may.

    Names are not resolved here (what a name points to can change): :func:`webhook_post`
    resolves and checks them again at each attempt."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return NOT_A_URL
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return SCHEME_NOT_ALLOWED
    if parsed.userinfo:
        return CREDENTIALS_NOT_ALLOWED
    ports = notifications_settings.WEBHOOK_ALLOWED_PORTS
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if ports is not None and port not in ports:
        return PORT_NOT_ALLOWED.format(ports=", ".join(str(port) for port in ports))
    host = parsed.host.rstrip(".").lower()
    address = _literal_address(host)
    if address is not None:
        if address_is_forbidden(address):
            return ADDRESS_NOT_ALLOWED.format(address=address)
        return None
    if (host in LOCAL_NAMES or host.endswith(".localhost")) and address_is_forbidden(
        ipaddress.IPv4Address("127.0.0.1")
    ):
        return LOCAL_NAME_NOT_ALLOWED.format(host=host)
    return None


def resolve_allowed_address(url: httpx.URL) -> IPAddress:
    """The address to connect to for ``url``: the first one its name resolves to, once every
    one of them is checked. Raises :class:`WebhookAddressRefused`."""
    problem = webhook_url_problem(str(url))
    if problem is not None:
        raise WebhookAddressRefused(str(problem))
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise WebhookAddressRefused(f"{host} could not be resolved: {error}") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise WebhookAddressRefused(f"{host} resolves to no address.")
    for address in addresses:
        if address_is_forbidden(address):
            raise WebhookAddressRefused(str(ADDRESS_NOT_ALLOWED.format(address=address)))
    return addresses[0]


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int
    excerpt: str


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the attempt's deadline: an endpoint
    that drips its answer a byte at a time cannot hold the worker longer than that."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("The attempt took longer than WEBHOOK_TIMEOUT_SECONDS.")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, self._left(timeout))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Opens the connection to the address that was checked, never to what the host name
    resolves to now (the URL, its Host header and TLS keep the name)."""

    def __init__(self, *, host: str, address: IPAddress, deadline: float) -> None:
        self._host = host
        self._address = address
        self._deadline = deadline
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._host:  # a redirect or a proxy would ask for another host
            raise httpcore.ConnectError(f"Refusing to connect to {host}.")
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("The attempt took longer than WEBHOOK_TIMEOUT_SECONDS.")
        stream = self._backend.connect_tcp(
            str(self._address),
            port,
            timeout=left if timeout is None else min(timeout, left),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Webhooks are not sent over Unix sockets.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def tls_context() -> ssl.SSLContext:
    """The TLS settings of webhook requests: certificates verified against the certifi
    authorities and the URL's host name (tests add their own authority here)."""
    return httpx.create_ssl_context(trust_env=False)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _PinnedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx has no argument for its pool's network backend: this is the pool it builds by
        # default (HTTP/1.1, certificates verified against the system's authorities), with ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            max_connections=1,
            network_backend=backend,
        )


def webhook_post(*, url: str, body: bytes, headers: dict[str, str]) -> WebhookResponse:
    """POST ``body`` to ``url`` over a connection to the address
    :func:`resolve_allowed_address` checked, never following a redirect, within
    ``WEBHOOK_TIMEOUT_SECONDS`` in all; only the start of the answer is read.

    Raises :class:`WebhookAddressRefused`, or :class:`httpx.HTTPError` when the endpoint cannot
    be reached or does not answer in time."""
    target = httpx.URL(url)
    address = resolve_allowed_address(target)
    timeout = notifications_settings.WEBHOOK_TIMEOUT_SECONDS
    backend = _PinnedBackend(
        host=target.raw_host.decode("ascii"),
        address=address,
        deadline=time.monotonic() + timeout,
    )
    excerpt = b""
    with httpx.Client(
        transport=_PinnedTransport(backend),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        # identity: the excerpt is read raw, and nothing is decompressed.
        with client.stream(
            "POST", target, content=body, headers={**headers, "Accept-Encoding": "identity"}
        ) as response:
            try:
                for chunk in response.iter_raw():
                    excerpt += chunk
                    if len(excerpt) >= RESPONSE_EXCERPT_LENGTH:
                        break
            except httpx.TimeoutException:
                pass  # the status is known: the excerpt is what came in time
    text = excerpt[:RESPONSE_EXCERPT_LENGTH].decode("utf-8", "replace")
    return WebhookResponse(response.status_code, text[:RESPONSE_EXCERPT_LENGTH])


# -- secrets and signatures -------------------------------------------------------------------


def webhook_secret_generate() -> str:
    """A new signing secret in the Standard Webhooks form, ``whsec_`` and 32 random bytes in
    base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def webhook_headers(*, secret: str, message_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt: ``webhook-id``, ``webhook-timestamp``
    (this attempt's, in seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``)."""
    # standardwebhooks replaces the time zone with UTC instead of converting: give it UTC.
    at = at.astimezone(dt.UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# -- the payload -----------------------------------------------------------------------------


def webhook_payload(event: AppointmentEvent) -> dict[str, Any]:
    """The JSON body of an event's message: ``{type, timestamp, data}``.

    ``data`` names people by id only and carries no clinical or contact data: no names,
    emails, phones, reasons for the appointment or for a cancellation. Times are ISO 8601 with
    their offset (UTC). A ``waitlist.offered`` event's ``data`` is the held time instead."""
    appointment = event.appointment
    recorded = event.payload or {}
    if event.name == AppointmentEventName.WAITLIST_OFFERED:
        return {
            "type": event.name,
            "timestamp": event.created_at.astimezone(dt.UTC).isoformat(),
            "data": {
                "offer_id": recorded.get("offer_id"),
                "waitlist_entry_id": recorded.get("waitlist_entry_id"),
                "patient_id": recorded.get("patient_id"),
                "psychologist_id": appointment.psychologist_id,
                "start": recorded.get("start"),
                "end": recorded.get("end"),
                "expires_at": recorded.get("expires_at"),
                "freed_by_appointment_id": appointment.pk,
            },
        }
    data: dict[str, Any] = {
        "appointment_id": appointment.pk,
        "status": appointment.status,
        "start": recorded.get("start") or appointment.start.astimezone(dt.UTC).isoformat(),
        "end": recorded.get("end") or appointment.end.astimezone(dt.UTC).isoformat(),
        "psychologist_id": appointment.psychologist_id,
        "patient_id": appointment.patient_id,
        "sequence": event.sequence,
        "actor_id": event.actor_id,
    }
    if event.name == AppointmentEventName.CANCELLED:
        data["late"] = bool(recorded.get("late", False))
    if event.name == AppointmentEventName.RESCHEDULED:
        data["previous_start"] = recorded.get("previous_start")
        data["previous_end"] = recorded.get("previous_end")
    return {
        "type": event.name,
        "timestamp": event.created_at.astimezone(dt.UTC).isoformat(),
        "data": data,
    }


def webhook_body(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


# -- endpoints ------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    problem = webhook_url_problem(url)
    if problem is not None:
        raise ValidationError({"url": [problem]})


def webhook_endpoint_create(
    *, url: str, events: list[str], created_by, is_active: bool = True, description: str = ""
) -> WebhookEndpoint:
    """A new endpoint with a new secret (read it from the returned object: it is shown once)."""
    _check_url(url)
    return WebhookEndpoint.objects.create(
        url=url,
        events=list(dict.fromkeys(events)),
        is_active=is_active,
        description=description,
        secret=webhook_secret_generate(),
        created_by=created_by,
    )


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change ``url``, ``events``, ``is_active`` or ``description``. Activating an endpoint
    clears why it was disabled and its count of failed messages."""
    unknown = set(changes) - {"url", "events", "is_active", "description"}
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    if "url" in changes:
        _check_url(changes["url"])
    if "events" in changes:
        changes["events"] = list(dict.fromkeys(changes["events"]))
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if changes.get("is_active") and not endpoint.is_active:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        for field, value in changes.items():
            setattr(endpoint, field, value)
        endpoint.save()
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Give ``endpoint`` a new secret; messages are signed with it from now on (retries too)."""
    endpoint.secret = webhook_secret_generate()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


# -- deliveries ------------------------------------------------------------------------------


def webhook_deliveries_create(*, event: AppointmentEvent) -> list[WebhookDelivery]:
    """The deliveries of ``event`` to the active endpoints subscribed to it, created once: an
    event relayed again creates (and returns) nothing new. An endpoint hears of what happens
    after it was added, even when the relay runs late."""
    created = []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            is_active=True, created_at__lte=event.created_at
        )
        if event.name in (endpoint.events or [])
    ]
    if not endpoints:
        return []
    payload = webhook_payload(event)
    # One query for the endpoints this event already reached (a relay that ran again).
    done = set(
        WebhookDelivery.objects.filter(event=event, endpoint__in=endpoints).values_list(
            "endpoint_id", flat=True
        )
    )
    for endpoint in endpoints:
        if endpoint.pk in done:
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint,
                    event=event,
                    event_type=event.name,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    payload=payload,
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:
            continue  # another relay of the same event created it
        created.append(delivery)
    return created


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered, failed or skipped message again, with the same ``webhook-id``
    (a new attempt; the retries start over)."""
    from .tasks import send_webhook

    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
        if not endpoint.is_active:
            raise ValidationError(ENDPOINT_INACTIVE)
        if delivery.status == WebhookDeliveryStatus.PENDING:
            raise ValidationError(DELIVERY_IN_PROGRESS)
        delivery.status = WebhookDeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
        # In the same transaction: on the database backend the task is stored with the
        # status, so a process that dies in between leaves no message pending for ever.
        send_webhook.enqueue(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


# What a send returns (and the database backend records as its result).
DELIVERED = "delivered"
ALREADY_DONE = "already_done"
IN_PROGRESS = "in_progress"
SKIPPED = "skipped"
FAILED = "failed"


def webhook_delivery_attempt(*, delivery_id: int) -> tuple[str, str]:
    """One attempt at a delivery: ``(outcome, error)``; must run inside a transaction, which
    holds the delivery's row lock while the request is made, so that a second worker skips it.

    Outcome :data:`FAILED` means this attempt failed (the caller decides whether to retry)."""
    delivery = (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return IN_PROGRESS, ""
    if delivery.status != WebhookDeliveryStatus.PENDING:
        return ALREADY_DONE, ""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status = WebhookDeliveryStatus.SKIPPED
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
        return SKIPPED, ""
    body = webhook_body(delivery.payload)
    headers = webhook_headers(
        secret=endpoint.secret, message_id=delivery.message_id, body=body, at=timezone.now()
    )
    delivery.attempts = F("attempts") + 1
    delivery.response_status_code = None
    delivery.response_excerpt = ""
    delivery.error = ""
    try:
        response = webhook_post(url=endpoint.url, body=body.encode("utf-8"), headers=headers)
    except httpx.TimeoutException:
        seconds = notifications_settings.WEBHOOK_TIMEOUT_SECONDS
        delivery.error = f"Timed out: no complete answer within {seconds} s."
    except (WebhookAddressRefused, httpx.HTTPError, OSError) as error:
        delivery.error = (str(error) or repr(error))[:ERROR_LENGTH]
    else:
        delivery.response_status_code = response.status_code
        delivery.response_excerpt = response.excerpt
        if 200 <= response.status_code < 300:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        else:
            delivery.error = f"HTTP {response.status_code}"
    delivery.save()
    if delivery.status == WebhookDeliveryStatus.DELIVERED:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return DELIVERED, ""
    return FAILED, delivery.error


def webhook_delivery_retry_scheduled(*, delivery_id: int, at: dt.datetime) -> None:
    """Record when the next attempt is due."""
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDeliveryStatus.PENDING).update(
        next_attempt_at=at, updated_at=timezone.now()
    )


def webhook_delivery_failed(*, delivery_id: int) -> bool:
    """Every attempt at the message failed: mark it, count it against its endpoint and disable
    the endpoint after ``WEBHOOK_DISABLE_AFTER_FAILURES`` in a row. True when it disabled it."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != WebhookDeliveryStatus.PENDING:
            return False
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        endpoint.consecutive_failures += 1
        limit = notifications_settings.WEBHOOK_DISABLE_AFTER_FAILURES
        disabled = endpoint.is_active and endpoint.consecutive_failures >= limit
        if disabled:
            endpoint.is_active = False
            endpoint.disabled_at = timezone.now()
            endpoint.disabled_reason = str(DISABLED_AFTER_FAILURES.format(count=limit))
        endpoint.save(
            update_fields=[
                "consecutive_failures",
                "is_active",
                "disabled_at",
                "disabled_reason",
                "updated_at",
            ]
        )
    return disabled
