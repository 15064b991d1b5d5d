"""Reading template files: YAML with CloudFormation short tags, and the tree of nested stacks.

A nested stack (`AWS::Serverless::Application` / `AWS::CloudFormation::Stack`) must name a local
file in `Location` (or `TemplateURL`); its parameters stay unevaluated expressions of its parent
until the resolver needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from localrun.template.model import TemplateError

NESTED_STACK_TYPES = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")
# Short tags whose long form is not `Fn::<tag>`.
_LONG_FORM = {"Ref": "Ref", "Condition": "Condition"}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags (!Ref, !Sub, ...) into their long form."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    else:
        raise TemplateError(f"!{tag_suffix}: unexpected YAML node {type(node).__name__}")
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {_LONG_FORM.get(tag_suffix, f"Fn::{tag_suffix}"): value}


_CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML (or JSON) template, short tags included."""
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.load(stream, Loader=_CfnLoader)
    except OSError as error:
        raise TemplateError(f"cannot read template {path}: {error.strerror}") from error
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return document


@dataclass
class Stack:
    name: str
    path: Path
    template: dict[str, Any]
    given_parameters: dict[str, Any]  # unevaluated expressions, evaluated in `parent`
    parent: Stack | None
    children: dict[str, Stack] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})

    @property
    def directory(self) -> Path:
        return self.path.parent

    def section(self, name: str) -> dict[str, Any]:
        """A top-level section (Parameters, Conditions, Outputs, ...); empty when absent."""
        return self.template.get(name, {})


def load_stack(path: Path, name: str, parameters: dict[str, Any], parent: Stack | None) -> Stack:
    """The template at `path` and, recursively, every nested stack it names."""
    stack = Stack(
        name=name,
        path=path,
        template=load_template(path),
        given_parameters=parameters,
        parent=parent,
    )
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") not in NESTED_STACK_TYPES:
            continue
        props = resource.get("Properties", {})
        location = props.get("Location", props.get("TemplateURL"))
        if not isinstance(location, str) or "://" in location:
            raise TemplateError(f"{path}: {logical_id} must have a local file Location")
        stack.children[logical_id] = load_stack(
            (stack.directory / location).resolve(),
            f"{name}-{logical_id}",
            dict(props.get("Parameters", {})),
            stack,
        )
    return stack
