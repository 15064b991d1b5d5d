"""Operations: every alarm reaches the operators topic, and what alarms and the dashboard read
exists.

Alarms, the dashboard and the topic are not emulated by the local run, so these checks read the
templates (as CloudFormation gets them) and the services' code (the metrics it emits).
"""

import ast
import json
import re

import pytest

from tests.support.cfn import (
    PLATFORM_TEMPLATE,
    ROOT,
    SERVICES,
    load_template,
    service_functions,
    ssm_reference,
)

PLATFORM = load_template(PLATFORM_TEMPLATE)
SERVICE_TEMPLATES = {s: load_template(f"services/{s}/template.yaml") for s in SERVICES}
TOPIC_PARAMETER = "/ecommerce/${Environment}/platform/operators-topic/arn"
# How each template names the operators topic: the platform owns it, a service reads its SSM
# parameter (a dynamic reference, resolved in the service's own environment).
TOPIC = {
    "platform": {"Ref": "OperatorsTopic"},
    **{s: {"Fn::Sub": ssm_reference(TOPIC_PARAMETER)} for s in SERVICES},
}
# Errors a service's tasks raise for the state machine to catch that are business outcomes, as
# the Ecommerce metric the code counts them with: its errors alarm leaves them out.
BUSINESS_OUTCOME_METRICS = {
    "inventory": {"OutOfStock", "UnknownSku"},
    "payments": {"PaymentsDeclined"},  # PaymentDeclined and InsufficientFunds
    "orders": set(),
    "notifications": set(),
}
AWS_NAMESPACES = {"AWS/Lambda", "AWS/SQS", "AWS/States", "AWS/ApiGateway", "AWS/SES"}


def templates():
    return {"platform": PLATFORM, **SERVICE_TEMPLATES}


def resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def emitted_metrics(service: str) -> set[str]:
    """Every metric name the service's code passes to Powertools' add_metric."""
    names = set()
    for source in (ROOT / "services" / service / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_metric":
                [name] = [k.value for k in node.keywords if k.arg == "name"]
                assert isinstance(name, ast.Constant), f"{source}: a metric name is not a literal"
                names.add(name.value)
    return names


def metric_stats(alarm):
    """{metric id: (namespace, metric name, {dimension: value})} of a metric-math alarm."""
    stats = {}
    for query in alarm["Properties"]["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            stats[query["Id"]] = (metric["Namespace"], metric["MetricName"], dimensions)
    return stats


def returned_expression(alarm) -> str:
    [query] = [q for q in alarm["Properties"]["Metrics"] if q.get("ReturnData", True)]
    return query["Expression"]


def alarm_on(template, namespace, metric_name):
    """The template's metric-math alarms whose returned expression reads `metric_name`."""
    found = []
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        if "Metrics" not in alarm["Properties"]:
            continue
        used = set(re.findall(r"\b[a-z]\w*\b", returned_expression(alarm)))
        stats = metric_stats(alarm)
        if any(stats[i][:2] == (namespace, metric_name) for i in used & set(stats)):
            found.append(alarm)
    return found


@pytest.mark.parametrize("name", ["platform", *SERVICES])
def test_every_alarm_notifies_the_operators_topic_when_it_fires_and_when_it_clears(name):
    alarms = resources(templates()[name], "AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [TOPIC[name]], logical_id
        assert alarm["Properties"]["OKActions"] == [TOPIC[name]], logical_id


def test_the_platform_publishes_the_topic_in_its_environment():
    parameter = resources(PLATFORM, "AWS::SSM::Parameter")["OperatorsTopicArnParameter"]
    assert parameter["Properties"]["Name"] == {"Fn::Sub": TOPIC_PARAMETER}
    assert parameter["Properties"]["Value"] == {"Ref": "OperatorsTopic"}


def test_the_topic_is_encrypted_with_a_key_its_publishers_may_use():
    topic = PLATFORM["Resources"]["OperatorsTopic"]["Properties"]
    key = PLATFORM["Resources"][topic["KmsMasterKeyId"]["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"  # not alias/aws/sns: its policy admits neither
    assert key["Properties"]["EnableKeyRotation"] is True
    users = {
        statement["Principal"]["Service"]
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in statement.get("Principal", {})
        and set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    }
    assert users == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}


def test_only_the_checkout_failure_rule_and_this_accounts_alarms_may_publish():
    [policy] = resources(PLATFORM, "AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": "OperatorsTopic"}]
    by_service = {
        s["Principal"]["Service"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]
    }
    assert set(by_service) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    assert all(s["Action"] == "sns:Publish" for s in by_service.values())
    assert by_service["events.amazonaws.com"]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["CheckoutEndedUnexpectedlyRule", "Arn"]}}
    }
    alarms = by_service["cloudwatch.amazonaws.com"]["Condition"]
    assert alarms["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in alarms["ArnLike"]["aws:SourceArn"]["Fn::Sub"]


def test_the_operators_email_subscription_exists_only_when_an_address_is_given():
    subscription = PLATFORM["Resources"]["OperatorsEmailSubscription"]
    assert subscription["Condition"] == "HasOperatorsEmail"
    assert PLATFORM["Conditions"]["HasOperatorsEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OperatorsEmail"}, ""]}]
    }
    assert PLATFORM["Parameters"]["OperatorsEmail"]["Default"] == ""


