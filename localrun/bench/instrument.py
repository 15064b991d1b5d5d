"""The interpreter's side of the bench: each execution's wall time and its calls elsewhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

from localrun.seams import EXECUTION_WORKER, PARSER, LocalLambdaClient, Patches, moto_module

PROGRAM = f"{PARSER}.asl.component.program.program"
EXECUTE_STATE = f"{PARSER}.asl.component.state.exec.execute_state"


@dataclass
class ExecutionTiming:
    """One execution, start to end, and every AWS call made for it (by service, ms each)."""

    name: str
    wall_ms: float = 0.0
    calls: dict[str, list[float]] = field(default_factory=dict)

    def call_ms(self, service: str | None = None) -> float:
        return sum(sum(ms) for name, ms in self.calls.items() if service in (None, name))

    def call_count(self, service: str | None = None) -> int:
        return sum(len(ms) for name, ms in self.calls.items() if service in (None, name))

    @property
    def interpreter_ms(self) -> float:
        return self.wall_ms - self.call_ms()


class Instrument:
    """Times every execution start to end (`ExecutionWorker._execution_logic`, in the thread
    that runs it) and every call it makes to another service: the Lambda Invokes the runner's
    seam hands to the local Lambda service, and the botocore calls of service integrations
    (events:putEvents, sqs:sendMessage). The rest is the interpreter's own work: state
    entry/exit, JSONPath, history events, threads.

    moto runs the program in a thread (`Program.eval`) and each Task in a thread of its own
    (`ExecutionState._evaluate_with_timeout`): the program thread is tagged with its execution
    from the Environment's context object, and Task threads inherit the tag."""

    def __init__(self) -> None:
        self.executions: dict[str, ExecutionTiming] = {}  # ended
        self._running: dict[str, ExecutionTiming] = {}
        self._tag = threading.local()  # .timing: the execution this thread works for
        self._ended = threading.Condition()
        self._patches = Patches()

    def __enter__(self) -> Instrument:
        for owner, name, wrap in (
            (moto_module(EXECUTION_WORKER).ExecutionWorker, "_execution_logic", self._timed),
            (moto_module(PROGRAM).Program, "_eval_body", self._tagged),
            (moto_module(EXECUTE_STATE), "Thread", self._inheriting_tag),
            (BaseClient, "_make_api_call", self._timed_call),
            (LocalLambdaClient, "invoke", self._timed_call),
        ):
            self._patches.replace(owner, name, wrap(owner.__dict__[name]))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._patches.restore()

    def wait(self, name: str, timeout: float = 60.0) -> ExecutionTiming:
        with self._ended:
            if not self._ended.wait_for(lambda: name in self.executions, timeout):
                raise TimeoutError(f"execution {name} did not end within {timeout:.0f} s")
            return self.executions[name]

    # -- the replacements ---------------------------------------------------

    def _timed(self, execution_logic: Callable[[Any], None]) -> Callable[[Any], None]:
        running = self._running

        def timed_execution_logic(worker: Any) -> None:
            timing = ExecutionTiming(worker._evaluation_details.execution_details.name)
            running[timing.name] = timing
            started = time.perf_counter()
            try:
                execution_logic(worker)
            finally:
                timing.wall_ms = (time.perf_counter() - started) * 1000
                with self._ended:
                    self.executions[timing.name] = running.pop(timing.name)
                    self._ended.notify_all()

        return timed_execution_logic

    def _tagged(self, eval_body: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        tag, running = self._tag, self._running

        def tagged_eval_body(program: Any, env: Any) -> None:
            execution = env.states.context_object.context_object_data["Execution"]
            tag.timing = running.get(execution["Name"])
            try:
                eval_body(program, env)
            finally:
                tag.timing = None

        return tagged_eval_body

    def _inheriting_tag(self, moto_thread: type[threading.Thread]) -> type[threading.Thread]:
        """execute_state's `Thread` (threading's): a Task's thread inherits its caller's tag."""
        tag = self._tag

        class TaskThread(threading.Thread):
            def __init__(self, *args: Any, **kwargs: Any):
                super().__init__(*args, **kwargs)
                self._timing = getattr(tag, "timing", None)

            def run(self) -> None:
                tag.timing = self._timing
                super().run()

        return TaskThread

    def _timed_call(self, call: Callable[..., Any]) -> Callable[..., Any]:
        tag = self._tag

        def timed(client: Any, *args: Any, **kwargs: Any) -> Any:
            timing = getattr(tag, "timing", None)
            if timing is None or getattr(tag, "in_call", False):  # count nested calls once
                return call(client, *args, **kwargs)
            started, tag.in_call = time.perf_counter(), True
            try:
                return call(client, *args, **kwargs)
            finally:
                tag.in_call = False
                service = client.meta.service_model.service_name
                timing.calls.setdefault(service, []).append((time.perf_counter() - started) * 1000)

        return timed
