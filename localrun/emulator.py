"""moto in server mode on loopback, with the application's resources created in it.

Server mode (rather than in-process `mock_aws`) because the handlers run in other processes and
reach AWS over HTTP through AWS_ENDPOINT_URL, exactly as deployed code reaches AWS. moto's state
is global to this process: one `Emulator` at a time, and `stop()` resets it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request

import boto3
from botocore.config import Config
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from localrun.template import ACCOUNT_ID, REGION, AppModel

LOG = logging.getLogger("localrun.emulator")
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# Environment variables whose value is a sender address to verify in SES (the mail "from").
SENDER_EMAIL_SUFFIX = "SENDER_EMAIL"


class EmulatorError(Exception):
    """The model asks for something the emulator cannot reproduce faithfully."""


class Emulator:
    """Start moto, switch on real Step Functions execution, create the model's resources."""

    _running: Emulator | None = None  # moto's backends are per process: one emulator at a time
    _running_lock = threading.Lock()

    def __init__(self, model: AppModel):
        self.model = model
        self._server: ThreadedMotoServer | None = None
        self._previous_moto_port: str | None = None
        self._previous_sfn_config: dict | None = None
        self.url = ""

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> str:
        with Emulator._running_lock:
            if Emulator._running is not None:
                raise RuntimeError(
                    "another LocalApp/Emulator is running in this process and moto's state is "
                    "per process: stop it first (in pytest, scope app fixtures to a module, "
                    "not the session)"
                )
            Emulator._running = self
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level == logging.NOTSET:
            werkzeug_log.setLevel(logging.WARNING)  # moto's per-request access log is noise here
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto's Step Functions interpreter calls the other services (events, sqs, ...) at
        # http://localhost:$MOTO_PORT, read at call time.
        self._previous_moto_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(port)
        self._previous_sfn_config = dict(default_user_config["stepfunctions"])
        self._moto_api("/moto-api/reset")
        self._moto_api("/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
        return self.url

    def stop(self) -> None:
        with Emulator._running_lock:
            if Emulator._running is self:
                Emulator._running = None
        if self._server is None:
            return
        try:
            self._moto_api("/moto-api/reset")  # moto's backends outlive the server otherwise
        finally:
            self._server.stop()
            self._server = None
            if self._previous_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._previous_moto_port
            if self._previous_sfn_config is not None:
                default_user_config["stepfunctions"] = self._previous_sfn_config

    def _moto_api(self, path: str, body: dict | None = None) -> bytes:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def data(self) -> dict:
        """moto's internal view (`GET /moto-api/data.json`), e.g. ["ses"]["Message"] for mail."""
        with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=10) as response:
            return json.loads(response.read())

    def client(self, service: str, **kwargs):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            **FAKE_CREDENTIALS,
            config=Config(retries={"max_attempts": 1}),
            **kwargs,
        )

    # -- resources ----------------------------------------------------------

    def create_resources(self) -> None:
        """Create everything in the model, dependencies first (DLQs before their redrive)."""
        self._create_parameters()
        self._create_tables()
        self._create_queues()
        self._create_event_buses_and_rules()
        self._verify_senders()
        self._create_state_machines()

    def _create_parameters(self) -> None:
        ssm = self.client("ssm")
        for parameter in self.model.ssm_parameters:
            ssm.put_parameter(
                Name=parameter.name, Value=parameter.value, Type=parameter.type, Overwrite=True
            )

    def _create_tables(self) -> None:
        dynamodb = self.client("dynamodb")
        for table in self.model.tables:
            request = {
                "TableName": table.name,
                "AttributeDefinitions": table.attribute_definitions,
                "KeySchema": table.key_schema,
                "BillingMode": "PAY_PER_REQUEST",
            }
            if table.global_secondary_indexes:
                request["GlobalSecondaryIndexes"] = table.global_secondary_indexes
            if table.local_secondary_indexes:
                request["LocalSecondaryIndexes"] = table.local_secondary_indexes
            dynamodb.create_table(**request)
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={"AttributeName": table.ttl_attribute, "Enabled": True},
                )

    def _create_queues(self) -> None:
        sqs = self.client("sqs")
        for queue in self.model.queues:
            attributes = {k: v for k, v in queue.attributes.items() if k != "RedrivePolicy"}
            url = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
            LOG.debug("queue %s at %s", queue.name, url)
        for queue in self.model.queues:  # every DLQ exists now
            if "RedrivePolicy" in queue.attributes:
                sqs.set_queue_attributes(
                    QueueUrl=self.queue_url(queue.name),
                    Attributes={"RedrivePolicy": queue.attributes["RedrivePolicy"]},
                )

    def queue_url(self, queue_name: str) -> str:
        """The URL moto answers to (the model's AWS-style URL works as a parameter too)."""
        return f"{self.url}/{ACCOUNT_ID}/{queue_name}"

    def _create_event_buses_and_rules(self) -> None:
        events = self.client("events")
        for bus in self.model.event_buses:
            events.create_event_bus(Name=bus.name)
        queue_arns = {queue.arn for queue in self.model.queues}
        for rule in self.model.rules:
            for target in rule.targets:
                if target["Arn"] not in queue_arns:
                    # moto fails put_events with HTTP 500 for Lambda/Step Functions targets.
                    raise EmulatorError(
                        f"{rule.stack}/{rule.logical_id}: target {target['Arn']} is not a queue "
                        "of this app; only SQS targets are emulated"
                    )
            events.put_rule(
                Name=rule.name,
                EventBusName=rule.event_bus_name,
                EventPattern=json.dumps(rule.event_pattern),
                State=rule.state,
            )
            events.put_targets(
                Rule=rule.name, EventBusName=rule.event_bus_name, Targets=rule.targets
            )

    def _verify_senders(self) -> None:
        senders = {
            value
            for function in self.model.functions
            for key, value in function.environment.items()
            if key.endswith(SENDER_EMAIL_SUFFIX)
        }
        ses = self.client("ses")
        for sender in sorted(senders):
            ses.verify_email_identity(EmailAddress=sender)

    def _create_state_machines(self) -> None:
        sfn = self.client("stepfunctions")
        for machine in self.model.state_machines:
            created = sfn.create_state_machine(
                name=machine.name,
                definition=machine.definition,
                roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{machine.name}-role",
                type=machine.type,
            )
            if created["stateMachineArn"] != machine.arn:
                raise EmulatorError(
                    f"moto named {machine.name} {created['stateMachineArn']}, "
                    f"the template expects {machine.arn}"
                )
