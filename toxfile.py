"""tox finds every Python that pyenv has installed, without PYENV_VERSION set by hand.

tox-uv creates each environment with ``uv venv -p 3.12``, and uv looks for ``python3.12`` on
PATH. With pyenv that is a shim, which only answers when PYENV_VERSION (or ``pyenv global``)
lists a 3.12: otherwise the env is "missing" and ``py312-*`` is skipped or fails. Before any
environment is created, this lists the newest installed patch release of every CPython minor
after the one pyenv already selects (which stays first, so ``python3`` keeps its meaning).
tox.ini passes PYENV_VERSION to ``uv venv``. A PYENV_VERSION the user set is left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from tox.config.sets import ConfigSet
from tox.plugin import impl
from tox.session.state import State

RELEASE = re.compile(r"^(3)\.(\d+)\.(\d+)$")


def pyenv(*arguments: str) -> list[str]:
    completed = subprocess.run(
        ["pyenv", *arguments], capture_output=True, text=True, check=False, timeout=30
    )
    return completed.stdout.split() if completed.returncode == 0 else []


def newest_of_each_minor(versions: list[str]) -> list[str]:
    newest: dict[tuple[int, int], tuple[int, str]] = {}
    for version in versions:
        if match := RELEASE.match(version):
            major, minor, patch = (int(part) for part in match.groups())
            if patch >= newest.get((major, minor), (-1, ""))[0]:
                newest[(major, minor)] = (patch, version)
    return [newest[key][1] for key in sorted(newest)]


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:  # noqa: ARG001
    if os.environ.get("PYENV_VERSION") or shutil.which("pyenv") is None:
        return
    selected = pyenv("version-name")
    installed = newest_of_each_minor(pyenv("versions", "--bare", "--skip-aliases"))
    versions = list(dict.fromkeys(selected[:1] + installed))
    if versions:
        os.environ["PYENV_VERSION"] = ":".join(versions)
