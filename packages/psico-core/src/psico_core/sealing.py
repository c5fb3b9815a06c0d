"""Text sealed at rest: authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) of a model
field under keys from the host's settings, so that a dump of the database or a backup shows
tokens, never the text.

``PSICO_SEALING_KEYS`` is a list of Fernet keys (``Fernet.generate_key()``), newest first: the
newest seals, every one unseals, so a new key can be put in front while older rows still read.
``manage.py seal_rotate`` then re-seals every row under the newest key, after which the old
keys may be dropped.

Without keys a fixed DEVELOPMENT key is used, derived from a constant written in this file:
anyone can unseal what it sealed. It exists so that tests and ``DEBUG=1`` need no setup; the
system check ``psico_core.E002`` refuses it whenever ``DEBUG`` is false.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, IsNull

SETTING = "PSICO_SEALING_KEYS"

# Publicly known, hence worthless as a secret: development and tests only (see the docstring).
DEVELOPMENT_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"psico-development-sealing-key: NOT A SECRET, NEVER IN PRODUCTION").digest()
)


class SealingError(Exception):
    """A stored token that none of the configured keys opens (wrong keys, or tampered with)."""


def configured_keys() -> list[bytes]:
    """The host's keys, newest first, as bytes; empty when it configures none."""
    raw = getattr(settings, SETTING, None) or []
    if isinstance(raw, (str, bytes)):
        raw = [raw]
    return [key.encode() if isinstance(key, str) else key for key in raw if key]


def sealing_keys() -> list[bytes]:
    """The keys in use, newest first: the configured ones, else the development key."""
    return configured_keys() or [DEVELOPMENT_KEY]


def keys_error(keys: list[bytes]) -> str | None:
    """Why ``keys`` are unusable, or None."""
    for position, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return f"key {position + 1} is not a Fernet key (32 url-safe base64-encoded bytes)"
    return None


def _fernet() -> MultiFernet:
    keys = sealing_keys()
    problem = keys_error(keys)
    if problem:
        raise ImproperlyConfigured(f"{SETTING}: {problem}.")
    # Built per call: keys are read live, so override_settings and a changed setting just work.
    # Building one costs microseconds next to the HMAC and AES it serves.
    return MultiFernet([Fernet(key) for key in keys])


def seal(text: str) -> str:
    """``text`` sealed under the newest key: an ASCII Fernet token."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    """The text of ``token``, opened by whichever configured key sealed it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SealingError(
            f"A sealed value cannot be opened with any key of {SETTING}: a key is missing, "
            "or the stored value was altered."
        ) from exc


def is_sealed_under_newest_key(token: str) -> bool:
    """Whether the newest key alone opens ``token`` (nothing to rotate)."""
    try:
        Fernet(sealing_keys()[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


def reseal(token: str) -> str:
    """``token`` sealed again under the newest key (same text, new token)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise SealingError(f"A sealed value cannot be opened with any key of {SETTING}.") from exc


class SealedExact(Exact):
    """Only ``field=""`` (the empty text is stored as itself) can be compared in SQL: equal texts
    seal to different tokens, so any other comparison would silently match nothing."""

    def get_prep_lookup(self):
        if self.rhs != "" and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                "A sealed field cannot be compared in SQL; filter on other fields and compare "
                "the text in Python."
            )
        return super().get_prep_lookup()


class SealedTextField(models.TextField):
    """A text column that holds a Fernet token of the text, never the text.

    Reads unseal (``from_db_value``), writes seal (``get_prep_value``); the empty text is stored
    as itself so that a ``CheckConstraint`` against empty values keeps its meaning. Only
    ``isnull`` and ``exact`` against ``""`` work as lookups: searching by content must happen
    after decryption, in Python.
    """

    description = "Text sealed at rest (Fernet)"

    def get_lookup(self, lookup_name: str):
        if lookup_name == "exact":
            return SealedExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return unseal(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return seal(value)


def sealed_fields() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, field name) of the installed apps whose field is a :class:`SealedTextField`."""
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, SealedTextField):
                yield model, model_field.attname


@dataclass
class RotationBatch:
    """Progress of :func:`sealed_rows_rotate`, after each batch."""

    label: str
    last_pk: Any
    examined: int
    resealed: int
    total: int


def sealed_rows_rotate(
    *,
    batch_size: int = 500,
    on_batch: Callable[[RotationBatch], None] | None = None,
) -> dict[str, int]:
    """Re-seal every sealed value of every installed model under the newest key.

    Works in batches by primary key, each in its own transaction: a crash loses at most the
    batch at hand, and a new run picks up where it stopped, since a value already under the
    newest key is left as it is (resuming costs one HMAC check per row already done).
    ``on_batch`` is called after each committed batch (progress output). Returns the number of
    values re-sealed per ``app_label.Model.field``.
    """
    resealed: dict[str, int] = {}
    for model, name in sealed_fields():
        label = f"{model._meta.label}.{name}"
        manager = model._base_manager
        total = manager.count()
        examined = changed = 0
        last_pk = None
        while batch := _raw_rows(manager, name, batch_size, last_pk):
            with transaction.atomic():
                for pk, token in batch:
                    if token and not is_sealed_under_newest_key(token):
                        manager.filter(pk=pk).update(
                            **{name: models.Value(reseal(token), output_field=models.TextField())}
                        )
                        changed += 1
            examined += len(batch)
            last_pk = batch[-1][0]
            if on_batch is not None:
                on_batch(RotationBatch(label, last_pk, examined, changed, total))
        resealed[label] = changed
    return resealed


def _raw_rows(manager, name: str, batch_size: int, last_pk) -> list[tuple[Any, str | None]]:
    """The next ``batch_size`` (pk, value as stored) after ``last_pk``: cast to plain text, so
    the token itself, not the text the field would return."""
    rows = manager.order_by("pk")
    if last_pk is not None:
        rows = rows.filter(pk__gt=last_pk)
    return list(
        rows.annotate(_raw=Cast(name, models.TextField())).values_list("pk", "_raw")[:batch_size]
    )


def _rewrite_column(model, name: str, convert: Callable[[str], str | None], batch_size: int) -> int:
    manager = model._base_manager
    changed, last_pk = 0, None
    while batch := _raw_rows(manager, name, batch_size, last_pk):
        for pk, raw in batch:
            new = convert(raw) if raw else None
            if new is not None and new != raw:
                manager.filter(pk=pk).update(
                    **{name: models.Value(new, output_field=models.TextField())}
                )
                changed += 1
        last_pk = batch[-1][0]
    return changed


def _opens(token: str) -> bool:
    try:
        _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


def column_seal(model, name: str, *, batch_size: int = 500) -> int:
    """Seal the plain text stored in ``model.name`` (for a data migration that turns a text
    field into a :class:`SealedTextField`; ``model`` may be a historical model). Values that
    already open with a configured key are left alone, so running it twice changes nothing.
    Returns the number of values sealed."""
    return _rewrite_column(model, name, lambda raw: None if _opens(raw) else seal(raw), batch_size)


def column_unseal(model, name: str, *, batch_size: int = 500) -> int:
    """The reverse of :func:`column_seal`: store the plain text again (values that do not open
    are taken for plain text already and left alone)."""
    return _rewrite_column(
        model, name, lambda raw: unseal(raw) if _opens(raw) else None, batch_size
    )
