"""Fails loudly when a private moto seam the runner patches moves (see localrun/seams/).

Each assertion names the file and attribute to look at after a moto upgrade. The checks read
moto's own definitions (`MotoSeams.unpatched`), so they hold while a LocalApp runs. `WATCHED`
(at the end) names the tests of each seam; a seam without one fails `test_every_seam_is_watched`.
"""

import inspect
import os

import moto
import pytest

from localrun import seams
from localrun.seams import MotoSeams, fidelity, moto_module, speed


def test_moto_is_the_pinned_version():
    assert moto.__version__ == seams.MOTO_VERSION, (
        f"moto {moto.__version__} installed, localrun's seams are checked against "
        f"{seams.MOTO_VERSION}: re-check every seam in localrun/seams/, then update the pin "
        "in requirements-dev.txt and seams.MOTO_VERSION"
    )


def source_of(function) -> str:
    return inspect.getsource(function)


def test_lambda_tasks_get_their_client_from_boto_client_for():
    module = moto_module(seams.LAMBDA_EVAL_UTILS)
    where = f"{module.__file__}"
    assert "boto_client_for" in vars(module), (
        f"{where}: module attribute boto_client_for is gone (localrun patches it to send "
        "Lambda tasks to the local Lambda service)"
    )
    boto_client_for = MotoSeams.unpatched(module, "boto_client_for")
    assert list(inspect.signature(boto_client_for).parameters) == [
        "region",
        "service",
        "state_credentials",
    ], f"{where}: boto_client_for(region, service, state_credentials) changed signature"
    for name in ("exec_lambda_function", "_invoke_lambda_function"):
        body = source_of(getattr(module, name))
        assert "boto_client_for(" in body and ".invoke(**parameters)" in body, (
            f"{where}: {name} no longer calls boto_client_for(...).invoke(**parameters)"
        )


def test_retry_backoff_sleeps_through_the_modules_time():
    module = moto_module(seams.RETRIER_DECL)
    where = module.__file__
    assert "time" in vars(module) and MotoSeams.unpatched(module, "time") is __import__("time"), (
        f"{where}: no module-level `import time` (localrun swaps it for virtual time)"
    )
    assert "time.sleep(" in source_of(module.RetrierDecl._eval_body), (
        f"{where}: RetrierDecl._eval_body no longer waits with time.sleep(interval)"
    )


def test_wait_states_wait_through_wait_interval():
    module = moto_module(seams.WAIT_FUNCTION)
    where = module.__file__
    assert "_wait_interval" in module.WaitFunction.__dict__, (
        f"{where}: WaitFunction._wait_interval is gone (localrun replaces it for virtual time)"
    )
    assert "time.time()" in source_of(MotoSeams.unpatched(module.WaitFunction, "_wait_interval"))
    assert "self._wait_interval(" in source_of(module.WaitFunction._eval_body), (
        f"{where}: WaitFunction._eval_body no longer calls self._wait_interval"
    )
    overriding = [
        cls.__name__
        for cls in module.WaitFunction.__subclasses__()
        if "_wait_interval" in cls.__dict__
    ]
    assert not overriding, f"{where}: subclasses override _wait_interval: {overriding}"


def test_executions_get_their_program_from_get_evaluation_entrypoint():
    module = moto_module(seams.EXECUTION_WORKER)
    where = module.__file__
    worker = module.ExecutionWorker
    assert "_get_evaluation_entrypoint" in worker.__dict__, (
        f"{where}: ExecutionWorker._get_evaluation_entrypoint is gone (localrun caches the "
        "parsed program through it)"
    )
    assert "self._get_evaluation_entrypoint()" in source_of(worker._execution_logic), (
        f"{where}: ExecutionWorker._execution_logic no longer parses via the entrypoint"
    )
    assert "_evaluation_details.state_machine_details.definition" in source_of(
        MotoSeams.unpatched(worker, "_get_evaluation_entrypoint")
    ), f"{where}: the definition is no longer at _evaluation_details.state_machine_details"


