"""Hooks of psico_core's pytest plugin, which the plugins of other apps implement."""

from __future__ import annotations

import pytest


@pytest.hookspec(firstresult=True)
def pytest_psico_api_token(user):
    """The key of a new API token of ``user``, for ``api_client_for``; None: not mine.

    The app that owns the project's API tokens implements it (psico_accounts does, for its
    device tokens); without one, DRF's authtoken ``Token`` of the user is used.
    """
