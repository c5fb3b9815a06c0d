"""Views of the core's own test site: each shows one framework piece through HTTP."""

from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from psico_core.parsers import MultiPartParser
from psico_core.payloads import (
    DatabaseIdField,
    DatabaseIdRelatedField,
    InputModelSerializer,
    InputSerializer,
)
from psico_core.permissions import IsClinicAdmin
from psico_core.query import (
    OrderingFilter,
    QueryParametersSerializer,
    SearchFilter,
    StrictFilterSet,
)
from psico_core.schema import SERVICE_REFUSAL
from psico_core.throttling import RemoteAddressRateThrottle
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView


class PointSerializer(InputSerializer):
    x = serializers.IntegerField()


class BodySerializer(InputSerializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    price = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    exact = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, required=False
    )
    active = serializers.BooleanField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    colour = serializers.ChoiceField(choices=["red", "blue"], required=False)
    level = serializers.ChoiceField(choices=[1, 2], required=False)
    mixed = serializers.ChoiceField(choices=[0.5, 1.5], required=False)
    day = serializers.DateField(required=False)
    group = DatabaseIdRelatedField(queryset=Group.objects.all(), required=False)
    groups = DatabaseIdRelatedField(queryset=Group.objects.all(), many=True, required=False)
    owner = DatabaseIdField(required=False)
    point = PointSerializer(required=False)
    points = PointSerializer(many=True, required=False)
    anything = serializers.JSONField(required=False)


class BodyView(APIView):
    """Reads a body strictly and answers the names of the fields it read."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=BodySerializer, responses={200: None})
    def post(self, request):
        serializer = BodySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"read": sorted(serializer.validated_data)})


class GroupInputSerializer(InputModelSerializer):
    class Meta:
        model = Group
        fields = ["name"]


class ServiceView(APIView):
    """Refuses the way a service does, with Django's ValidationError in each of its shapes."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=GroupInputSerializer, responses={201: None, 400: SERVICE_REFUSAL})
    def post(self, request):
        serializer = GroupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data["name"]
        if name == "field":
            raise ValidationError({"name": ValidationError("Taken.", code="taken")})
        if name == "whole":
            raise ValidationError(
                {NON_FIELD_ERRORS: [ValidationError("Closed today.", code="closed")]}
            )
        if name == "both":
            raise ValidationError({"name": ["Taken."], NON_FIELD_ERRORS: ["Closed today."]})
        if name == "plain":
            raise ValidationError("Not now.", code="not_now")
        if name == "list":
            raise ValidationError(["One.", "Two."])
        raise NotFound()


class ActionView(APIView):
    """An action without input whose refusals come from a service alone."""

    permission_classes = [permissions.IsAuthenticated, IsClinicAdmin]

    @extend_schema(request=None, responses={204: None, 400: SERVICE_REFUSAL, 403: SERVICE_REFUSAL})
    def post(self, request):
        return Response(status=204)  # pragma: no cover - only documented


class QueryParameters(QueryParametersSerializer):
    day = serializers.DateField(required=False)
    limit = serializers.IntegerField(required=False)
    text = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


class QueryView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[QueryParameters], responses={200: None})
    def get(self, request):
        parameters = QueryParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        return Response({"read": sorted(parameters.validated_data)})


class FormView(APIView):
    permission_classes = [permissions.AllowAny]
    parser_classes = [MultiPartParser]

    @extend_schema(request=None, responses={200: None})
    def post(self, request):
        return Response({"fields": sorted(request.data)})


class GroupFilter(StrictFilterSet):
    id = filters.NumberFilter()
    name = filters.CharFilter()
    has_users = filters.BooleanFilter(field_name="user", lookup_expr="isnull", exclude=True)
    kind = filters.ChoiceFilter(choices=[("a", "A"), ("b", "B")], method="by_kind")
    ids = filters.MultipleChoiceFilter(field_name="id", choices=[(1, "1"), (2, "2")])

    def by_kind(self, queryset, name, value):
        return queryset


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Group.objects.order_by("id")
    serializer_class = GroupSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = GroupFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    lookup_value_converter = "psico_id"


class PingThrottle(RemoteAddressRateThrottle):
    scope = "ping"

    def default_rate(self):
        return "2/min"


class PingView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PingThrottle, RemoteAddressRateThrottle]

    @extend_schema(request=None, responses={200: None})
    def get(self, request):
        return Response({"pong": True})
