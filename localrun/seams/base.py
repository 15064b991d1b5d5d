"""What every seam builds on: the pinned moto, where its private modules are, and `Patches`.

The module paths are moto's private layout at the pinned version (requirements-dev.txt);
tests/localrun/test_moto_seams.py checks each attribute a seam relies on, naming the file to
look at after a moto upgrade.
"""

from __future__ import annotations

import abc
import pkgutil
import types
from typing import Any

MOTO_VERSION = "5.2.5"

PARSER = "moto.stepfunctions.parser"
LAMBDA_EVAL_UTILS = f"{PARSER}.asl.component.state.exec.state_task.lambda_eval_utils"
RETRIER_DECL = f"{PARSER}.asl.component.common.retry.retrier_decl"
WAIT_FUNCTION = f"{PARSER}.asl.component.state.wait.wait_function.wait_function"
SERVICE_TASKS = f"{PARSER}.asl.component.state.exec.state_task.service"
JSON_PATH = f"{PARSER}.asl.utils.json_path"
RESULT_PATH = f"{PARSER}.asl.component.common.path.result_path"
ASL_PARSER = f"{PARSER}.asl.parse.asl_parser"
EVAL_COMPONENT = f"{PARSER}.asl.component.eval_component"
EXECUTION_WORKER = f"{PARSER}.backend.execution_worker"
DYNAMODB_RESPONSES = "moto.dynamodb.responses"
DYNAMODB_MODELS = "moto.dynamodb.models"
DYNAMO_TYPE = "moto.dynamodb.models.dynamo_type"
EVENTS_UTILS = "moto.events.utils"
BACKENDS = "moto.backends"
JSONPATH_EXT = "jsonpath_ng.ext"


def moto_module(dotted: str) -> types.ModuleType:
    """The module at `dotted` (imported now: moto imports its parts lazily)."""
    return __import__(dotted, fromlist=["_"])


def service_task_modules() -> list[types.ModuleType]:
    """moto's service-integration task modules (state_task_service_*.py)."""
    package = moto_module(SERVICE_TASKS)
    return [
        moto_module(f"{SERVICE_TASKS}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("state_task_service_")
    ]


class Patches:
    """The attributes replaced so far, in order, so that `restore()` puts each original back."""

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []

    def replace(self, owner: Any, name: str, replacement: Any) -> None:
        """Set `owner.name` (a module's or a class's own attribute) to `replacement`."""
        self._originals.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)

    def original(self, owner: Any, name: str) -> Any:
        """`owner.name` as it was before the first replacement (as it is, if never replaced)."""
        for patched_owner, patched_name, original in self._originals:
            if patched_owner is owner and patched_name == name:
                return original
        return owner.__dict__[name]

    def restore(self) -> None:
        for owner, name, original in reversed(self._originals):
            setattr(owner, name, original)
        self._originals.clear()


class Seam(abc.ABC):
    """One patch of moto's private attributes. Its docstring says what it patches, why, and the
    moto attribute it relies on; its test in test_moto_seams.py watches that attribute."""

    @abc.abstractmethod
    def install(self, patches: Patches) -> None:
        """Replace the attributes through `patches` (which restores them at uninstall)."""
