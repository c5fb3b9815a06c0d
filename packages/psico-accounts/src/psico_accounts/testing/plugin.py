"""pytest plugin (registered through the ``pytest11`` entry point): Psico account fixtures.

Models are imported inside the fixtures, so loading the plugin never touches Django
before pytest-django has configured it. The generic fixtures (``api_client_for``,
``private_redis``) come from psico_core's plugin.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl
def pytest_psico_api_token(user):
    """``api_client_for(user)`` signs in with a new device token of the user (when the project
    installs psico_accounts: the plugin is loaded by any suite of this environment)."""
    from django.apps import apps

    if not apps.is_installed("psico_accounts"):
        return None
    from .tokens import token_key_for

    return token_key_for(user)


@pytest.fixture
def patient(db):
    from .factories import PatientFactory

    return PatientFactory()


@pytest.fixture
def professional(db):
    from .factories import ProfessionalFactory

    return ProfessionalFactory()


@pytest.fixture
def clinic_admin(db):
    from .factories import AdminFactory

    return AdminFactory()


@pytest.fixture
def specialization(db):
    from .factories import SpecializationFactory

    return SpecializationFactory(name="Psicología clínica", slug="psicologia-clinica")
