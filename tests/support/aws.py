"""The environment a handler sees in tests: fake credentials, one region, Powertools settings."""

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


def set_aws_environment(monkeypatch, service: str, **variables: str) -> None:
    """Sets, for the current test only, what the templates give every function plus the
    service's own `variables` (table name, ...).

    Through monkeypatch, never os.environ at import: the four services share variable names
    (POWERTOOLS_SERVICE_NAME, ...), and a value set at import would leak into the others' tests.
    Fake credentials and no profile keep boto3 from ever reaching a real account. A handler that
    reads the environment at import must be imported after this (inside a fixture).
    """
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    environment = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": "Ecommerce",
        **variables,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
