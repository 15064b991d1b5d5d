"""Each stack deploys from its own folder with its own samconfig.toml: dev ([default]) and prod,
each naming that stack only and its own environment, so no `sam deploy` can push one template
onto another stack or point a stack at another environment's parameters."""

import re
import tomllib

import pytest

from tests.support.cfn import ROOT
from tests.template.test_ssm_wiring import STACKS

ENVIRONMENTS = {"default": "dev", "prod": "prod"}


def samconfig(folder: str) -> dict:
    return tomllib.loads((ROOT / folder / "samconfig.toml").read_text())


@pytest.mark.parametrize("folder", STACKS)
@pytest.mark.parametrize("section", ENVIRONMENTS)
def test_each_stack_deploys_itself_in_the_environment_its_section_names(folder, section):
    env = ENVIRONMENTS[section]
    config = samconfig(folder)[section]
    name = folder.removeprefix("services/")
    assert config["global"]["parameters"]["stack_name"] == f"checkout-{env}-{name}"
    deploy = config["deploy"]["parameters"]
    assert deploy["s3_prefix"] == f"checkout-{env}-{name}"
    overrides = dict(item.split("=", 1) for item in deploy["parameter_overrides"].split())
    assert overrides["Environment"] == env
    other = ({"dev", "prod"} - {env}).pop()
    assert not re.search(rf"\b{other}\b", str(config)), f"{folder} [{section}] names {other}"
    # No build_dir: sam builds into .aws-sam/ of the folder it runs in, the stack's own.
    assert "build_dir" not in config.get("build", {}).get("parameters", {})


def test_the_root_quick_start_is_its_own_stack_in_each_environment():
    names = {
        section: samconfig(".")[section]["global"]["parameters"]["stack_name"]
        for section in ENVIRONMENTS
    }
    per_stack = {
        samconfig(folder)[section]["global"]["parameters"]["stack_name"]
        for folder in STACKS
        for section in ENVIRONMENTS
    }
    assert names == {"default": "checkout-dev", "prod": "checkout-prod"}
    assert not set(names.values()) & per_stack
