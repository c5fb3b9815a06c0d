"""Schemathesis hooks for the e2e fuzz runs (loaded through SCHEMATHESIS_HOOKS).

The only hook keeps a run's own identity alive. An admin may edit or delete any user, itself
included, and schemathesis learns the admin's id from ``GET /api/users/me/``; a run that deleted
or deactivated its own account would spend the rest of its cases on 401s and test nothing.
Erasing it (``POST /api/users/{id}/erase/``) would too. Likewise
``DELETE /api/auth/sessions/{id}/`` with the id of the run's own token (listed by
``GET /api/auth/sessions/``) would sign the run out. Every other user and device stays fair
game.
"""

from __future__ import annotations

import os

import schemathesis

SELF_ID = os.environ.get("PSICO_FUZZ_SELF_ID", "")
SELF_TOKEN_ID = os.environ.get("PSICO_FUZZ_SELF_TOKEN_ID", "")
CHANGES_A_USER = {"DELETE", "PUT", "PATCH"}


@schemathesis.hook
def filter_case(context, case) -> bool:
    path_id = str((case.path_parameters or {}).get("id"))
    if case.operation.path == "/api/auth/sessions/{id}/":
        return not SELF_TOKEN_ID or path_id != SELF_TOKEN_ID
    if case.operation.path == "/api/users/{id}/erase/":
        return not SELF_ID or path_id != SELF_ID
    if not SELF_ID or case.operation.path != "/api/users/{id}/":
        return True
    if case.method.upper() not in CHANGES_A_USER:
        return True
    return path_id != SELF_ID