@pytest.mark.parametrize("kind", ["Errors", "Throttles"])
@pytest.mark.parametrize("service", SERVICES)
def test_every_function_is_in_its_services_errors_and_throttles_alarm(service, kind):
    template = SERVICE_TEMPLATES[service]
    [alarm] = alarm_on(template, "AWS/Lambda", kind)
    expression = returned_expression(alarm)
    covered = {
        dimensions["FunctionName"]["Ref"]
        for metric_id, (namespace, name, dimensions) in metric_stats(alarm).items()
        if (namespace, name) == ("AWS/Lambda", kind) and re.search(rf"\b{metric_id}\b", expression)
    }
    assert covered == set(resources(template, "AWS::Serverless::Function"))
    assert alarm["Properties"]["Threshold"] == 1


@pytest.mark.parametrize("service", SERVICES)
def test_the_errors_alarm_leaves_out_exactly_the_business_outcomes_the_code_counts(service):
    [alarm] = alarm_on(SERVICE_TEMPLATES[service], "AWS/Lambda", "Errors")
    expression = returned_expression(alarm)
    subtracted = {}
    for metric_id, (namespace, name, dimensions) in metric_stats(alarm).items():
        if namespace == "Ecommerce":
            assert dimensions == {"service": service}, name  # Powertools' default dimension
            assert re.search(rf"- FILL\({metric_id}, 0\)", expression), f"{name} not subtracted"
            subtracted[name] = metric_id
    assert set(subtracted) == BUSINESS_OUTCOME_METRICS[service]
    assert set(subtracted) <= emitted_metrics(service)


def dead_letter_queues(template) -> set[str]:
    """Queues something sends what it gave up on: a redrive target or a rule target's DLQ."""
    queues = set()
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in properties:
            queues.add(properties["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
        if resource["Type"] == "AWS::Events::Rule":
            for target in properties.get("Targets", []):
                if "DeadLetterConfig" in target:
                    queues.add(target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0])
    return queues


@pytest.mark.parametrize("name", ["platform", *SERVICES])
def test_every_dead_letter_queue_has_a_depth_alarm(name):
    template = templates()[name]
    watched = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"]["Threshold"] == 1
    }
    assert dead_letter_queues(template) <= watched
    if name in ("orders", "notifications"):
        assert dead_letter_queues(template), f"{name}'s dead-letter queues were not found"