def test_eventbridge_default_envelope_still_lacks_account():
    module = moto_module(seams.EVENTS_UTILS)
    where = module.__file__
    template = MotoSeams.unpatched(module.EventTemplateParser, "DEFAULT_EVENT_INPUT_TEMPLATE")
    assert "DEFAULT_EVENT_INPUT_TEMPLATE" in source_of(module.EventTemplateParser.parse), (
        f"{where}: EventTemplateParser.parse no longer uses DEFAULT_EVENT_INPUT_TEMPLATE"
    )
    assert '"account"' not in template, (
        f"{where}: moto now sends `account` itself; drop EventEnvelopeWithAccount "
        "(localrun/seams/fidelity.py)"
    )


def test_interpreter_reaches_other_services_at_moto_port(monkeypatch):
    from moto.settings import moto_server_port

    monkeypatch.setenv("MOTO_PORT", "4567")
    assert moto_server_port() == "4567", "moto.settings.moto_server_port ignores MOTO_PORT"
    boto_client = moto_module("moto.stepfunctions.parser.asl.utils.boto_client")
    assert "moto_server_port()" in source_of(boto_client.boto_client_for), (
        f"{boto_client.__file__}: boto_client_for no longer targets localhost:$MOTO_PORT"
    )


def test_install_patches_and_uninstall_restores():
    if MotoSeams._active is not None:
        pytest.skip("a LocalApp of this test session has the seams installed")
    lambda_eval_utils = moto_module(seams.LAMBDA_EVAL_UTILS)
    retrier = moto_module(seams.RETRIER_DECL)
    wait = moto_module(seams.WAIT_FUNCTION).WaitFunction
    before = (lambda_eval_utils.boto_client_for, retrier.time, wait.__dict__["_wait_interval"])

    patch = MotoSeams("http://127.0.0.1:9", virtual_time=True)
    patch.install()
    try:
        assert lambda_eval_utils.boto_client_for is not before[0]
        lambda_client = lambda_eval_utils.boto_client_for("us-east-1", "lambda")
        assert lambda_client.meta.endpoint_url == "http://127.0.0.1:9"
        sqs_client = lambda_eval_utils.boto_client_for("us-east-1", "sqs")
        moto_port = os.environ.get("MOTO_PORT", "5000")
        assert sqs_client.meta.endpoint_url == f"http://localhost:{moto_port}"
        retrier.time.sleep(3)
        assert patch.sleeps == [seams.VirtualSleep("retry", 3.0)]
        assert retrier.time.time() > 0  # everything but sleep is the real module
        with pytest.raises(RuntimeError, match="already patched"):
            MotoSeams("http://127.0.0.1:9", virtual_time=False).install()
    finally:
        patch.uninstall()

    assert (
        lambda_eval_utils.boto_client_for,
        retrier.time,
        wait.__dict__["_wait_interval"],
    ) == before


def test_service_integrations_get_their_client_from_boto_client_for():
    modules = {m.__name__.rsplit(".", 1)[-1]: m for m in seams.service_task_modules()}
    for name in ("state_task_service_events", "state_task_service_sqs"):
        assert name in modules, f"{seams.SERVICE_TASKS}: {name}.py is gone"
        assert "boto_client_for" in vars(modules[name]), (
            f"{modules[name].__file__}: boto_client_for is gone (localrun answers injected faults "
            "and shares one client per service through it)"
        )


def test_jsonpath_parsing_goes_through_module_level_parse():
    for dotted in (seams.JSON_PATH, seams.RESULT_PATH):
        module = moto_module(dotted)
        assert callable(MotoSeams.unpatched(module, "parse")), (
            f"{module.__file__}: module attribute parse is gone (localrun caches parsed paths)"
        )


