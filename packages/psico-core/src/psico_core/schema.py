"""OpenAPI generation for the Psico apps: every operation documents the errors it can answer.

drf-spectacular documents what a view answers when all goes well. The error answers come from
DRF itself, out of the same view configuration: 400 from parsing the body and the query,
401 from the authentication classes, 403 from the permission classes, 404 from the path's ids
and the paginator's pages, 429 from the throttles. :class:`AutoSchema` reads that configuration
and adds those responses, with DRF's error bodies as two shared components, so that no view
lists them by hand and none forgets one. Responses a view declares itself win; one declared
without a body gets the shared body.

Any host can use it (the Psico apps' views are written for it)::

    REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "psico_core.schema.AutoSchema"}
"""

from __future__ import annotations

import copy

import uritemplate
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent, anchor_pattern, get_view_model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.schemas.utils import get_pk_description

from .converters import DatabaseIdConverter

# Permissions that only tell anonymous from signed-in users; any other one restricts by role
# or object, and is what a 403 answers.
_AUTHENTICATION_ONLY = (
    permissions.AllowAny,
    permissions.IsAuthenticated,
    permissions.IsAuthenticatedOrReadOnly,
)

ERROR_COMPONENT = "ErrorResponse"
VALIDATION_ERROR_COMPONENT = "ValidationErrorResponse"


def _error_schema() -> dict:
    return {
        "type": "object",
        "description": str(_("An error: one message about the request as a whole.")),
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "example": {"detail": "Not found."},
    }


def _validation_error_schema() -> dict:
    return {
        "type": "object",
        "description": str(
            _(
                "Invalid input: each key is an input field (`non_field_errors` for the input "
                "as a whole) with its messages; nested fields nest. A body that is not valid "
                "JSON gets `detail` instead."
            )
        ),
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "additionalProperties": {}},
                {"type": "string"},
            ]
        },
        "example": {"email": ["Enter a valid email address."]},
    }


# Stable identities for the two shared components (the registry keys components on them).
_COMPONENT_SCHEMAS = {
    ERROR_COMPONENT: _error_schema,
    VALIDATION_ERROR_COMPONENT: _validation_error_schema,
}


