"""Dollars from measured counts: the price table (`prices.json`), cost per order for each way to
deploy the same checkout, and monthly cost against an always-on EC2 + load balancer baseline.

Nothing here measures: `OrderCounts` comes from a run (`evaluation.meter`), prices from the
table. Free tiers are left out, so small volumes read slightly high.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

PRICES_FILE = Path(__file__).with_name("prices.json")
HOURS_PER_MONTH = 730  # AWS's pricing month
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
EXPRESS_BILLING_MS = 100  # Express bills duration in 100 ms steps ...
EXPRESS_MEMORY_STEP_MB = 64  # ... and memory in 64 MB steps
EXPRESS_BASE_MEMORY_MB = 50  # memory = 50 MB + definition + data

Workflow = Literal["STANDARD", "EXPRESS"]
Architecture = Literal["x86_64", "arm64"]
ApiKind = Literal["REST", "HTTP"]


class PriceTable:
    """The dated, sourced prices. `price(name)` in USD per unit; unknown names raise KeyError."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.recorded: str = document["recorded"]
        self._usd = {name: float(entry["usd"]) for name, entry in document["prices"].items()}

    @classmethod
    def load(cls, path: Path = PRICES_FILE) -> PriceTable:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def price(self, name: str) -> float:
        return self._usd[name]

    def rows(self) -> list[dict[str, str]]:
        return [{"name": name, **entry} for name, entry in self.document["prices"].items()]

    @property
    def missing(self) -> dict[str, str]:
        return dict(self.document.get("missing", {}))


@dataclass(frozen=True)
class OrderCounts:
    """What one order uses, averaged over a measured run (every field per order)."""

    transitions: float  # states entered: Standard bills each
    express_gb_seconds: float  # billed Express duration x memory, rounded as Express rounds
    lambda_invocations: float
    lambda_gb_seconds: float  # billed duration + init, x memory
    dynamodb_write_units: float
    dynamodb_read_units: float
    events: float  # EventBridge custom events (64 KB chunks)
    api_requests: float
    sqs_requests: float
    emails: float
    log_bytes: float  # CloudWatch Logs ingestion: every line the functions write
    traces: float  # X-Ray traces recorded (sampled)

    def scaled(self, factor: float) -> OrderCounts:
        return OrderCounts(**{f.name: getattr(self, f.name) * factor for f in fields(self)})


def express_gb_seconds(duration_ms: float, memory_mb: float) -> float:
    """One Express execution's billed GB-seconds: duration up to the next 100 ms, memory up to
    the next 64 MB."""
    billed_ms = max(1, math.ceil(duration_ms / EXPRESS_BILLING_MS)) * EXPRESS_BILLING_MS
    billed_mb = max(1, math.ceil(memory_mb / EXPRESS_MEMORY_STEP_MB)) * EXPRESS_MEMORY_STEP_MB
    return billed_ms / 1000 * billed_mb / 1024


def express_memory_mb(definition_bytes: int, largest_state_bytes: int) -> float:
    return EXPRESS_BASE_MEMORY_MB + (definition_bytes + largest_state_bytes) / 1024 / 1024


def lambda_gb_seconds(billed_ms: float, memory_mb: int) -> float:
    return billed_ms / 1000 * memory_mb / 1024


@dataclass(frozen=True)
class Variant:
    workflow: Workflow = "EXPRESS"
    architecture: Architecture = "arm64"
    api: ApiKind = "HTTP"
    email: bool = False  # SES is the same everywhere and dominates: the target excludes it

    @property
    def label(self) -> str:
        email = ", with email" if self.email else ""
        return f"{self.workflow.title()}, {self.architecture}, {self.api} API{email}"


# The comparisons the report makes: each differs from the target's variant in one respect.
TARGET = Variant("EXPRESS", "arm64", "HTTP")
VARIANTS = (
    TARGET,
    Variant("STANDARD", "arm64", "HTTP"),
    Variant("EXPRESS", "x86_64", "HTTP"),
    Variant("EXPRESS", "arm64", "REST"),
    Variant("STANDARD", "arm64", "REST"),  # as the template deploys by default
    Variant("STANDARD", "x86_64", "REST", email=True),  # the most expensive combination
)


