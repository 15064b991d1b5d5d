"""The template model: what the runner will create, read from the templates and nothing else."""

import json
import textwrap
from pathlib import Path

import pytest

from localrun.template import ScheduleEventSource, SqsEventSource, TemplateError, load_app

from .conftest import FIXTURE_TEMPLATE, REPO_ROOT

ARN = "arn:aws:{service}:us-east-1:123456789012:{resource}"


def test_nested_stack_resources_get_deterministic_names_and_moto_arns(fixture_model):
    work = fixture_model.function("WorkFunction")

    assert work.stack == "fx-ServiceApp"
    assert work.name == "fx-ServiceApp-WorkFunction"
    assert work.arn == ARN.format(service="lambda", resource="function:fx-ServiceApp-WorkFunction")
    assert [t.name for t in fixture_model.tables] == ["fx-ServiceApp-Table"]
    assert fixture_model.queue_by_arn(ARN.format(service="sqs", resource="fx-AlertsQueue")).url == (
        "https://sqs.us-east-1.amazonaws.com/123456789012/fx-AlertsQueue"
    )


def test_function_reads_handler_code_dir_and_merged_environment(fixture_model):
    work = fixture_model.function("fx-ServiceApp-WorkFunction")
    consumer = fixture_model.function(
        ARN.format(service="lambda", resource="function:fx-ServiceApp-ConsumerFunction")
    )
    slow = fixture_model.function("SlowFunction")

    assert work.handler == "fixture_service.handlers.work"
    assert work.code_dir == FIXTURE_TEMPLATE.parent / "service" / "src"
    assert (work.runtime, work.timeout, work.memory_size) == ("python3.12", 5, 128)
    assert slow.timeout == 1
    assert work.environment == {"TABLE_NAME": "fx-ServiceApp-Table", "STAGE": "test"}
    assert consumer.environment == {"TABLE_NAME": "fx-ServiceApp-Table", "STAGE": "consumer"}
    assert consumer.sqs_event_sources == [
        SqsEventSource(
            queue_arn=ARN.format(service="sqs", resource="fx-ServiceApp-Queue"),
            batch_size=5,
            maximum_batching_window_seconds=0,
            report_batch_item_failures=True,
            enabled=True,
        )
    ]


def test_table_keeps_keys_indexes_and_ttl(fixture_model):
    (table,) = fixture_model.tables
    assert table.key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert [index["IndexName"] for index in table.global_secondary_indexes] == ["byKind"]
    assert table.ttl_attribute == "expiration"


def test_queue_attributes_are_sqs_shaped_with_redrive_to_the_dlq(fixture_model):
    queue = next(q for q in fixture_model.queues if q.logical_id == "Queue")
    assert queue.attributes["VisibilityTimeout"] == "1"
    assert json.loads(queue.attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": ARN.format(service="sqs", resource="fx-ServiceApp-DeadLetterQueue"),
        "maxReceiveCount": 2,
    }


def test_ssm_typed_parameter_resolves_to_the_value_another_stack_publishes(fixture_model):
    (rule,) = fixture_model.rules
    assert rule.event_bus_name == "fixture-test"  # via /fixture/test/bus/name
    assert rule.event_pattern == {"source": ["fixture"]}
    assert rule.targets == [
        {"Id": "Queue", "Arn": ARN.format(service="sqs", resource="fx-ServiceApp-Queue")}
    ]
    assert {p.name: p.value for p in fixture_model.ssm_parameters} == {
        "/fixture/test/bus/name": "fixture-test",
        "/fixture/test/service/table/name": "fx-ServiceApp-Table",
    }


def test_state_machine_definition_has_substitutions_applied(fixture_model):
    machine = fixture_model.state_machine()
    definition = json.loads(machine.definition)

    assert machine.name == "fx-flow"
    assert machine.arn == ARN.format(service="states", resource="stateMachine:fx-flow")
    assert machine.type == "STANDARD"
    assert definition["States"]["Work"]["Parameters"]["FunctionName"] == (
        fixture_model.function("WorkFunction").arn
    )
    assert definition["States"]["Publish"]["Parameters"]["Entries"][0]["EventBusName"] == (
        "fixture-test"
    )
    assert "${" not in machine.definition


def test_api_routes_come_from_the_openapi_integrations(fixture_model):
    (api,) = fixture_model.apis
    api_function = fixture_model.function("ApiFunction").arn

    assert api.stage_name == "test"
    assert [(r.method, r.resource, r.function_arn) for r in api.routes] == [
        ("POST", "/items", api_function),
        ("GET", "/items/{itemId}", api_function),
    ]


