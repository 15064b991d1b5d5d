"""What the stacks publish to each other through SSM parameters: every parameter a stack reads is
written by exactly one stack deployed before it, no name is written twice, and every name
carries the reading stack's own environment.

Reads: SSM dynamic references (`{{resolve:ssm:/ecommerce/${Environment}/...}}`) anywhere in a
template. Writes: AWS::SSM::Parameter resources. The one convention:
/ecommerce/<env>/<owner>/<what>, <env> being the stack's Environment parameter.
The deploy order is the Makefile's STACKS (what `make deploy-all` follows) and the root
template's DependsOn (what CloudFormation follows for the nested quick start).
"""

import re
from pathlib import Path

from tests.support.cfn import ROOT, load_template

STACKS = [
    "platform",
    "services/inventory",
    "services/payments",
    "services/orders",
    "services/notifications",
]
CONVENTION = re.compile(
    r"^/ecommerce/\$\{Environment\}/(platform|inventory|payments|orders|notifications)/[a-z0-9/-]+$"
)
# AWS's own public parameters (the FIS extension's layer ARN) are read, never written, here.
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:ssm:(?!/aws/service/)(.+?)\}\}")


def _template(stack: str) -> dict:
    return load_template(f"{stack}/template.yaml")


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def writes() -> dict[str, list[str]]:
    """SSM parameter name -> the stacks that write it."""
    found: dict[str, list[str]] = {}
    for stack in STACKS:
        for resource in _template(stack)["Resources"].values():
            if resource["Type"] == "AWS::SSM::Parameter":
                found.setdefault(resource["Properties"]["Name"]["Fn::Sub"], []).append(stack)
    return found


def reads(stack: str) -> set[str]:
    return {
        name
        for text in _strings(_template(stack)["Resources"])
        for name in DYNAMIC_REFERENCE.findall(text)
    }


def deploy_order_in_the_makefile() -> list[str]:
    [line] = [
        line
        for line in (ROOT / "Makefile").read_text().splitlines()
        if line.startswith("STACKS :=")
    ]
    return line.split(":=", 1)[1].split()


def test_every_name_follows_the_convention_and_is_written_by_one_stack():
    for name, writers in writes().items():
        assert CONVENTION.match(name), name
        assert len(writers) == 1, f"{name} written by {writers}"


def test_every_parameter_a_stack_reads_is_written_by_a_stack_deployed_before_it():
    written = writes()
    assert any(reads(stack) for stack in STACKS), "no SSM parameter read: is the wiring still SSM?"
    for position, stack in enumerate(STACKS):
        for name in sorted(reads(stack)):
            writers = written.get(name, ["NOBODY"])
            print(f"{stack:24} reads {name:62} written by {writers[0]}")
            assert CONVENTION.match(name), f"{stack} reads {name}: not its own environment's"
            assert writers[0] in STACKS[:position], f"{stack} reads {name}, written by {writers}"


def test_no_template_names_an_environment_it_might_not_be_deployed_in():
    for path in [Path("template.yaml"), *(Path(s, "template.yaml") for s in STACKS)]:
        text = (ROOT / path).read_text()
        assert not re.search(r"/ecommerce/(dev|prod)/|ecommerce-(dev|prod)-", text), path


def test_make_deploy_all_and_the_root_template_deploy_in_that_order():
    assert deploy_order_in_the_makefile() == STACKS
    root = load_template("template.yaml")["Resources"]
    app_of = {
        app["Properties"]["Location"].removesuffix("/template.yaml"): logical_id
        for logical_id, app in root.items()
    }
    for position, stack in enumerate(STACKS):
        depends_on = root[app_of[stack]].get("DependsOn", [])
        depends_on = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        needed = {app_of[s] for s in STACKS[:position] if _reads_from(stack, s)}
        assert needed <= depends_on, f"{stack} must wait for {needed - depends_on}"


def _reads_from(reader: str, writer: str) -> bool:
    written = writes()
    return any(written.get(name) == [writer] for name in reads(reader))