def test_the_api_alarms_and_the_dashboard_name_the_api_and_stage_api_gateway_reports():
    api = PLATFORM["Resources"]["Api"]["Properties"]
    api_name = api["DefinitionBody"]["info"]["title"]  # no Name: API Gateway takes the title
    assert "Name" not in api
    for logical_id in ("Api5xxAlarm", "ApiLatencyAlarm"):
        dimensions = PLATFORM["Resources"][logical_id]["Properties"]["Dimensions"]
        assert {d["Name"]: d["Value"] for d in dimensions} == {
            "ApiName": api_name,
            "Stage": api["StageName"],
        }
    for metric in dashboard_metrics():
        if metric[0] == "AWS/ApiGateway":
            assert metric[2:6] == ["ApiName", "checkout-dev", "Stage", "dev"]


def test_the_state_machines_alarms_cover_timeouts_aborts_and_throttles():
    watched = {
        alarm["Properties"]["MetricName"]
        for alarm in resources(PLATFORM, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/States"
        and alarm["Properties"]["Dimensions"]
        == [{"Name": "StateMachineArn", "Value": {"Ref": "CheckoutStateMachine"}}]
    }
    assert watched == {"ExecutionsTimedOut", "ExecutionsAborted", "ExecutionThrottled"}


def test_ses_reputation_alarms_sit_at_the_rates_ses_reviews_an_account():
    alarms = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]["Threshold"]
        for alarm in resources(
            SERVICE_TEMPLATES["notifications"], "AWS::CloudWatch::Alarm"
        ).values()
        if alarm["Properties"].get("Namespace") == "AWS/SES"
    }
    assert alarms == {"Reputation.BounceRate": 0.05, "Reputation.ComplaintRate": 0.001}


def test_the_sender_is_an_ses_identity_and_prod_refuses_the_example_address():
    notifications = SERVICE_TEMPLATES["notifications"]
    [identity] = resources(notifications, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "SenderEmail"}
    for template in (notifications,):
        default = template["Parameters"]["SenderEmail"]["Default"]
        assert default.endswith("@example.com")
        [rule] = template["Rules"].values()
        assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}
        assert rule["Assertions"][0]["Assert"] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": "SenderEmail"}, default]}]
        }
        assert re.fullmatch(template["Parameters"]["SenderEmail"]["AllowedPattern"], default)
        assert not re.fullmatch(template["Parameters"]["SenderEmail"]["AllowedPattern"], "orders")


# --------------------------------------------------------------------------- the dashboard


def dashboard_metrics() -> list[list]:
    """Every metric of the dashboard's widgets, ${...} substituted as in a dev stack."""
    [dashboard] = resources(PLATFORM, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    values = {"Environment": "dev", "AWS::Region": "us-east-1", "CheckoutStateMachine": "arn"}
    rendered = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], body)
    metrics = []
    for widget in json.loads(rendered)["widgets"]:
        for metric in widget["properties"]["metrics"]:
            metrics.append([part for part in metric if not isinstance(part, dict)])
    return metrics


def test_every_metric_the_dashboard_reads_is_emitted_by_the_code_or_by_aws():
    emitted = {service: emitted_metrics(service) for service in SERVICES}
    metrics = dashboard_metrics()
    for namespace, name, *dimensions in metrics:
        if namespace == "Ecommerce":
            assert dimensions[0] == "service", name
            assert name in emitted[dimensions[1]], f"{dimensions[1]} emits no {name}"
        else:
            assert namespace in AWS_NAMESPACES, namespace
    shown = {name for namespace, name, *_ in metrics if namespace == "Ecommerce"}
    outcomes = {"OrdersPlaced", "OrdersConfirmed", "OrdersFailed", "RefundsIssued", "StockReleased"}
    reconciliations = {"CompensationsReconciled", "OrdersReconciledFailed", "ReconciliationsFailed"}
    assert outcomes | reconciliations <= shown


def test_the_dashboard_shows_every_functions_errors_and_executions_by_status():
    metrics = dashboard_metrics()
    shown = {m[3] for m in metrics if m[:3] == ["AWS/Lambda", "Errors", "FunctionName"]}
    # Every service function, by the fixed name it has in a dev stack.
    functions = {name.replace("${Environment}", "dev") for name in service_functions()}
    assert shown == functions
    statuses = {m[1] for m in metrics if m[0] == "AWS/States"}
    assert {"ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"} <= statuses
