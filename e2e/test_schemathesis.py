"""Schemathesis against the committed schema (site/openapi.yaml) and the live server.

One run per identity (anonymous, then a patient, a professional and an admin), over every
operation, with schemathesis' default checks (all of them) and a bounded number of examples per
operation. What e2e/schemathesis.toml tunes is written down there with its reason.

The ``fuzz_*`` accounts belong to these runs (seed.py gives them ids far from the small ones the
fuzzer draws, so an admin run does not deactivate itself by chance); half of the generated path
ids are taken from the objects those accounts own, so object routes are reached, not only
answered with 404.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.fuzz

IDENTITIES = ["anonymous", "fuzz_patient", "fuzz_professional", "fuzz_admin"]
MAX_EXAMPLES = int(os.environ.get("PSICO_FUZZ_MAX_EXAMPLES", "20"))
SEED = os.environ.get("PSICO_FUZZ_SEED", "20241126")
RUN_BUDGET_SECONDS = 900

# Logging out (here, or everywhere) revokes the token the rest of the run authenticates with.
# Both are fuzzed in the anonymous run, and their success paths are covered by the access
# matrix and the generated client. Deleting the run's own device is left out by the hooks.
REVOKES_OWN_TOKEN = "^/api/auth/logout(-all)?/$"


def run_config(base: Path, known_ids: list[int]) -> str:
    """The committed configuration plus this run's dictionary of existing object ids."""
    values = ", ".join(str(int(value)) for value in sorted(set(known_ids)))
    return (
        base.read_text()
        + "\n# ---- Generated for this run: ids of objects the identity may reach ----\n"
        + f"[dictionaries]\nknown-ids = {{ values = [{values}] }}\n\n"
        + "[parameters]\n"
        + '"path.id" = { dictionary = "known-ids", probability = 0.5 }\n'
        + '"path.appointment_id" = { dictionary = "known-ids", probability = 0.5 }\n'
    )


def summarize(ndjson: Path) -> dict:
    """Operations, cases, responses by status class and failed checks, from the event stream."""
    operations: set[str] = set()
    cases = 0
    statuses: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for line in ndjson.read_text().splitlines():
        event = json.loads(line)
        payload = event.get("ScenarioFinished")
        if not payload or payload.get("status") == "skip":
            continue
        recorder = payload.get("recorder", {})
        label = recorder.get("label", "")
        if label.split(" ", 1)[0] in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            operations.add(label)
        cases += len(recorder.get("cases", {}))
        for interaction in recorder.get("interactions", {}).values():
            response = interaction.get("response") or {}
            if "status_code" in response:
                statuses[f"{response['status_code'] // 100}xx"] += 1
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check.get("status") == "failure":
                    failures[check.get("name", "?")] += 1
    return {
        "operations": len(operations),
        "cases": cases,
        "responses": dict(sorted(statuses.items())),
        "failed_checks": dict(failures),
    }


@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_server_errors_schema_violations_or_accepted_bad_input(
    live_server, artifacts_dir, e2e_dir, schema_path, identity
):
    report_dir = artifacts_dir / "schemathesis" / identity
    report_dir.mkdir(parents=True, exist_ok=True)
    config = report_dir / "schemathesis.toml"
    config.write_text(run_config(e2e_dir / "schemathesis.toml", live_server.ids["fuzz_known"]))
    ndjson = report_dir / "events.ndjson"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "--no-color",
        "run",
        str(schema_path),
        "--url",
        live_server.base_url,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        SEED,
        "--workers",
        "2",
        "--report",
        "junit,ndjson",
        "--report-junit-path",
        str(report_dir / "junit.xml"),
        "--report-ndjson-path",
        str(ndjson),
    ]
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(e2e_dir / "schemathesis_hooks.py"))
    if identity != "anonymous":
        account = live_server.accounts[identity]
        command += ["--header", f"Authorization: Token {account.token}"]
        command += ["--exclude-path-regex", REVOKES_OWN_TOKEN]
        env["PSICO_FUZZ_SELF_ID"] = str(account.id)
        env["PSICO_FUZZ_SELF_TOKEN_ID"] = str(account.token_id)
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_BUDGET_SECONDS,
        check=False,
        env=env,
        # Schemathesis keeps its example database in the working directory: keep it with the
        # artifacts, out of the repository.
        cwd=report_dir.parent,
    )
    (report_dir / "output.txt").write_text(result.stdout + result.stderr)
    summary = summarize(ndjson) if ndjson.exists() else {}
    (report_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"schemathesis as {identity}: {json.dumps(summary)}")

    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-3000:]
    assert summary["operations"] >= 30, summary
    assert summary["responses"].get("5xx", 0) == 0, summary
