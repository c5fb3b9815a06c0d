"""ReadOnlyModelAdmin: a superuser may look, never add, change or delete."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from psico_core.admin import ReadOnlyModelAdmin


@pytest.mark.django_db
def test_a_read_only_admin_refuses_adding_changing_and_deleting_even_to_a_superuser(
    django_user_model,
):
    request = RequestFactory().get("/admin/auth/group/")
    request.user = django_user_model.objects.create_superuser("root", "root@psico.bo", "x")
    model_admin = ReadOnlyModelAdmin(Group, admin.site)
    group = Group.objects.create(name="Clínica")

    assert model_admin.has_view_permission(request, group)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, group)
    assert not model_admin.has_delete_permission(request, group)
