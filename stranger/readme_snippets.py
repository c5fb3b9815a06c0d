"""The snippets a package's README marks for a new project, read from its published metadata.

A README marks each snippet with an HTML comment on the line before its fence (invisible on
PyPI):

    <!-- stranger: install -->   a ```bash block of `pip install ...` lines
    <!-- stranger: settings -->  a ```python block added to the end of startproject's settings.py
    <!-- stranger: urls -->      a ```python block that is the whole urls.py
    <!-- stranger: asgi -->      a ```python block that is the whole asgi.py (optional)
    <!-- stranger: commands -->  a ```bash block of `python manage.py ...` lines

The text is the wheel's long description (its METADATA body): what an index shows a stranger,
not the file in this repository.
"""

from __future__ import annotations

import re
import zipfile
from email.parser import Parser
from pathlib import Path

REQUIRED = ("install", "settings", "urls", "commands")
KNOWN = (*REQUIRED, "asgi")

MARKED_BLOCK = re.compile(
    r"^<!-- stranger: (?P<kind>[a-z]+) -->[ \t]*\n```[a-z]*\n(?P<code>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def wheel_readme(wheel: Path) -> str:
    """The long description in a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    return metadata.get_payload()


def marked_snippets(readme: str) -> dict[str, str]:
    """Every marked snippet by kind; a kind marked twice, an unknown or a missing one fails."""
    snippets: dict[str, str] = {}
    for match in MARKED_BLOCK.finditer(readme):
        kind = match["kind"]
        if kind not in KNOWN:
            raise ValueError(f"unknown snippet kind {kind!r}")
        if kind in snippets:
            raise ValueError(f"snippet {kind!r} is marked twice")
        snippets[kind] = match["code"]
    missing = [kind for kind in REQUIRED if kind not in snippets]
    if missing:
        raise ValueError(f"the README marks no {', '.join(missing)} snippet")
    if readme.count("<!-- stranger:") != len(snippets):
        raise ValueError("a <!-- stranger: ... --> marker is not followed by a fenced block")
    return snippets
