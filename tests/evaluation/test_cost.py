"""The cost model's arithmetic, against figures worked by hand from the price table."""

import json

import pytest

from evaluation.cost import (
    HOURS_PER_MONTH,
    PRICES_FILE,
    Ec2Baseline,
    OrderCounts,
    PriceTable,
    Variant,
    break_even_orders,
    cost_per_order,
    express_gb_seconds,
    express_memory_mb,
    lambda_gb_seconds,
    serverless_monthly,
    total,
)

PRICES = PriceTable.load()
ZERO = OrderCounts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def counts(**changes: float) -> OrderCounts:
    return OrderCounts(**{**ZERO.__dict__, **changes})


def test_every_price_is_dated_and_sourced():
    document = json.loads(PRICES_FILE.read_text())
    for name, entry in document["prices"].items():
        assert entry["source"].startswith("https://aws.amazon.com/"), name
        assert entry["date"] == document["recorded"], name
        assert entry["usd"] > 0, name
    assert "alb_lcu_dimensions" in document["missing"]


def test_the_papers_ten_step_standard_workflow_costs_a_quarter_of_a_thousandth():
    items = cost_per_order(counts(transitions=10), PRICES, Variant("STANDARD"))
    assert items["Step Functions"] == pytest.approx(0.00025)  # not the paper's $0.000025


def test_express_bills_100_ms_steps_of_64_mb():
    assert express_gb_seconds(1, 51) == pytest.approx(0.1 * 64 / 1024)
    assert express_gb_seconds(100, 64) == pytest.approx(0.1 * 64 / 1024)
    assert express_gb_seconds(101, 65) == pytest.approx(0.2 * 128 / 1024)
    assert express_memory_mb(0, 0) == 50
    assert express_memory_mb(1024 * 1024, 1024 * 1024) == 52


def test_express_costs_a_request_plus_its_duration():
    one_second_64mb = express_gb_seconds(1000, 64)
    items = cost_per_order(counts(express_gb_seconds=one_second_64mb), PRICES, Variant("EXPRESS"))
    # FACTS: about $2 per million executions at 64 MB and 1 s
    assert items["Step Functions"] * 1e6 == pytest.approx(1 + 0.0625 * 16.67, rel=1e-3)


def test_the_papers_128_mb_300_ms_lambda_costs_under_a_millionth_of_a_dollar():
    gb_s = lambda_gb_seconds(300, 128)
    items = cost_per_order(
        counts(lambda_invocations=1, lambda_gb_seconds=gb_s), PRICES, Variant(architecture="x86_64")
    )
    assert items["Lambda requests"] + items["Lambda duration"] == pytest.approx(8.25e-7, rel=1e-3)


def test_arm64_is_a_fifth_cheaper_per_gb_second_and_rest_is_three_and_a_half_times_http():
    used = counts(lambda_gb_seconds=1, api_requests=1)
    arm = cost_per_order(used, PRICES, Variant(architecture="arm64", api="HTTP"))
    x86 = cost_per_order(used, PRICES, Variant(architecture="x86_64", api="REST"))
    assert arm["Lambda duration"] / x86["Lambda duration"] == pytest.approx(0.8, rel=1e-4)
    assert x86["API Gateway"] / arm["API Gateway"] == pytest.approx(3.5)


def test_email_counts_only_when_asked_for():
    used = counts(emails=1)
    assert "SES" not in cost_per_order(used, PRICES, Variant(email=False))
    assert cost_per_order(used, PRICES, Variant(email=True))["SES"] == pytest.approx(0.0001)


def test_data_items_price_request_units_events_and_log_bytes():
    used = counts(
        dynamodb_write_units=8, dynamodb_read_units=4, events=2, sqs_requests=3, log_bytes=1e9
    )
    items = cost_per_order(used, PRICES, Variant())
    assert items["DynamoDB writes"] == pytest.approx(5e-6)
    assert items["DynamoDB reads"] == pytest.approx(5e-7)
    assert items["EventBridge"] == pytest.approx(2e-6)
    assert items["SQS"] == pytest.approx(1.2e-6)
    assert items["CloudWatch Logs"] == pytest.approx(0.5)


def test_the_baseline_runs_two_instances_until_the_peak_needs_more():
    # 10 orders/s per instance at a peak 10x the average: 2,628,000 orders a month per instance
    baseline = Ec2Baseline(orders_per_second_per_instance=10, peak_factor=10)
    assert baseline.orders_per_step == pytest.approx(2_628_000)
    assert baseline.instances(0) == 2
    assert baseline.instances(2 * 2_628_000) == 2
    assert baseline.instances(2 * 2_628_000 + 1) == 3
    hourly = 2 * 0.0168 + 0.0225 + 0.008
    assert baseline.fixed_monthly(1000, PRICES) == pytest.approx(hourly * HOURS_PER_MONTH)


def test_break_even_is_where_serverless_beyond_the_shared_data_plane_meets_the_fixed_cost():
    baseline = Ec2Baseline(orders_per_second_per_instance=10, peak_factor=10)
    used = counts(api_requests=10)  # $0.00001 per order on HTTP, nothing shared
    orders = break_even_orders(used, PRICES, Variant(), baseline)
    fixed = baseline.fixed_monthly(1, PRICES)
    assert orders == pytest.approx(fixed / (0.00001 + 0.000001))  # + the Express request
    assert serverless_monthly(orders, used, PRICES, Variant()) == pytest.approx(fixed)


def test_no_break_even_when_serverless_is_cheaper_than_another_instance_per_step():
    baseline = Ec2Baseline(orders_per_second_per_instance=10, peak_factor=10)
    # $1e-6 an order (the Express request): $2.63 per step of orders, an instance is $12.26
    assert break_even_orders(ZERO, PRICES, Variant(), baseline, max_orders=1e11) is None
    # On Standard with 1,000 transitions an order, serverless is dearer past 1,872 orders
    dear = counts(transitions=1000)
    assert break_even_orders(dear, PRICES, Variant("STANDARD"), baseline) == pytest.approx(
        baseline.fixed_monthly(1, PRICES) / 0.025
    )


def test_a_shared_data_plane_cancels_out_of_the_break_even():
    baseline = Ec2Baseline(orders_per_second_per_instance=10, peak_factor=10)
    with_tables = counts(api_requests=10, dynamodb_write_units=100)
    without = counts(api_requests=10)
    assert break_even_orders(with_tables, PRICES, Variant(), baseline) == pytest.approx(
        break_even_orders(without, PRICES, Variant(), baseline)
    )
    assert total(cost_per_order(with_tables, PRICES, Variant())) > total(
        cost_per_order(without, PRICES, Variant())
    )