def cost_per_order(counts: OrderCounts, prices: PriceTable, variant: Variant) -> dict[str, float]:
    """USD per order, by line item."""
    p = prices.price
    items = {
        "Step Functions": (
            counts.transitions * p("stepfunctions_standard_per_transition")
            if variant.workflow == "STANDARD"
            else p("stepfunctions_express_per_request")
            + counts.express_gb_seconds * p("stepfunctions_express_per_gb_second")
        ),
        "Lambda requests": counts.lambda_invocations * p("lambda_per_request"),
        "Lambda duration": counts.lambda_gb_seconds
        * p(f"lambda_{variant.architecture}_per_gb_second"),
        "API Gateway": counts.api_requests * p(f"apigateway_{variant.api.lower()}_per_request"),
        "DynamoDB writes": counts.dynamodb_write_units * p("dynamodb_per_write_request_unit"),
        "DynamoDB reads": counts.dynamodb_read_units * p("dynamodb_per_read_request_unit"),
        "EventBridge": counts.events * p("eventbridge_per_event"),
        "SQS": counts.sqs_requests * p("sqs_per_request"),
        "CloudWatch Logs": counts.log_bytes / 1e9 * p("cloudwatch_logs_per_gb_ingested"),
        "X-Ray": counts.traces * p("xray_per_trace_recorded"),
    }
    if variant.email:
        items["SES"] = counts.emails * p("ses_per_email")
    return items


def total(items: dict[str, float]) -> float:
    return sum(items.values())


# --------------------------------------------------------------------------- the EC2 baseline


@dataclass(frozen=True)
class Ec2Baseline:
    """Always-on instances behind an ALB, sized for the peak: `peak_factor` x the month's
    average order rate, `orders_per_second_per_instance` each, never fewer than two (one per
    Availability Zone, for the HA the managed services include). The data stays in DynamoDB
    and the mail in SES: only the compute and the front door differ."""

    orders_per_second_per_instance: float
    peak_factor: float = 10.0
    min_instances: int = 2
    instance_price: str = "ec2_t4g_small_per_hour"
    lcus: float = 1.0  # LCU-hours per hour: the table has no LCU dimensions (prices.json)

    @property
    def orders_per_step(self) -> float:
        """Orders a month one more instance carries, at the peak rate."""
        return self.orders_per_second_per_instance * SECONDS_PER_MONTH / self.peak_factor

    def instances(self, orders_per_month: float) -> int:
        return max(self.min_instances, math.ceil(orders_per_month / self.orders_per_step))

    def fixed_monthly(self, orders_per_month: float, prices: PriceTable) -> float:
        return self.fixed_monthly_of(self.instances(orders_per_month), prices)

    def fixed_monthly_of(self, instances: int, prices: PriceTable) -> float:
        hourly = instances * prices.price(self.instance_price)
        hourly += prices.price("alb_per_hour") + self.lcus * prices.price("alb_per_lcu_hour")
        return hourly * HOURS_PER_MONTH

    def monthly(
        self, orders_per_month: float, counts: OrderCounts, prices: PriceTable, email: bool
    ) -> float:
        return self.fixed_monthly(orders_per_month, prices) + orders_per_month * total(
            data_plane_per_order(counts, prices, email)
        )


DATA_PLANE = ("DynamoDB writes", "DynamoDB reads", "CloudWatch Logs")


def data_plane_per_order(counts: OrderCounts, prices: PriceTable, email: bool) -> dict[str, float]:
    """What an EC2 deployment pays per order too: the tables, the logs, and (with email) SES."""
    items = cost_per_order(counts, prices, Variant(email=email))
    return {k: v for k, v in items.items() if k in DATA_PLANE or k == "SES"}


def serverless_monthly(
    orders_per_month: float, counts: OrderCounts, prices: PriceTable, variant: Variant
) -> float:
    return orders_per_month * total(cost_per_order(counts, prices, variant))


def break_even_orders(
    counts: OrderCounts,
    prices: PriceTable,
    variant: Variant,
    baseline: Ec2Baseline,
    max_orders: float = 1e11,
) -> float | None:
    """The fewest orders per month at which the serverless variant costs at least as much as
    the baseline, or None when it is cheaper up to `max_orders`. The baseline is a staircase
    (one more instance every `orders_per_step`), serverless a line through zero."""
    margin = total(cost_per_order(counts, prices, variant)) - total(
        data_plane_per_order(counts, prices, variant.email)
    )  # what serverless pays per order beyond the data plane both sides share
    if margin <= 0:
        return None
    per_step = baseline.orders_per_step
    low = 0.0
    instances = baseline.min_instances
    while low < max_orders:
        high = instances * per_step  # the most orders a month `instances` carry at the peak
        fixed = baseline.fixed_monthly_of(instances, prices)
        if margin * low >= fixed:  # already dearer as this step begins
            return low
        if margin * high >= fixed:
            return fixed / margin
        low, instances = high, instances + 1
    return None


def marginal_cost_at_scale(
    counts: OrderCounts, prices: PriceTable, baseline: Ec2Baseline, email: bool = False
) -> float:
    """The baseline's cost per order once many instances run: instances grow with the orders."""
    instance_month = prices.price(baseline.instance_price) * HOURS_PER_MONTH
    shared = total(data_plane_per_order(counts, prices, email))
    return instance_month / baseline.orders_per_step + shared