def test_conditions_drop_resources_and_outputs():
    default = load_app(FIXTURE_TEMPLATE, stack_name="fx")
    other = load_app(FIXTURE_TEMPLATE, stack_name="fx", parameters={"Environment": "other"})

    assert "OtherQueueUrl" not in default.outputs
    assert "fx-OnlyInOtherQueue" not in [q.name for q in default.queues]
    assert other.outputs["OtherQueueUrl"].endswith("/fx-OnlyInOtherQueue")
    assert other.rules[0].event_bus_name == "fixture-other"


def test_parameter_overrides_are_checked():
    with pytest.raises(TemplateError, match="not in"):
        load_app(FIXTURE_TEMPLATE, parameters={"Environment": "prod"})
    with pytest.raises(TemplateError, match="unknown root parameters"):
        load_app(FIXTURE_TEMPLATE, parameters={"Nope": "x"})


def write_template(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def test_ssm_parameter_nobody_creates_needs_extra_ssm(tmp_path):
    path = write_template(
        tmp_path,
        """
        Parameters:
          BusName:
            Type: AWS::SSM::Parameter::Value<String>
            Default: /elsewhere/bus
        Resources:
          Bus:
            Type: AWS::Events::EventBus
            Properties:
              Name: !Ref BusName
        """,
    )
    with pytest.raises(TemplateError, match="/elsewhere/bus"):
        load_app(path)
    assert load_app(path, extra_ssm={"/elsewhere/bus": "b"}).event_buses[0].name == "b"


def test_circular_references_are_reported(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          A:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !GetAtt B.QueueName
          B:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !GetAtt A.QueueName
        """,
    )
    with pytest.raises(TemplateError, match="circular reference"):
        load_app(path)


def test_unsupported_intrinsics_and_attributes_fail_loudly(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Q:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !ImportValue other-stack-queue
        """,
    )
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        load_app(path)


def test_unknown_definition_placeholder_fails_loudly(tmp_path):
    (tmp_path / "sm.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${Missing}", "End": true}}}'
    )
    path = write_template(
        tmp_path,
        """
        Resources:
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              DefinitionUri: sm.json
        """,
    )
    with pytest.raises(TemplateError, match="Missing"):
        load_app(path)


def test_long_generated_names_respect_aws_limits(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          AFunctionWithAVeryLongLogicalIdThatGoesOnAndOnAndOnForever:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
        """,
    )
    model = load_app(path, stack_name="a-rather-long-stack-name-too")
    assert len(model.functions[0].name) == 64


# --------------------------------------------------------------------------- the real application

ROOT_TEMPLATE = REPO_ROOT / "template.yaml"


def real_model():
    try:
        return load_app(ROOT_TEMPLATE)
    except TemplateError as error:
        if "cannot read template" in str(error):
            pytest.skip(f"the application is still being written: {error}")
        raise


def test_real_application_model_is_complete():
    model = real_model()

    assert model.functions, "no functions read from the templates"
    for function in model.functions:
        module, _, _ = function.handler.rpartition(".")
        module_file = function.code_dir / (module.replace(".", "/") + ".py")
        assert module_file.is_file(), f"{function.logical_id}: {module_file} missing"
        assert function.runtime == "python3.12"
    arns = {f.arn for f in model.functions}
    for api in model.apis:
        for route in api.routes:  # every route calls a function's "live" alias
            function_arn, alias = route.function_arn.rsplit(":", 1)
            assert function_arn in arns and alias == "live", route
    for machine in model.state_machines:
        json.loads(machine.definition)
    queues = {q.arn for q in model.queues}
    for function in model.functions:
        for source in function.sqs_event_sources:
            assert source.queue_arn in queues
    for rule in model.rules:
        # A rule on the account's default bus (Step Functions' own events) needs no bus of ours.
        assert rule.event_bus_name in {b.name for b in model.event_buses} | {"default"}


def test_schedule_events_are_read_and_other_event_types_are_listed_as_ignored(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Nightly:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Events:
                Every:
                  Type: Schedule
                  Properties:
                    Schedule: rate(1 day)
                Uploads:
                  Type: S3
                  Properties:
                    Bucket: !Ref Bucket
                    Events: s3:ObjectCreated:*
          Bucket:
            Type: AWS::S3::Bucket
        """,
    )
    model = load_app(path, stack_name="s")
    [function] = model.functions
    assert function.sqs_event_sources == []
    assert function.schedules == [ScheduleEventSource("Every", "rate(1 day)", True)]
    assert ("s", "Nightly.Events.Uploads", "event:S3") in model.ignored
    assert all(where != "Nightly.Events.Every" for _, where, _ in model.ignored)


