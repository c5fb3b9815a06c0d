"""Querysets compiled to SQL once per process, then only executed with new parameters.

Django compiles a queryset to SQL every time it is evaluated. For a small query with joins
(``select_related``) that costs the process several times what the database spends answering
it. A query that runs on every request with only its parameters changing (the token of an
authenticated API request) can keep its SQL and the way its rows become instances, and only
execute it::

    TOKEN_WITH_USER = PrecompiledQuery(
        lambda key: Token.objects.select_related("user").filter(key=key), "sample-key"
    )
    tokens = TOKEN_WITH_USER("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b")

The instances are those the queryset would give, built by Django's own iterable from the rows
(related objects, fetch modes and all); only the compilation is skipped. The query is executed
through the connection's cursor as any other (counted by ``CaptureQueriesContext``,
``assertNumQueries`` and the debug log).

What the queryset may be: a model queryset (no ``values()``), without ``prefetch_related``,
``extra()`` or annotations, read from the database the routers name for reading its model.
Each sample argument must reach the SQL as one parameter, unchanged, as an exact lookup of a
text or integer field passes it; the arguments of each call take their places as given, so they
must be of the type the column takes. A queryset that breaks these rules is refused with
``ImproperlyConfigured`` the first time it is used.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

__all__ = ["PrecompiledQuery"]

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet[Any]
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    positions: tuple[int, ...]


class PrecompiledQuery(Generic[_M]):
    """``build(*samples)`` compiled once per database; calling it runs the query with new
    arguments and returns the list of instances."""

    def __init__(self, build: Callable[..., QuerySet[_M]], *samples: Any) -> None:
        self._build = build
        self._samples = samples
        self._compiled: dict[str, _Compiled] = {}
        self._model: type[Model] | None = None

    def __call__(self, *arguments: Any) -> list[_M]:
        if len(arguments) != len(self._samples):
            raise TypeError(f"expected {len(self._samples)} arguments, got {len(arguments)}")
        queryset = None
        model = self._model
        if model is None:
            queryset = self._build(*self._samples)
            model = self._model = queryset.model
        alias = router.db_for_read(model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            # Two threads may both compile on first use: the results are equal, either is kept.
            if queryset is None:
                queryset = self._build(*self._samples)
            compiled = self._compile(queryset, alias)
            self._compiled[alias] = compiled
        params = list(compiled.params)
        for position, argument in zip(compiled.positions, arguments, strict=True):
            params[position] = argument
        sql = compiled.sql

        # A copy of the compiled compiler (what as_sql() set up: the selected columns and how
        # they map to models) on this thread's connection, answering this call's SQL, behind a
        # copy of the queryset that hands it out: Django's iterable then executes it and builds
        # the instances as for any queryset.
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connections[alias]
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        query = copy.copy(compiled.queryset.query)
        query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return list(QuerySet(model=compiled.queryset.model, query=query, using=alias))

    def _compile(self, queryset: QuerySet[_M], alias: str) -> _Compiled:
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups  # type: ignore[attr-defined]
            or queryset._known_related_objects  # type: ignore[attr-defined]
            or queryset.query.annotation_select
            or queryset.query.extra_select
        ):
            raise ImproperlyConfigured(
                "PrecompiledQuery takes a model queryset without values(), prefetch_related(), "
                "annotations or extra()."
            )
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        positions = []
        for sample in self._samples:
            found = [
                index
                for index, param in enumerate(params)
                if type(param) is type(sample) and param == sample
            ]
            if len(found) != 1:
                raise ImproperlyConfigured(
                    f"The sample argument {sample!r} must appear exactly once, unchanged, among "
                    f"the query's parameters {params!r}."
                )
            positions.append(found[0])
        return _Compiled(
            queryset=queryset,
            compiler=compiler,
            sql=sql,
            params=tuple(params),
            positions=tuple(positions),
        )
