"""The packages depend only downwards: psico-core ← psico-accounts ← psico-scheduling ←
psico-chat ← the site (``config``), as the repository's ``.importlinter`` contract says.

import-linter reads every import of the installed packages, inside functions too, so a lazy
import upwards breaks the contract as much as one at the top of a module.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

CONTRACT = Path(__file__).resolve().parents[2] / ".importlinter"


def run(config: Path) -> int:
    return lint_imports(config_filename=str(config), no_cache=True, no_logo=True)


def test_every_package_imports_only_from_the_layers_below():
    assert run(CONTRACT) == 0


def test_the_contract_sees_the_imports_between_the_packages(tmp_path, capsys):
    # The same packages with the layers upside down: every real import between two of them
    # now points upwards, so the check must fail. A contract that found no imports at all
    # (a package missing from the graph) would pass here too, and this test would catch it.
    text = CONTRACT.read_text()
    layers = ["config", "psico_chat", "psico_scheduling", "psico_accounts", "psico_core"]
    listed = "".join(f"    {name}\n" for name in layers)
    assert listed in text
    reversed_config = tmp_path / ".importlinter"
    reversed_config.write_text(
        text.replace(listed, "".join(f"    {name}\n" for name in reversed(layers)))
    )

    assert run(reversed_config) == 1
    output = capsys.readouterr().out
    for lower, upper in [
        ("psico_accounts", "psico_core"),
        ("psico_scheduling", "psico_accounts"),
        ("psico_chat", "psico_scheduling"),
        ("config", "psico_chat"),
    ]:
        assert f"{lower} is not allowed to import {upper}" in output
