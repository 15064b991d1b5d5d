"""Every service has the shape docs/service-conventions.md describes, so learning one is learning
all four: the same modules, handlers named after their functions, boto3 only at the edges, no
import cycles, and the deliberate per-service copies (the DynamoDB idiom, the settings base, the
observability objects, the clock) still identical."""

import ast
import re
from pathlib import Path

import pytest

from tests.support.cfn import ROOT, load_template

SERVICES = ["orders", "payments", "inventory", "notifications"]
REQUIRED_MODULES = [
    "handlers/__init__.py",
    "domain.py",
    "models.py",
    "errors.py",
    "config.py",
    "repository.py",
    "dynamodb.py",
    "observability.py",
]
# Modules that are not use cases; every other top-level module of a service is one.
FIXED_MODULES = {Path(m).stem for m in REQUIRED_MODULES if "/" not in m} | {"__init__"}
# Where boto3/botocore may be imported: the edges of a service.
AWS_EDGES = {"repository", "dynamodb"}
# (module, definition, in every service?): copied on purpose, so kept identical. None: every
# definition the copies have. Not in every service: identical wherever it is.
IDENTICAL_COPIES = [
    ("dynamodb", None, False),  # a service keeps only the parts it uses
    ("config", "ConfigurationError", True),
    ("config", "Settings", True),
    ("observability", None, True),
    ("domain", "now", True),
    # The public API's error shape, in the services that serve HTTP.
    ("models", "ErrorResponse", False),
    ("models", "ValidationProblem", False),
    ("handlers/orders_api|handlers/catalog_api", "_error", False),
    ("handlers/orders_api|handlers/catalog_api", "invalid_request", False),
    ("handlers/orders_api|handlers/catalog_api", "invalid_page_token", False),
    ("handlers/orders_api|handlers/catalog_api", "_refuse_other_events", False),
    ("errors", "NotARestApiEvent", False),
    # Identifiers as keys and logs take them, at every edge.
    ("models", "IDENTIFIER_PATTERN", True),
    ("models", "Identifier", True),
    # Email addresses as SES takes them, where an address comes in (orders API, notifications).
    *(
        ("models", name, False)
        for name in (
            "_ATEXT",
            "_LDH_LABEL",
            "EMAIL_PATTERN",
            "EMAIL_LOCAL_PART_PATTERN",
            "_local_part_fits",
            "EmailAddress",
        )
    ),
]


def package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"{service}_service"


def modules(service: str) -> dict[str, Path]:
    """Dotted module name inside the package (e.g. "handlers.orders_api") -> file."""
    root = package(service)
    return {
        ".".join(path.relative_to(root).with_suffix("").parts): path
        for path in sorted(root.rglob("*.py"))
    }


def imports(path: Path) -> list[str]:
    """Module-level and nested imports, absolute names."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def snake_case(logical_id: str) -> str:
    name = logical_id.removesuffix("Function")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_modules(service):
    missing = [m for m in REQUIRED_MODULES if not (package(service) / m).is_file()]
    assert missing == [], f"{service} lacks {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_handler_module_is_named_after_its_function_and_only_those_exist(service):
    template = load_template(f"services/{service}/template.yaml")
    expected = {
        f"{service}_service.handlers.{snake_case(logical_id)}.handler"
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    handlers = {
        resource["Properties"]["Handler"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert handlers == expected
    modules_on_disk = {
        f"{service}_service.handlers.{path.stem}.handler"
        for path in (package(service) / "handlers").glob("*.py")
        if path.stem != "__init__"
    }
    assert modules_on_disk == expected, "a handlers/ module that is no function's handler"


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_edges_import_boto3(service):
    for name, path in modules(service).items():
        top = name.split(".")[0]
        if top in ("handlers", "adapters") or name in AWS_EDGES:
            continue
        aws = [i for i in imports(path) if i.split(".")[0] in ("boto3", "botocore")]
        assert aws == [], (
            f"{service}: {name} imports {aws}; only handlers, adapters and the repository may"
        )


@pytest.mark.parametrize("service", SERVICES)
def test_domain_is_pure(service):
    own = f"{service}_service"
    allowed_own = {f"{own}.errors", f"{own}.models"}
    for name in imports(package(service) / "domain.py"):
        top = name.split(".")[0]
        assert top not in ("boto3", "botocore", "aws_lambda_powertools"), f"domain imports {name}"
        if top == own:
            assert any(name == a or name.startswith(a + ".") for a in allowed_own), (
                f"domain imports {name}: only errors and models"
            )


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_do_not_reach_into_handlers(service):
    own = f"{service}_service"
    for name, path in modules(service).items():
        if "." in name or name in FIXED_MODULES:
            continue
        for imported in imports(path):
            assert not imported.startswith(f"{own}.handlers"), f"{name} imports {imported}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_import_cycles(service):
    own = f"{service}_service"
    known = modules(service)
    graph = {
        name: {
            target
            for imported in imports(path)
            if imported.startswith(own + ".")
            for target in [imported.removeprefix(own + ".")]
            if target in known and target != name
        }
        for name, path in known.items()
    }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = [name for name in graph if reaches(name, name, {name})]
    assert cycles == [], f"{service}: modules in an import cycle: {cycles}"


def definitions(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text())
    return {
        node.name: ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    } | {
        target.id: ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


@pytest.mark.parametrize(("modules_", "name", "everywhere"), IDENTICAL_COPIES)
def test_deliberate_copies_stay_identical(modules_, name, everywhere):
    copies = {
        f"{s}:{module}": definitions(path)
        for s in SERVICES
        for module in modules_.split("|")
        if (path := package(s) / f"{module}.py").is_file()
    }
    names = {name} if name else set().union(*copies.values())
    for definition in sorted(names):
        versions = {s: defs[definition] for s, defs in copies.items() if definition in defs}
        if everywhere:
            assert len(versions) == len(SERVICES), f"{modules_}.{definition} missing somewhere"
        assert versions, f"{modules_}.{definition} is nowhere"
        assert len(set(versions.values())) == 1, (
            f"{modules_}.{definition} differs between {sorted(versions)}"
        )


def test_every_service_speaks_dynamodb_through_the_same_core():
    for service in SERVICES:
        defs = definitions(package(service) / "dynamodb.py")
        for core in ("to_item", "from_item", "is_condition_failure", "item_on_failure"):
            assert core in defs, f"{service}'s dynamodb.py lacks {core}"
