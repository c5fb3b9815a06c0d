"""The extension point of a user's export and erasure (the patient's rights).

Accounts knows only its own data; the apps built on it (appointments, chat) add theirs by
connecting receivers to these signals in their ``AppConfig.ready()``, since accounts cannot
import them:

- :data:`personal_data_export` is sent with ``user``; each receiver returns
  ``(section_name, json_data)`` and the export holds one section per receiver.
- :data:`user_erased` is sent with ``user`` inside the erasure's transaction, after the account
  is anonymised; a receiver removes or anonymises what its app keeps (e.g. the text of the
  user's chat messages). An exception rolls the whole erasure back.
"""

from __future__ import annotations

from typing import Any, cast

from django.dispatch import Signal

personal_data_export = Signal()
user_erased = Signal()


def export_sections(*, user) -> dict[str, Any]:
    """The sections other apps add to ``user``'s export, by name."""
    sections: dict[str, Any] = {}
    for _receiver, result in personal_data_export.send(sender=type(user), user=user):
        if result:
            name, data = cast("tuple[str, Any]", result)
            sections[name] = data
    return sections
