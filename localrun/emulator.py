"""moto in server mode on loopback, with the application's resources created in it.

Server mode (rather than in-process `mock_aws`) because the handlers run in other processes and
reach AWS over HTTP through AWS_ENDPOINT_URL, exactly as deployed code reaches AWS. moto's state
is global to this process: one `Emulator` at a time, and `stop()` resets it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import threading
import urllib.request
from typing import Any, Literal, TypedDict

import boto3
from botocore.config import Config
from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from localrun.template import ACCOUNT_ID, REGION, AppModel

LOG = logging.getLogger("localrun.emulator")


class Credentials(TypedDict):
    aws_access_key_id: str
    aws_secret_access_key: str


FAKE_CREDENTIALS: Credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# The AWS services the application and the runner call on moto (boto3's typed client names).
MotoService = Literal[
    "cognito-idp", "dynamodb", "events", "secretsmanager", "ses", "sqs", "ssm", "stepfunctions"
]
AwsService = MotoService | Literal["lambda"]  # the local app's: Lambda is the runner's own
# Environment variables whose value is a sender address to verify in SES (the mail "from").
SENDER_EMAIL_SUFFIX = "SENDER_EMAIL"


class EmulatorError(Exception):
    """The model asks for something the emulator cannot reproduce faithfully."""


# What werkzeug's after-response discard reads on a kept-alive connection: nothing, at once.
_ENDED_STREAM = io.BytesIO()
_ENDED_SOCKET, _peer = socket.socketpair()  # always readable (EOF): the discard never waits
_peer.close()


class _KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, keeping HTTP/1.1 connections alive.

    werkzeug's development server answers every request with "Connection: close", then reads
    and discards whatever the socket still holds (it cannot tell an unread body from the next
    request). So each AWS call paid a TCP connect, an accept and a new server thread in the
    runner's busy process. A request with a Content-Length (every AWS SDK call
    here) is read whole before moto sees it, and the discard is pointed at an ended stream, so
    the next request stays where it is. Anything else (chunked, Expect, HTTP/1.0) keeps
    werkzeug's close. tests/localrun/test_emulator_server.py watches werkzeug's discard.
    """

    timeout = 300  # seconds an idle connection is kept; clients reconnect after that
    # A response goes out in several small writes: without this, Nagle's algorithm holds each
    # one back until the client's delayed ACK (~40 ms) once the connection is reused.
    disable_nagle_algorithm = True

    def handle_one_request(self) -> None:
        self._keep_alive = False
        stream, connection = self.rfile, self.connection
        try:
            super().handle_one_request()
        finally:
            self.rfile, self.connection = stream, connection

    def log_error(self, format: str, *args: Any) -> None:
        # An idle kept-alive connection closing after `timeout` is the design, not an error.
        if not format.startswith("Request timed out"):
            super().log_error(format, *args)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        length = self.headers.get("Content-Length", "0")
        self._keep_alive = (
            self.request_version == "HTTP/1.1"
            and length.isdigit()
            and "Transfer-Encoding" not in self.headers
            and "Expect" not in self.headers
        )
        if self._keep_alive:
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
            self.rfile, self.connection = _ENDED_STREAM, _ENDED_SOCKET  # for the discard only
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if not (closing and self._keep_alive):
            super().send_header(keyword, value)


class _MotoServer:
    """moto's server (its WSGI application) on loopback, in a thread, with keep-alive."""

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> tuple[str, int]:
        application = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1", port, application, threaded=True, request_handler=_KeepAliveRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        return str(host), port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()


class Emulator:
    """Start moto, switch on real Step Functions execution, create the model's resources."""

    _running: Emulator | None = None  # moto's backends are per process: one emulator at a time
    _running_lock = threading.Lock()

    def __init__(self, model: AppModel, port: int = 0):
        """`port` 0 picks a free one (tests); `serve` fixes it so clients know where it is."""
        self.model = model
        self._port = port
        self._server: _MotoServer | None = None
        self._previous_moto_port: str | None = None
        self._previous_execute_state_machine: bool | None = None
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
        self._server = _MotoServer()
        host, port = self._server.start(self._port)
        self.url = f"http://{host}:{port}"
        # moto's Step Functions interpreter calls the other services (events, sqs, ...) at
        # http://localhost:$MOTO_PORT, read at call time.
        self._previous_moto_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(port)
        self._previous_execute_state_machine = default_user_config["stepfunctions"].get(
            "execute_state_machine", False
        )
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
            if self._previous_execute_state_machine is not None:
                default_user_config["stepfunctions"] = {
                    "execute_state_machine": self._previous_execute_state_machine
                }

    def _moto_api(self, path: str, body: dict[str, Any] | None = None) -> bytes:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def sent_emails(self) -> list[dict[str, Any]]:
        """What SES accepted, read from moto's SES backend in this process. Not through
        `GET /moto-api/data.json`: that walks every model instance of every service while the
        functions keep changing them, and fails (HTTP 500) when one changes under it."""
        from moto.ses.models import ses_backends

        sent = list(ses_backends[ACCOUNT_ID][REGION].sent_messages)  # a copy, taken at once
        return [
            {
                "id": m.id,
                "source": m.source,
                "subject": m.subject,
                "body": m.body,
                "destinations": m.destinations,
            }
            for m in sent
        ]

    def client(self, service: MotoService, **kwargs: Any) -> Any:
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
        self._create_user_pools()
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

    def _create_user_pools(self) -> None:
        """The template's user pools and app clients, under the ids the template model gave
        them (what Ref resolved to in SSM parameters, outputs and the API's authorizers)."""
        cognito = self.client("cognito-idp")
        for pool in self.model.user_pools:
            created = cognito.create_user_pool(PoolName=pool.name, **pool.settings)["UserPool"]
            _rekey_user_pool(created["Id"], pool.id, pool.arn)
        for client in self.model.user_pool_clients:
            created = cognito.create_user_pool_client(
                UserPoolId=client.user_pool_id, ClientName=client.name, **client.settings
            )["UserPoolClient"]
            _rekey_user_pool_client(client.user_pool_id, created["ClientId"], client.id)

    def jwks_url(self, user_pool_id: str) -> str:
        """Where moto serves the pool's signing keys (Cognito's /.well-known/jwks.json)."""
        return f"{self.url}/{user_pool_id}/.well-known/jwks.json"

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
            if rule.targets:  # none left when its only targets are not emulated (SNS)
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


# moto draws user pool and client ids at random; CloudFormation's are unknown until created too,
# but the template model resolves Ref before anything exists. So each is moved to the model's id
# in moto's backend (in this process). A private seam: tests/localrun/test_moto_seams.py fails
# when moto moves it.


def _rekey_user_pool(created_id: str, model_id: str, model_arn: str) -> None:
    from moto.cognitoidp.models import cognitoidp_backends

    backend = cognitoidp_backends[ACCOUNT_ID][REGION]
    pool = backend.user_pools.pop(created_id)
    pool.id, pool.arn = model_id, model_arn
    backend.user_pools[model_id] = pool


def _rekey_user_pool_client(user_pool_id: str, created_id: str, model_id: str) -> None:
    from moto.cognitoidp.models import cognitoidp_backends

    pool = cognitoidp_backends[ACCOUNT_ID][REGION].user_pools[user_pool_id]
    client = pool.clients.pop(created_id)
    client.id = model_id
    pool.clients[model_id] = client
