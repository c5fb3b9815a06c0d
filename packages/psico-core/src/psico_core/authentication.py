"""DRF's token authentication with the token's query compiled once per process.

Every request authenticated by ``Authorization: Token <key>`` reads the token and its user.
DRF builds that query anew each time, and compiling it costs the process more than the
database spends answering it: :class:`TokenAuthentication` runs the same query, for the same
answers and refusals, from SQL compiled once (:mod:`psico_core.precompiled`). A host names it
in ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` instead of DRF's class; the OpenAPI
schema documents it as DRF's (``tokenAuth``), which it is a subclass of.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from rest_framework import authentication

from .precompiled import PrecompiledQuery

__all__ = ["TokenAuthentication"]

# Stands for the key while the query is compiled; never sent to the database.
_SAMPLE_KEY = "psico-core-sample-token-key"

_queries: dict[tuple[type[Model], tuple[str, ...]], PrecompiledQuery[Any]] = {}


def _token_query(model: type[Model], select_related: tuple[str, ...]) -> PrecompiledQuery[Any]:
    query = _queries.get((model, select_related))
    if query is None:
        query = PrecompiledQuery(
            lambda key: model.objects.select_related(*select_related).filter(key=key),  # type: ignore[attr-defined]
            _SAMPLE_KEY,
        )
        _queries[model, select_related] = query
    return query


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication``: the same header, answers and refusals, one compiled query.

    ``select_related`` names what the token's query joins; DRF joins the user, and a subclass
    may join more through it (e.g. ``"user__profile"``) so that views read it without a query
    of their own. The token model (DRF's ``Token`` or the class's ``model``) must have a text
    ``key`` and a ``user``, as DRF requires.
    """

    select_related: ClassVar[tuple[str, ...]] = ("user",)

    def authenticate_credentials(self, key):
        if isinstance(key, str):
            tokens = _token_query(self.get_model(), self.select_related)(key)
            if tokens and tokens[0].user.is_active:
                return tokens[0].user, tokens[0]
        # DRF's own refusal, with its message; it reads the token again, but only then.
        return super().authenticate_credentials(key)
