"""`MotoSeams`: the fidelity seams, then the speed seams, installed together, undone together."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from localrun.seams.base import Patches, Seam
from localrun.seams.faults import IntegrationFault, IntegrationFaults
from localrun.seams.fidelity import (
    EventEnvelopeWithAccount,
    IntegrationFaultsAnswered,
    LambdaTasksRunLocally,
    OneDynamoDBRequestAtATime,
    VirtualSleep,
    VirtualTime,
)
from localrun.seams.lambda_client import Invoke, lambda_client_for
from localrun.seams.speed import (
    ItemLevelTransactionRollback,
    JsonPathParseCache,
    MotoModulesListedOnce,
    ParsedProgramCache,
    SharedIntegrationClients,
)


class MotoSeams:
    """Install/uninstall the patches; one instance active per process (moto is global)."""

    _active: ClassVar[MotoSeams | None] = None
    _active_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        lambda_endpoint_url: str,
        *,
        virtual_time: bool,
        invoke: Invoke | None = None,
    ):
        """`invoke(function, payload)`: the local Lambda service's own, for in-process Invoke;
        without it every Lambda task goes over the Invoke API at `lambda_endpoint_url`."""
        self.lambda_endpoint_url = lambda_endpoint_url
        self.virtual_time = virtual_time
        self.sleeps: list[VirtualSleep] = []
        self._sleeps_lock = threading.Lock()
        self._faults = IntegrationFaults()
        self._patches = Patches()
        self.program_cache = ParsedProgramCache()
        self.fidelity: list[Seam] = [
            LambdaTasksRunLocally(lambda_client_for(lambda_endpoint_url, invoke)),
            *([VirtualTime(self._record)] if virtual_time else []),
            EventEnvelopeWithAccount(),
            IntegrationFaultsAnswered(self._faults),
            OneDynamoDBRequestAtATime(),
        ]
        self.speed: list[Seam] = [
            self.program_cache,
            SharedIntegrationClients(),  # after IntegrationFaultsAnswered: it wraps its clients
            JsonPathParseCache(),
            MotoModulesListedOnce(),
            ItemLevelTransactionRollback(),
        ]

    # -- faults -------------------------------------------------------------

    def inject(
        self, integration: str, fault: IntegrationFault, times: int = 1, *, after: int = 0
    ) -> None:
        """Let the next `after` calls of a service integration, named as in an ASL resource
        (`events:putEvents`, `sqs:sendMessage`), through, then end `times` calls with `fault`
        instead of reaching moto.

        Test-only, like `LambdaService.inject`: drives the Retry/Catch of integration tasks.
        """
        self._faults.inject(integration, fault, times, after=after)

    def clear_faults(self) -> None:
        self._faults.clear()

    # -- install ------------------------------------------------------------

    @property
    def seams(self) -> list[Seam]:
        return [*self.fidelity, *self.speed]

    def install(self) -> None:
        with MotoSeams._active_lock:
            if MotoSeams._active is not None:
                raise RuntimeError("another local app already patched moto in this process")
            MotoSeams._active = self
        for seam in self.seams:
            seam.install(self._patches)

    def uninstall(self) -> None:
        self._patches.restore()
        with MotoSeams._active_lock:
            if MotoSeams._active is self:
                MotoSeams._active = None

    @classmethod
    def unpatched(cls, owner: Any, name: str) -> Any:
        """`owner.name` as moto defines it, even while a running app has patched it."""
        with cls._active_lock:
            active = cls._active
        return active._patches.original(owner, name) if active else owner.__dict__[name]

    # -- behaviour ----------------------------------------------------------

    def _record(self, sleep: VirtualSleep) -> None:
        with self._sleeps_lock:
            self.sleeps.append(sleep)
