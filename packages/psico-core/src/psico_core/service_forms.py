"""Admin forms checked by the services that save them.

Django's admin does not catch a ``ValidationError`` raised in ``ModelAdmin.save_model``: it
would be a 500. So a form's ``clean()`` runs the very service call that ``save_model`` will
make, inside a transaction that is then rolled back; the service's refusals become form
errors, and nothing is saved around the rules.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction


class _DryRun(Exception):
    """Raised inside the check to roll back what the service wrote."""


def check_through_service(form: forms.BaseForm, write: Callable[[], object]) -> None:
    """Runs ``write`` (a service call) and rolls it back; raises its refusal for the form.

    Errors on fields the form shows stay on those fields; the others (and a
    ``PermissionDenied``) go on top of the form.
    """
    try:
        with transaction.atomic():
            write()
            raise _DryRun
    except _DryRun:
        return
    except PermissionDenied as refusal:
        raise ValidationError(str(refusal)) from None
    except ValidationError as refusal:
        if not hasattr(refusal, "error_dict"):
            raise
        shown: dict[str, list] = {}
        for field, errors in refusal.error_dict.items():
            key = field if field in form.fields else NON_FIELD_ERRORS
            shown.setdefault(key, []).extend(errors)
        raise ValidationError(shown) from None