# An answer the view's configuration cannot show, because a service or a selector decides
# it: a business rule on an action without input (400), a role checked against the object
# (403), an id read from the query (404). A view lists the status code with this marker; the
# description is the derived one when there is one, else written here, once.
_DERIVED = "(derived by psico_core.schema.AutoSchema)"
SERVICE_REFUSAL = OpenApiResponse(description=_DERIVED)
_SERVICE_REFUSALS = {
    "400": _("A business rule refused the request: the message says which."),
    "403": _("Your role may not do this to this object."),
    "404": _("Not found, or not yours."),
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the 400/401/403/404/429 answers of each operation."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        errors = self._error_responses(operation)
        for status_code, refusal in _SERVICE_REFUSALS.items():
            response = responses.get(status_code)
            if response is None or response.get("description") != _DERIVED:
                continue
            response["description"] = ""
            derived = errors.get(status_code)
            if derived is None:
                component = VALIDATION_ERROR_COMPONENT if status_code == "400" else ERROR_COMPONENT
                errors[status_code] = (str(refusal), component)
            elif str(refusal) not in derived[0]:
                errors[status_code] = (f"{derived[0]} {refusal}", derived[1])
        for status_code, (description, component) in errors.items():
            response = responses.setdefault(status_code, {"description": description})
            if "content" not in response:
                response["content"] = {"application/json": {"schema": self._component(component)}}
            if not response.get("description"):
                response["description"] = description
            if status_code == "429":
                response.setdefault("headers", {}).setdefault("Retry-After", _retry_after())
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _resolve_path_parameters(self, variables):
        # drf-spectacular documents a custom converter as a string with its pattern; a
        # ``psico_id`` is the model's integer id, as ``int`` ids are documented.
        parameters = super()._resolve_path_parameters(variables)
        database_id = anchor_pattern(DatabaseIdConverter.regex)
        model = get_view_model(self.view, emit_warnings=False)
        for index, parameter in enumerate(parameters):
            if parameter["schema"].get("pattern") != database_id:
                continue
            integer = {**parameter, "schema": {"type": "integer"}}
            if model is not None and "description" not in parameter:
                # In drf-spectacular's order: the description comes after the schema.
                integer = {
                    key: value
                    for name, item in integer.items()
                    for key, value in (
                        [(name, item), ("description", get_pk_description(model, model._meta.pk))]
                        if name == "schema"
                        else [(name, item)]
                    )
                }
            parameters[index] = integer
        return parameters

    # -- which errors ---------------------------------------------------------------------

    def _error_responses(self, operation: dict) -> dict[str, tuple[str, str]]:
        errors: dict[str, list[str]] = {}

        def add(status_code: str, description) -> None:
            errors.setdefault(status_code, []).append(str(description))

        if self._takes_input(operation):
            add("400", _("Invalid input: the messages per field."))

        challenge_status = "401" if self._challenges() else "403"
        if self._credentials_required():
            add(challenge_status, _("Authentication credentials were not provided or are invalid."))
        elif self.view.get_authenticators():
            add(
                challenge_status,
                _("The credentials sent are invalid (send none to use this anonymously)."),
            )

        role_messages = self._role_messages()
        if role_messages:
            add("403", " ".join(role_messages))

        if uritemplate.variables(self.path):
            add("404", _("Not found, or not yours."))
        if self._paginated_by_page():
            add("404", _("No such page."))

        if self.view.get_throttles():
            add("429", _("Too many requests: retry after the seconds given in Retry-After."))

        return {
            status_code: (
                " ".join(descriptions),
                VALIDATION_ERROR_COMPONENT if status_code == "400" else ERROR_COMPONENT,
            )
            for status_code, descriptions in errors.items()
        }

    def _takes_input(self, operation: dict) -> bool:
        """A request body, or a query parameter other than the page (a bad page is a 404)."""
        if "requestBody" in operation:
            return True
        page_parameters = {parameter["name"] for parameter in self._get_pagination_parameters()}
        return any(
            parameter.get("in") == "query" and parameter.get("name") not in page_parameters
            for parameter in operation.get("parameters", [])
        )

    def _credentials_required(self) -> bool:
        # The same reading as drf-spectacular's security requirements (get_auth).
        permission_classes = [type(permission) for permission in self.view.get_permissions()]
        if permissions.AllowAny in permission_classes:
            return False
        if self.method in permissions.SAFE_METHODS:
            return permissions.IsAuthenticatedOrReadOnly not in permission_classes
        return True

    def _challenges(self) -> bool:
        """DRF answers missing credentials with 401 only when it can send WWW-Authenticate."""
        return bool(self.view.get_authenticate_header(self.view.request))

    def _role_messages(self) -> list[str]:
        messages: list[str] = []
        for permission in self.view.get_permissions():
            if isinstance(permission, _AUTHENTICATION_ONLY):
                continue
            message = str(
                getattr(permission, "message", None) or _("You may not perform this action.")
            )
            if message not in messages:
                messages.append(message)
        return messages

    def _paginated_by_page(self) -> bool:
        # Page-number and cursor paginators answer an unknown page or cursor with 404.
        if self.method != "GET" or not self._is_list_view():
            return False
        return isinstance(self._get_paginator(), (PageNumberPagination, CursorPagination))

    def _component(self, name: str) -> dict:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=_COMPONENT_SCHEMAS[name](),
            object=_COMPONENT_SCHEMAS[name],
        )
        self.registry.register_on_missing(component)
        return component.ref

    # -- choice fields read from the model ------------------------------------------------

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        return super()._map_serializer_field(
            _with_model_blank_and_null(field), direction, bypass_extensions
        )


def _retry_after() -> dict:
    return {
        "schema": {"type": "integer"},
        "description": str(_("Seconds to wait before the next attempt.")),
    }


def _with_model_blank_and_null(field):
    """A read-only choice field that admits what its model field admits.

    DRF's ModelSerializer drops ``allow_blank`` from read-only fields, so a model choice field
    with ``blank=True`` would be documented without the ``""`` it does send.
    """
    if not isinstance(field, serializers.ChoiceField) or not field.read_only:
        return field
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return field
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return field
    allow_blank = field.allow_blank or bool(model_field.blank and model_field.empty_strings_allowed)
    allow_null = field.allow_null or bool(model_field.null)
    if (allow_blank, allow_null) == (field.allow_blank, field.allow_null):
        return field
    widened = copy.copy(field)
    widened.allow_blank = allow_blank
    widened.allow_null = allow_null
    return widened
