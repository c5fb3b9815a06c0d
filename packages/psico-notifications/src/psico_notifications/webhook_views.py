"""``/api/webhooks/``: webhook endpoints and their delivery log, for clinic administrators."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from psico_core.payloads import MAX_DATABASE_ID
from psico_core.permissions import IsClinicAdmin
from psico_core.query import StrictFilterSet
from psico_core.schema import SERVICE_REFUSAL
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import webhooks
from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from .webhook_serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

WEBHOOKS_TAG = "webhooks"


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints (clinic administrators)"),
    retrieve=extend_schema(summary="One webhook endpoint (clinic administrators)"),
    create=extend_schema(
        summary="Add a webhook endpoint (clinic administrators)",
        description=(
            "The answer carries the endpoint's signing secret (`whsec_…`, Standard Webhooks): "
            "it is never shown again; rotate it to get a new one."
        ),
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
    ),
    update=extend_schema(
        summary="Replace a webhook endpoint (clinic administrators)",
        request=WebhookEndpointInputSerializer,
        responses=WebhookEndpointSerializer,
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint (clinic administrators)",
        request=WebhookEndpointInputSerializer,
        responses=WebhookEndpointSerializer,
    ),
    destroy=extend_schema(
        summary="Remove a webhook endpoint and its delivery log (clinic administrators)"
    ),
)
@extend_schema(tags=[WEBHOOKS_TAG])
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """URLs that receive the appointment events they subscribe to, signed per the Standard
    Webhooks spec (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``)."""

    permission_classes = [IsAuthenticated, IsClinicAdmin]
    serializer_class = WebhookEndpointSerializer
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        return WebhookEndpoint.objects.order_by("id")

    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.webhook_endpoint_create(
            **serializer.validated_data, created_by=request.user
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = WebhookEndpointInputSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Give a webhook endpoint a new signing secret (clinic administrators)",
        description="The old secret stops working at once; the answer shows the new one, once.",
        request=None,
        responses=WebhookEndpointWithSecretSerializer,
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = webhooks.webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class WebhookDeliveryFilter(StrictFilterSet):
    endpoint = django_filters.NumberFilter(
        field_name="endpoint_id",
        label=_("Endpoint id"),
        min_value=1,
        max_value=MAX_DATABASE_ID,
        decimal_places=0,
    )
    status = django_filters.ChoiceFilter(choices=WebhookDeliveryStatus.choices, label=_("Status"))

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status"]


@extend_schema_view(
    list=extend_schema(summary="The webhook delivery log (clinic administrators)"),
    retrieve=extend_schema(summary="One webhook delivery (clinic administrators)"),
)
@extend_schema(tags=[WEBHOOKS_TAG])
class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Each message to each endpoint, newest first, with its attempts and the endpoint's last
    answer."""

    permission_classes = [IsAuthenticated, IsClinicAdmin]
    serializer_class = WebhookDeliverySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = WebhookDeliveryFilter
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        return WebhookDelivery.objects.order_by("-id")

    @extend_schema(
        summary="Send a webhook message again (clinic administrators)",
        description=(
            "A delivered, failed or skipped message is sent again with the same `webhook-id` "
            "(202: a task sends it); 400 while it is still being delivered or when its "
            "endpoint is inactive."
        ),
        request=None,
        responses={202: WebhookDeliverySerializer, 400: SERVICE_REFUSAL},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = webhooks.webhook_delivery_redeliver(delivery=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
