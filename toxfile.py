"""tox finds every Python that pyenv has installed, with no PYENV_VERSION set by hand.

tox-uv creates each environment with ``uv venv -p cpython3.12``, and uv looks for
``python3.12`` on PATH. With pyenv that is a shim, which only answers when PYENV_VERSION (or
``pyenv global``) lists a 3.12: otherwise the pair is "missing", skipped or failed. Before any
environment is created, this puts the ``bin`` folder of the newest installed patch release of
every CPython minor at the front of PATH, the version pyenv selects now first (so ``python3``
keeps its meaning). PATH, unlike PYENV_VERSION, reaches every process tox starts, the
provisioned tox of a plain ``pip install tox`` included.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tox.config.sets import ConfigSet
from tox.plugin import impl
from tox.session.state import State

RELEASE = re.compile(r"^3\.(\d+)\.(\d+)$")


def pyenv(*arguments: str) -> str:
    completed = subprocess.run(
        ["pyenv", *arguments], capture_output=True, text=True, check=False, timeout=30
    )
    return completed.stdout.strip() if completed.returncode == 0 else ""


def newest_of_each_minor(versions: list[str]) -> list[str]:
    newest: dict[int, tuple[int, str]] = {}
    for version in versions:
        if match := RELEASE.match(version):
            minor, patch = (int(part) for part in match.groups())
            if patch >= newest.get(minor, (-1, ""))[0]:
                newest[minor] = (patch, version)
    return [newest[minor][1] for minor in sorted(newest)]


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:  # noqa: ARG001
    if shutil.which("pyenv") is None:
        return
    root = pyenv("root")
    every = pyenv("versions", "--bare", "--skip-aliases").split()
    newest = newest_of_each_minor(every)
    if not root or not newest:
        return
    selected = [version for version in pyenv("version-name").split(":") if version in every]
    versions = selected + newest[::-1]
    folders = [str(Path(root, "versions", version, "bin")) for version in versions]
    path = os.environ.get("PATH", "").split(os.pathsep)
    missing = [folder for folder in dict.fromkeys(folders) if folder not in path]
    os.environ["PATH"] = os.pathsep.join(missing + path)
