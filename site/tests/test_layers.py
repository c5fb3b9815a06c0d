"""The packages depend only downwards: psico-core ← psico-accounts ← psico-scheduling ←
psico-chat, psico-notifications and psico-records (side by side, none importing another) ←
the site (``config``), as the repository's ``.importlinter`` contract says.

import-linter reads every import of the installed packages, inside functions too, so a lazy
import upwards breaks the contract as much as one at the top of a module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parents[1]
CONTRACT = SITE.parent / ".importlinter"


def run(config: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` in its own process: it sets up logging for itself, which in this one
    would disable the loggers other tests read (uvicorn's among them)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SITE), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command as c; c()",
            "--config",
            str(config),
            "--no-cache",
        ],
        cwd=SITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_package_imports_only_from_the_layers_below():
    result = run(CONTRACT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_the_contract_sees_the_imports_between_the_packages(tmp_path):
    # The same packages with the layers upside down: every real import between two of them
    # now points upwards, so the check must fail. A contract that found no imports at all
    # (a package missing from the graph) would pass here too, and this test would catch it.
    text = CONTRACT.read_text()
    layers = [
        "config",
        "psico_chat | psico_notifications | psico_records",
        "psico_scheduling",
        "psico_accounts",
        "psico_core",
    ]
    listed = "".join(f"    {name}\n" for name in layers)
    assert listed in text
    reversed_config = tmp_path / ".importlinter"
    reversed_config.write_text(
        text.replace(listed, "".join(f"    {name}\n" for name in reversed(layers)))
    )

    result = run(reversed_config)
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout
    for lower, upper in [
        ("psico_accounts", "psico_core"),
        ("psico_scheduling", "psico_accounts"),
        ("psico_chat", "psico_scheduling"),
        ("psico_notifications", "psico_scheduling"),
        ("psico_records", "psico_scheduling"),
        ("config", "psico_chat"),
    ]:
        assert f"{lower} is not allowed to import {upper}" in output