def test_eventbridge_parses_its_envelope_paths_through_jsonpath_ng_ext_parse():
    module = moto_module(seams.EVENTS_UTILS)
    assert "from jsonpath_ng.ext import parse" in source_of(module.EventTemplateParser.parse), (
        f"{module.__file__}: EventTemplateParser.parse no longer imports jsonpath_ng.ext.parse at "
        "call time (localrun caches parsed paths there)"
    )


def test_the_server_finds_services_through_list_of_moto_modules():
    app = moto_module("moto.moto_server.werkzeug_app").DomainDispatcherApplication
    assert "backends.list_of_moto_modules()" in source_of(app.get_backend_for_host), (
        "DomainDispatcherApplication.get_backend_for_host no longer calls "
        "backends.list_of_moto_modules() (localrun lists moto's package once)"
    )
    listing = MotoSeams.unpatched(moto_module(seams.BACKENDS), "list_of_moto_modules")
    assert {"dynamodb", "stepfunctions", "events"} <= set(listing())


def test_dynamodb_requests_enter_through_call_action():
    handler = moto_module(seams.DYNAMODB_RESPONSES).DynamoHandler
    assert "call_action" in handler.__dict__, (
        f"{seams.DYNAMODB_RESPONSES}: DynamoHandler.call_action is gone (localrun serialises "
        "DynamoDB requests there: moto's transact_write_items is not thread-safe)"
    )


def test_transactions_roll_back_from_deep_copies_of_the_tables_they_touch():
    module = moto_module(seams.DYNAMODB_MODELS)
    where = module.__file__
    assert MotoSeams.unpatched(module, "copy") is __import__("copy"), (
        f"{where}: no module-level `import copy` (localrun swaps it so tables are not copied)"
    )
    body = source_of(MotoSeams.unpatched(module.DynamoDBBackend, "transact_write_items"))
    assert "copy.deepcopy(" in body and "self.tables[table_name]" in body, (
        f"{where}: DynamoDBBackend.transact_write_items no longer snapshots whole tables with "
        "copy.deepcopy (localrun snapshots the items a transaction names instead)"
    )


