"""What runs on AWS is what the tests run: every service builds its Powertools layer from
layers/powertools/requirements.txt, pinned to the releases requirements-dev.txt installs."""

import re
from pathlib import Path

import pytest

from tests.support.cfn import ROOT, load_template

SERVICE_TEMPLATES = sorted(Path(ROOT, "services").glob("*/template.yaml"))
LAYER_REQUIREMENTS = Path(ROOT, "layers", "powertools", "requirements.txt")


def _pins(path: Path) -> dict[str, str]:
    """package name (extras dropped, normalised) -> pinned version."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pins


def test_the_layer_pins_the_releases_the_tests_run():
    layer, tested = _pins(LAYER_REQUIREMENTS), _pins(Path(ROOT, "requirements-dev.txt"))
    assert {"aws-lambda-powertools", "pydantic", "boto3"} <= set(layer)
    assert {name: tested.get(name) for name in layer} == layer


@pytest.mark.parametrize("template", SERVICE_TEMPLATES, ids=lambda p: p.parent.name)
def test_every_function_runs_on_the_layer_its_stack_builds(template):
    document = load_template(template)
    layer = document["Resources"]["PowertoolsLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    content = (template.parent / layer["Properties"]["ContentUri"]).resolve()
    assert content == LAYER_REQUIREMENTS.parent.resolve()
    assert layer["Metadata"] == {"BuildMethod": "python3.12", "BuildArchitecture": "arm64"}
    # First the Powertools layer; FIS's extension follows only where fault injection is on.
    assert document["Globals"]["Function"]["Layers"][0] == {"Ref": "PowertoolsLayer"}
    assert document["Globals"]["Function"]["Architectures"] == ["arm64"]
    for logical_id, resource in document["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Layers" not in resource.get("Properties", {}), logical_id


def test_no_template_names_a_layer_by_account_or_partition():
    for template in [Path(ROOT, "template.yaml"), *SERVICE_TEMPLATES]:
        assert ":layer:" not in template.read_text(), template