def test_sns_rule_targets_are_listed_as_ignored_and_a_topic_refs_to_its_arn(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Topic:
            Type: AWS::SNS::Topic
          Queue:
            Type: AWS::SQS::Queue
          TopicArn:
            Type: AWS::SSM::Parameter
            Properties:
              Name: /fx/topic/arn
              Type: String
              Value: !Ref Topic
          Rule:
            Type: AWS::Events::Rule
            Properties:
              EventPattern: {source: [aws.states]}
              Targets:
                - {Id: Operators, Arn: !Ref Topic}
                - {Id: Queue, Arn: !GetAtt Queue.Arn}
        """,
    )
    model = load_app(path, stack_name="s")
    topic_arn = ARN.format(service="sns", resource="s-Topic")
    assert [p.value for p in model.ssm_parameters] == [topic_arn]
    [rule] = model.rules
    assert rule.targets == [{"Id": "Queue", "Arn": ARN.format(service="sqs", resource="s-Queue")}]
    assert ("s", "Rule.Targets.Operators", "target:sns") in model.ignored


def test_the_user_pool_and_its_client_resolve_wherever_the_templates_name_them():
    model = real_model()
    pool = model.user_pool("UserPool")
    [client] = model.clients_of(pool)
    assert pool.id.startswith("us-east-1_") and len(pool.id) == len("us-east-1_") + 9
    assert pool.arn == f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool.id}"
    assert pool.settings["UsernameAttributes"] == ["email"]
    assert client.settings["GenerateSecret"] is False
    parameters = {p.name: p.value for p in model.ssm_parameters}
    assert parameters["/ecommerce/dev/platform/user-pool/id"] == pool.id
    assert parameters["/ecommerce/dev/platform/user-pool-client/id"] == client.id
    assert (model.outputs["UserPoolId"], model.outputs["UserPoolClientId"]) == (pool.id, client.id)
    [api] = model.apis
    assert api.authorizers["CustomerSignIn"].user_pool_arns == [pool.arn]
    assert api.authorizers["CustomerSignIn"].header == "Authorization"
    required = {(r.method, r.resource): r.authorizer for r in api.routes}
    assert required == {
        ("POST", "/orders"): "CustomerSignIn",
        ("GET", "/orders"): "CustomerSignIn",
        ("GET", "/orders/{orderId}"): "CustomerSignIn",
        ("GET", "/orders/{orderId}/steps"): "CustomerSignIn",
        ("GET", "/products"): None,
        ("GET", "/products/{sku}"): None,
    }


def test_an_authorizer_that_is_not_emulated_fails_loudly(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Api:
            Type: AWS::Serverless::Api
            Properties:
              StageName: dev
              DefinitionBody:
                openapi: "3.0.1"
                components:
                  securitySchemes:
                    Custom:
                      type: apiKey
                      name: Authorization
                      in: header
                      x-amazon-apigateway-authtype: custom
                paths: {}
        """,
    )
    with pytest.raises(TemplateError, match=r"Custom \(custom\) is not emulated"):
        load_app(path)


def test_an_event_source_mapping_on_a_queue_is_the_functions_sqs_source(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
          Jobs:
            Type: AWS::SQS::Queue
          WorkerJobs:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              EventSourceArn: !GetAtt Jobs.Arn
              FunctionName: !Ref Worker
              BatchSize: 7
              MaximumBatchingWindowInSeconds: 2
              FunctionResponseTypes: [ReportBatchItemFailures]
          WorkerStream:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              EventSourceArn: arn:aws:kinesis:us-east-1:123456789012:stream/s
              FunctionName: !Ref Worker
              StartingPosition: LATEST
        """,
    )
    model = load_app(path, stack_name="s")
    [function] = model.functions
    assert function.sqs_event_sources == [
        SqsEventSource(
            queue_arn=ARN.format(service="sqs", resource="s-Jobs"),
            batch_size=7,
            maximum_batching_window_seconds=2,
            report_batch_item_failures=True,
            enabled=True,
        )
    ]
    assert ("s", "WorkerStream", "event:EventSourceMapping") in model.ignored
    assert all(where != "WorkerJobs" for _, where, _ in model.ignored)


def test_the_applications_queue_consumers_keep_their_batch_settings():
    sources = {f.logical_id: f.sqs_event_sources for f in real_model().functions}
    for consumer in ("SendNotificationFunction", "ReconcileOrdersFunction"):
        [source] = sources[consumer]
        assert (source.batch_size, source.report_batch_item_failures) == (10, True), consumer
