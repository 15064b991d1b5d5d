"""`LocalApp`: the whole application up on loopback -- moto, functions, event sources, API.

    with LocalApp().start(virtual_time=True) as app:
        ...  # POST {app.api_url}/orders, or app.client("stepfunctions").start_execution(...)
        execution = app.wait_for_execution(order_id)  # the execution is named after the order
        app.history(order_id), app.sleeps, app.sent_emails(), app.lambdas.inject(...)

Start order: moto and the resources, the fake Stripe (when a function pays through Stripe), the
Lambda service, the moto seams, the SQS pollers, the API; `stop()` undoes them in reverse, also
after a failed start, so no worker process, thread or moto patch outlives the app.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
import tomllib
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from localrun.api import ApiGateway
from localrun.authorizer import UserPoolAuthorizer
from localrun.emulator import FAKE_CREDENTIALS, AwsService, Emulator
from localrun.fake_stripe import LOCAL_SECRET_KEY, FakeStripe
from localrun.lambdas import LambdaService, LogSink, log_to_logging
from localrun.pollers import SqsPoller
from localrun.schedules import Schedule
from localrun.seams import MotoSeams, VirtualSleep
from localrun.signin import LOCAL_PASSWORD, sign_in
from localrun.template import (
    ACCOUNT_ID,
    DEFAULT_STACK_NAME,
    REGION,
    AppModel,
    Function,
    load_app,
)

LOG = logging.getLogger("localrun")
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"


def stack_name_from_samconfig(template: Path, config_env: str = "default") -> str:
    """The stack name `sam deploy` would use (samconfig.toml beside the template)."""
    samconfig = template.parent / "samconfig.toml"
    if samconfig.is_file():
        config = tomllib.loads(samconfig.read_text(encoding="utf-8")).get(config_env, {})
        for command in ("global", "deploy"):
            name = config.get(command, {}).get("parameters", {}).get("stack_name")
            if name:
                return name
    return DEFAULT_STACK_NAME


class LocalApp:
    """The application of `template` running locally. Not thread-safe to start/stop."""

    def __init__(
        self,
        template: Path | str = DEFAULT_TEMPLATE,
        *,
        stack_name: str | None = None,
        parameters: dict[str, str] | None = None,
        extra_ssm: dict[str, str] | None = None,
        max_environments: int = 10,
        log_sink: LogSink = log_to_logging,
        api_port: int = 0,
        lambda_port: int = 0,
        aws_port: int = 0,
        stripe_port: int = 0,
        xray_daemon_address: str | None = None,
        aws_call_log: Path | None = None,
    ):
        """`api_port`/`lambda_port`/`aws_port`/`stripe_port` 0 pick free ports (tests); `serve`
        fixes them.
        `xray_daemon_address` (host:port): functions trace, and send their segments there (UDP),
        as with `Tracing: Active` on AWS; by default tracing is off.
        `aws_call_log`: a file every function appends its AWS API calls to (JSON lines)."""
        self.template = Path(template).resolve()
        self.model: AppModel = load_app(
            self.template,
            stack_name=stack_name or stack_name_from_samconfig(self.template),
            parameters=parameters,
            extra_ssm=extra_ssm,
        )
        self._max_environments = max_environments
        self._log_sink = log_sink
        self._api_port, self._lambda_port, self._aws_port = api_port, lambda_port, aws_port
        self._stripe_port = stripe_port
        self._xray_daemon_address = xray_daemon_address
        self._aws_call_log = aws_call_log
        self._exit = contextlib.ExitStack()
        self._emulator: Emulator | None = None
        self._fake_stripe: FakeStripe | None = None
        self._lambdas: LambdaService | None = None
        self._seams: MotoSeams | None = None
        self.pollers: list[SqsPoller] = []
        self.schedules: list[Schedule] = []
        self.gateways: list[ApiGateway] = []

    # -- lifecycle ----------------------------------------------------------

    def start(self, virtual_time: bool = False) -> LocalApp:
        """Bring everything up. `virtual_time` skips Retry backoffs and Wait states (recorded)."""
        if self.started:
            raise RuntimeError("already started")
        for stack, where, kind in self.model.ignored:
            if kind.startswith("event:"):  # Schedule and SQS events are emulated
                LOG.warning(
                    "%s/%s: %s events are not emulated; it will not fire", stack, where, kind[6:]
                )
            elif kind == "target:sns":
                LOG.warning("%s/%s: SNS targets are not emulated; nothing is sent", stack, where)
        try:
            emulator = self._emulator = Emulator(self.model, port=self._aws_port)
            self._exit.callback(emulator.stop)
            emulator.start()
            emulator.create_resources()
            functions = self._start_fake_stripe(emulator)

            lambdas = self._lambdas = LambdaService(
                functions,
                aws_endpoint_url=emulator.url,
                max_environments=self._max_environments,
                log_sink=self._log_sink,
                xray_daemon_address=self._xray_daemon_address,
                aws_call_log=self._aws_call_log,
            )
            self._exit.callback(lambdas.stop)
            lambdas.start(port=self._lambda_port)

            seams = self._seams = MotoSeams(
                lambdas.endpoint_url, virtual_time=virtual_time, invoke=lambdas.invoke
            )
            self._exit.callback(seams.uninstall)
            seams.install()

            for function in self.model.functions:
                for source in function.sqs_event_sources:
                    queue = self.model.queue_by_arn(source.queue_arn)
                    poller = SqsPoller(
                        function,
                        source,
                        emulator.queue_url(queue.name),
                        lambda: emulator.client("sqs"),
                        lambdas,
                    )
                    self._exit.callback(poller.stop)
                    poller.start()
                    self.pollers.append(poller)

            for function in self.model.functions:
                for event in function.schedules:
                    schedule = Schedule(function, event, lambdas)
                    self._exit.callback(schedule.stop)
                    if not virtual_time:  # tests fire schedules themselves
                        schedule.start()
                    self.schedules.append(schedule)

            for api in self.model.apis:
                authorizers = {
                    name: UserPoolAuthorizer(authorizer, self.model, emulator.jwks_url)
                    for name, authorizer in api.authorizers.items()
                }
                gateway = ApiGateway(api, lambdas, authorizers=authorizers)
                self._exit.callback(gateway.stop)
                gateway.start(port=self._api_port)
                self.gateways.append(gateway)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self._exit.close()
        finally:
            self._emulator, self._lambdas, self._seams = None, None, None
            self._fake_stripe = None
            self.pollers, self.schedules, self.gateways = [], [], []

    def _start_fake_stripe(self, emulator: Emulator) -> list[Function]:
        """When a function pays through Stripe: the fake Stripe, the secret its key is read from
        (named by the template's StripeSecretName, holding a test key), and the functions with
        STRIPE_API_BASE pointing at the fake (the deployed template declares it blank)."""
        functions = self.model.functions
        paying = [f for f in functions if f.environment.get("PAYMENT_PROVIDER") == "stripe"]
        if not paying:
            return list(functions)
        fake = self._fake_stripe = FakeStripe()
        self._exit.callback(fake.stop)
        fake.start(port=self._stripe_port)
        secrets = emulator.client("secretsmanager")
        for name in sorted({f.environment["STRIPE_SECRET_NAME"] for f in paying}):
            secrets.create_secret(Name=name, SecretString=LOCAL_SECRET_KEY)
        return [
            dataclasses.replace(f, environment={**f.environment, "STRIPE_API_BASE": fake.url})
            if f in paying
            else f
            for f in functions
        ]

    def __enter__(self) -> LocalApp:
        if not self.started:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests and the CLI use -----------------------------------------

    @property
    def started(self) -> bool:
        return self._emulator is not None

    @property
    def emulator(self) -> Emulator:
        """moto, with the app's resources (RuntimeError until `start()`)."""
        return _running(self._emulator)

    @property
    def pays_through_stripe(self) -> bool:
        """Whether a fake Stripe runs (a function of the app pays through Stripe)."""
        return self._fake_stripe is not None

    @property
    def fake_stripe(self) -> FakeStripe:
        """The fake Stripe the payments functions call (RuntimeError when none runs)."""
        return _running(self._fake_stripe)

    @property
    def lambdas(self) -> LambdaService:
        """The local Lambda service (RuntimeError until `start()`)."""
        return _running(self._lambdas)

    @property
    def seams(self) -> MotoSeams:
        """The moto seams installed for this app (RuntimeError until `start()`)."""
        return _running(self._seams)

    @property
    def api_url(self) -> str:
        """Base URL of the (single) REST API stage, e.g. http://127.0.0.1:PORT/dev."""
        if len(self.gateways) != 1:
            raise RuntimeError(f"{len(self.gateways)} APIs; use .gateways")
        return self.gateways[0].url

    @property
    def state_machine_arn(self) -> str:
        return self.model.state_machine().arn

    @property
    def sleeps(self) -> list[VirtualSleep]:
        """Retry and Wait intervals skipped under virtual time, in order."""
        return list(self.seams.sleeps)

    def client(self, service: AwsService, **kwargs: Any) -> Any:
        """A boto3 client for the local app; "lambda" reaches the local Lambda service."""
        if service == "lambda":
            return boto3.client(
                "lambda",
                endpoint_url=self.lambdas.endpoint_url,
                region_name=REGION,
                **FAKE_CREDENTIALS,
                config=Config(retries={"max_attempts": 0}, read_timeout=900),
                **kwargs,
            )
        return self.emulator.client(service, **kwargs)

    def execution_arn(self, name: str, state_machine: str | None = None) -> str:
        machine = self.model.state_machine(state_machine)
        return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:{machine.name}:{name}"

    def wait_for_execution(
        self, name: str, *, timeout: float = 30.0, state_machine: str | None = None
    ) -> dict[str, Any]:
        """Wait until execution `name` (the orders API names it after the order) has ended.

        Returns DescribeExecution's answer with `input`/`output` parsed. Waits for the
        execution to exist first, since the API starts it after answering.
        """
        sfn = self.client("stepfunctions")
        arn = self.execution_arn(name, state_machine)
        deadline = time.monotonic() + timeout
        while True:
            try:
                execution = sfn.describe_execution(executionArn=arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                execution = {"status": "NOT_STARTED"}
            if execution["status"] not in ("RUNNING", "NOT_STARTED"):
                for key in ("input", "output"):
                    if key in execution:
                        execution[key] = json.loads(execution[key])
                return execution
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"execution {name} still {execution['status']} after {timeout:.0f} s"
                )
            time.sleep(0.02)

    def history(self, name: str, state_machine: str | None = None) -> list[dict[str, Any]]:
        """The execution's full history (AWS-shaped events, oldest first)."""
        sfn = self.client("stepfunctions")
        arn = self.execution_arn(name, state_machine)
        events, token = [], None
        while True:
            page = sfn.get_execution_history(
                executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {})
            )
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    def sign_in(self, email: str, password: str = LOCAL_PASSWORD) -> dict[str, Any]:
        """Sign a customer in to the app's user pool, creating their account (email verified)
        on first use: InitiateAuth's AuthenticationResult (IdToken, AccessToken, ...)."""
        pool = self.model.user_pool()
        [client] = self.model.clients_of(pool)
        return sign_in(self.client("cognito-idp"), pool.id, client.id, email, password)

    def sent_emails(self) -> list[dict[str, Any]]:
        """What the functions sent through SES (moto keeps it; nothing leaves the machine)."""
        return self.emulator.sent_emails()


def _running[T](component: T | None) -> T:
    if component is None:
        raise RuntimeError("LocalApp.start() first")
    return component
