"""Admin forms checked by the service that saves them, without saving anything."""

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from psico_core.service_forms import check_through_service

pytestmark = pytest.mark.django_db


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name"]


def test_what_the_service_writes_is_rolled_back():
    check_through_service(GroupForm(), lambda: Group.objects.create(name="kept?"))
    assert not Group.objects.exists()


def test_a_refusal_stays_on_the_fields_the_form_shows():
    def refuse():
        raise ValidationError({"name": ["Taken."], "hidden": ["Closed."]})

    with pytest.raises(ValidationError) as refusal:
        check_through_service(GroupForm(), refuse)
    assert refusal.value.message_dict == {"name": ["Taken."], NON_FIELD_ERRORS: ["Closed."]}


def test_a_refusal_without_fields_and_a_permission_refusal_go_on_top():
    def refuse():
        raise ValidationError("Not now.")

    def forbid():
        raise PermissionDenied("Not yours.")

    with pytest.raises(ValidationError) as plain:
        check_through_service(GroupForm(), refuse)
    with pytest.raises(ValidationError) as forbidden:
        check_through_service(GroupForm(), forbid)
    assert plain.value.messages == ["Not now."]
    assert forbidden.value.messages == ["Not yours."]
