"""What the stacks publish to each other through SSM parameters: every parameter a template
reads is written by exactly one template, and no name is written twice.

Reads: a parameter of type AWS::SSM::Parameter::Value<String> (its default names the SSM
parameter a stack deployed alone reads), and the names the root template hands its nested
stacks. Writes: AWS::SSM::Parameter resources. Names are compared with the environment as
`<env>`, the one convention: /ecommerce/<env>/<owner>/<what>.
"""

import re
from pathlib import Path

from tests.support.cfn import ROOT, load_template

TEMPLATES = [Path("template.yaml"), *sorted(Path("services").glob("*/template.yaml"))]
CONVENTION = re.compile(r"^/ecommerce/<env>/(platform|inventory|payments|orders|notifications)/")


def _normalised(name) -> str:
    text = name["Fn::Sub"] if isinstance(name, dict) else name
    return text.replace("${Environment}", "<env>").replace("/dev/", "/<env>/", 1)


def _writes() -> list[tuple[str, str]]:
    found = []
    for template in TEMPLATES:
        for resource in load_template(ROOT / template)["Resources"].values():
            if resource["Type"] == "AWS::SSM::Parameter":
                found.append((_normalised(resource["Properties"]["Name"]), str(template)))
    return found


def _reads() -> list[tuple[str, str]]:
    found = []
    for template in TEMPLATES:
        document = load_template(ROOT / template)
        for name, parameter in document.get("Parameters", {}).items():
            if parameter["Type"] == "AWS::SSM::Parameter::Value<String>":
                found.append((_normalised(parameter["Default"]), f"{template} {name}"))
        for resource in document["Resources"].values():
            if resource["Type"] != "AWS::Serverless::Application":
                continue
            for name, value in resource["Properties"].get("Parameters", {}).items():
                if isinstance(value, dict) and "Fn::Sub" in value:
                    found.append((_normalised(value), f"{template} -> {name}"))
    return found


def test_every_name_follows_the_convention_and_is_written_once():
    writes = _writes()
    names = [name for name, _ in writes]
    assert all(CONVENTION.match(name) for name in names), names
    assert sorted(set(names)) == sorted(names), "written by two templates"


def test_every_parameter_a_stack_reads_is_written_by_one():
    writers = dict(_writes())
    reads = _reads()
    for name, reader in sorted(reads):
        print(f"{name:60} read by {reader:50} written by {writers.get(name, 'NOBODY')}")
    assert reads, "no SSM parameter read: is the wiring still through SSM?"
    assert [(name, reader) for name, reader in reads if name not in writers] == []