@pytest.fixture
def seams_on_mock_dynamodb():
    """moto in process with the seams installed; the table `t` holds `stock` with 5 left."""
    if MotoSeams._active is not None:
        pytest.skip("a LocalApp of this test session has the seams installed")
    import boto3
    from moto import mock_aws

    patch = MotoSeams("http://127.0.0.1:9", virtual_time=True)
    with mock_aws():
        patch.install()
        try:
            client = boto3.client(
                "dynamodb",
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            client.create_table(
                TableName="t",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            client.put_item(TableName="t", Item={"pk": {"S": "stock"}, "left": {"N": "5"}})
            yield client
        finally:
            patch.uninstall()


def reserve(quantity: int, reservation: str) -> list[dict]:
    return [
        {
            "Update": {
                "TableName": "t",
                "Key": {"pk": {"S": "stock"}},
                "UpdateExpression": "SET #left = #left - :q",
                "ConditionExpression": "#left >= :q",
                "ExpressionAttributeNames": {"#left": "left"},
                "ExpressionAttributeValues": {":q": {"N": str(quantity)}},
            }
        },
        {
            "Put": {
                "TableName": "t",
                "Item": {"pk": {"S": reservation}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


def table_state(client) -> dict:
    return {i["pk"]["S"]: i for i in client.scan(TableName="t")["Items"]}


def test_a_failed_transaction_leaves_every_item_it_named_as_it_was(seams_on_mock_dynamodb):
    from botocore.exceptions import ClientError

    client = seams_on_mock_dynamodb
    client.transact_write_items(TransactItems=reserve(2, "res-1"))
    before = table_state(client)

    # The update applies first, then the put's guard fails: the update must be undone.
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=reserve(1, "res-1"))
    # The guard of the first entry fails, after nothing was written.
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=reserve(9, "res-2"))

    assert table_state(client) == before
    assert before["stock"]["left"] == {"N": "3"}


def test_a_transaction_naming_an_item_twice_restores_its_first_state(seams_on_mock_dynamodb):
    from botocore.exceptions import ClientError

    client = seams_on_mock_dynamodb
    twice = reserve(1, "res-1")[:1] * 2

    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=twice)

    assert table_state(client)["stock"]["left"] == {"N": "5"}


# Each seam and the tests that watch what it relies on.
WATCHED = {
    fidelity.LambdaTasksRunLocally: [
        test_lambda_tasks_get_their_client_from_boto_client_for,
        test_install_patches_and_uninstall_restores,
    ],
    fidelity.VirtualTime: [
        test_retry_backoff_sleeps_through_the_modules_time,
        test_wait_states_wait_through_wait_interval,
    ],
    fidelity.EventEnvelopeWithAccount: [test_eventbridge_default_envelope_still_lacks_account],
    fidelity.IntegrationFaultsAnswered: [
        test_service_integrations_get_their_client_from_boto_client_for
    ],
    fidelity.OneDynamoDBRequestAtATime: [test_dynamodb_requests_enter_through_call_action],
    speed.ParsedProgramCache: [test_executions_get_their_program_from_get_evaluation_entrypoint],
    speed.SharedIntegrationClients: [
        test_service_integrations_get_their_client_from_boto_client_for,
        test_interpreter_reaches_other_services_at_moto_port,
    ],
    speed.JsonPathParseCache: [
        test_jsonpath_parsing_goes_through_module_level_parse,
        test_eventbridge_parses_its_envelope_paths_through_jsonpath_ng_ext_parse,
    ],
    speed.MotoModulesListedOnce: [test_the_server_finds_services_through_list_of_moto_modules],
    speed.ItemLevelTransactionRollback: [
        test_transactions_roll_back_from_deep_copies_of_the_tables_they_touch,
        test_a_failed_transaction_leaves_every_item_it_named_as_it_was,
        test_a_transaction_naming_an_item_twice_restores_its_first_state,
    ],
}


def test_every_seam_is_watched_and_grouped_by_why_it_exists():
    installed = MotoSeams("http://127.0.0.1:9", virtual_time=True)
    assert {type(seam) for seam in installed.seams} == set(WATCHED)
    assert {type(seam).__module__ for seam in installed.fidelity} == {"localrun.seams.fidelity"}
    assert {type(seam).__module__ for seam in installed.speed} == {"localrun.seams.speed"}


def test_a_user_pool_and_its_client_keep_working_under_the_ids_the_template_gave_them():
    """localrun/emulator.py moves moto's random user pool and client ids to the template
    model's (`_rekey_user_pool`, `_rekey_user_pool_client`): moto must still find both by them
    in `cognitoidp_backends[...].user_pools` / `.clients`, and issue tokens naming them."""
    import boto3
    import jwt
    from moto import mock_aws

    from localrun.emulator import _rekey_user_pool, _rekey_user_pool_client
    from localrun.signin import sign_in
    from localrun.template import ACCOUNT_ID, REGION

    pool_id, client_id = f"{REGION}_abcdef012", "0123456789abcdefghijklmnop"
    arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{pool_id}"
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        created = cognito.create_user_pool(PoolName="p", UsernameAttributes=["email"])
        _rekey_user_pool(created["UserPool"]["Id"], pool_id, arn)
        client = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="c",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
            ReadAttributes=["email", "email_verified"],
        )["UserPoolClient"]
        _rekey_user_pool_client(pool_id, client["ClientId"], client_id)

        assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"] == arn
        token = sign_in(cognito, pool_id, client_id, "ada@example.com")["IdToken"]

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    assert (claims["aud"], claims["email"], claims["email_verified"]) == (
        client_id,
        "ada@example.com",
        "true",
    )
