"""`python -m localrun serve | sign-in | invoke | env-vars | demo | bench | soak | check`.

    python -m localrun serve                      # API, Lambda and AWS endpoints until Ctrl-C
    python -m localrun sign-in --email ada@example.com   # an ID token from a running serve
    python -m localrun invoke ReserveStockFunction --event events/inventory/reserve-stock.json
    python -m localrun env-vars                   # sam local invoke's --env-vars for `serve`
    python -m localrun bench                      # timings on this machine (prints, asserts none)
    python -m localrun soak --orders 1000 --fault-rate 0.2 --seed 1   # faults, then invariants
    python -m localrun check --endpoint URL       # the invariants over what a `serve` holds now

Function logs go to stderr prefixed with the function's logical id; `invoke` prints the
function's result on stdout and exits 1 when the function failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from pathlib import Path

import boto3

from localrun.emulator import FAKE_CREDENTIALS
from localrun.env_vars import SERVE_AWS_PORT, SERVE_LAMBDA_PORT, SERVE_STRIPE_PORT
from localrun.lambdas import LambdaServiceError
from localrun.shop import Shop
from localrun.signin import LOCAL_PASSWORD, create_customer, sign_in
from localrun.site import SITE_DIR, StorefrontSite
from localrun.stack import DEFAULT_TEMPLATE, LocalApp
from localrun.template import REGION, Function, TemplateError

# The ports events/env-vars.local.json points containers at: `sam local invoke` works with it.
ENV_VARS_FILE_PORTS = (SERVE_AWS_PORT, SERVE_LAMBDA_PORT, SERVE_STRIPE_PORT)

# The local storefront's customer, made when `serve` starts (more sign in with `sign-in`).
SHOPPER = "shopper@example.com"


def _print_log_line(function: Function, line: str) -> None:
    print(f"{function.logical_id:<28}| {line}", file=sys.stderr, flush=True)


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {pair!r}")
        parameters[key] = value
    return parameters


def _app(args: argparse.Namespace, **kwargs) -> LocalApp:
    return LocalApp(
        args.template,
        stack_name=args.stack_name,
        parameters=_parameters(args.parameter_overrides),
        log_sink=_print_log_line if not args.quiet else (lambda function, line: None),
        **kwargs,
    )


def _seed(app: LocalApp) -> None:
    """What a dev environment has: the sample catalog (when the app has an inventory)."""
    shop = Shop(app)
    if shop.has_catalog():
        shop.seed_catalog()


def serve(args: argparse.Namespace) -> int:
    # The API allows the local storefront's origin (the template's SiteOrigin, CORS).
    site_origin = f"http://127.0.0.1:{args.site_port}"
    args.parameter_overrides = [f"SiteOrigin={site_origin}", *args.parameter_overrides]
    app = _app(
        args,
        api_port=args.api_port,
        lambda_port=args.lambda_port,
        aws_port=args.aws_port,
        stripe_port=args.stripe_port,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with app.start(virtual_time=args.virtual_time), contextlib.ExitStack() as site:
        _seed(app)
        if (args.site_dir / "index.html").is_file() and app.gateways and app.model.user_pools:
            storefront = _start_storefront(app, args.site_dir, args.site_port)
            site.callback(storefront.stop)
            print(f"Storefront     {storefront.url}  (sign in as {SHOPPER} / {LOCAL_PASSWORD})")
        else:
            print(f"Storefront     not built ({args.site_dir}): make storefront")
        print(f"API            {', '.join(g.url for g in app.gateways) or '(none)'}")
        for gateway in app.gateways:
            for route in gateway.api.routes:
                function = app.model.function(route.function_arn)
                print(f"  {route.method:<7}{route.resource:<28}-> {function.logical_id}")
        print(f"Lambda         {app.lambdas.endpoint_url}  (AWS_ENDPOINT_URL_LAMBDA)")
        print(f"AWS (moto)     {app.emulator.url}  (AWS_ENDPOINT_URL)")
        if app.pays_through_stripe:
            print(f"Stripe (fake)  {app.fake_stripe.url}  (STRIPE_API_BASE)")
        if (args.aws_port, args.lambda_port, args.stripe_port) == ENV_VARS_FILE_PORTS:
            print(
                "Docker         sam local invoke --config-env local "
                "InventoryApp/ReserveStockFunction -e events/inventory/reserve-stock.json"
            )
        for machine in app.model.state_machines:
            print(f"State machine  {machine.arn}")
        _print_sign_in(app)
        print("Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def _start_storefront(app: LocalApp, site_dir: Path, port: int) -> StorefrontSite:
    """The built site, its config.json naming the local API and user pool, and a customer to
    sign in as."""
    pool = app.model.user_pool()
    [client] = app.model.clients_of(pool)
    create_customer(app.client("cognito-idp"), pool.id, SHOPPER, LOCAL_PASSWORD)
    storefront = StorefrontSite(
        site_dir,
        {
            "apiUrl": app.api_url,
            "region": REGION,
            "userPoolId": pool.id,
            "userPoolClientId": client.id,
            "cognitoEndpoint": f"{app.emulator.url}/",
        },
    )
    storefront.start(port=port)
    return storefront


def _print_sign_in(app: LocalApp) -> None:
    """How to call the orders routes: an ID token of a (local) customer account."""
    if not app.model.user_pools:
        return
    pool = app.model.user_pool()
    [client] = app.model.clients_of(pool)
    endpoint = f"--endpoint-url {app.emulator.url} --region {REGION}"
    aws = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws cognito-idp"
    print(f"User pool      {pool.id}, app client {client.id}")
    print("  an ID token for the orders routes (the account is made on first use):")
    print("    TOKEN=$(python -m localrun sign-in --email ada@example.com)")
    print(f'    curl -H "Authorization: $TOKEN" {app.api_url}/orders')
    print("  or with the AWS CLI:")
    print(
        f"    {aws} admin-create-user {endpoint} --user-pool-id {pool.id} "
        "--username ada@example.com --message-action SUPPRESS "
        "--user-attributes Name=email,Value=ada@example.com Name=email_verified,Value=true"
    )
    print(
        f"    {aws} admin-set-user-password {endpoint} --user-pool-id {pool.id} "
        f"--username ada@example.com --password {LOCAL_PASSWORD} --permanent"
    )
    print(
        f"    {aws} initiate-auth {endpoint} --client-id {client.id} "
        "--auth-flow USER_PASSWORD_AUTH "
        f"--auth-parameters USERNAME=ada@example.com,PASSWORD={LOCAL_PASSWORD} "
        "--query AuthenticationResult.IdToken --output text"
    )


def sign_in_command(args: argparse.Namespace) -> int:
    """Print an ID token of `--email` from the user pool of a running `serve`."""
    import boto3

    model = _app(args).model  # the model `serve` was started from: the same pool and client ids
    pool = model.user_pool()
    [client] = model.clients_of(pool)
    cognito = boto3.client(
        "cognito-idp", endpoint_url=args.endpoint, region_name=REGION, **FAKE_CREDENTIALS
    )
    result = sign_in(cognito, pool.id, client.id, args.email, args.password)
    print(result["AccessToken"] if args.access_token else result["IdToken"])
    return 0


def invoke(args: argparse.Namespace) -> int:
    event = sys.stdin.read() if args.event == "-" else Path(args.event).read_text()
    with _app(args).start(virtual_time=True) as app:
        _seed(app)
        try:
            result = app.lambdas.invoke(args.function, event)
        except LambdaServiceError as error:
            print(f"{error.code}: {error.message}", file=sys.stderr)
            return 2
    print(json.dumps(result.json(), indent=2))
    if result.init_duration_ms is not None:
        print(
            f"init {result.init_duration_ms:.0f} ms, duration {result.duration_ms:.0f} ms",
            file=sys.stderr,
        )
    return 1 if result.function_error else 0


def env_vars(args: argparse.Namespace) -> int:
    """The --env-vars file `sam local invoke` needs: for `serve`, or for a deployed stack."""
    from localrun import env_vars as files

    if args.stack:
        session = boto3.session.Session(region_name=args.region)
        document = files.for_stack(
            args.stack, session.client("cloudformation"), session.client("lambda")
        )
    else:
        document = files.for_local_run(_app(args).model)
    text = files.render(document)
    if args.check:
        if not args.output.is_file() or args.output.read_text() != text:
            print(f"{args.output} is stale: run `python -m localrun env-vars`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def check(args: argparse.Namespace) -> int:
    """The invariants over a running `serve` (its AWS endpoint): exit 1 on any violation."""
    from localrun.invariants import RemoteRun, read_snapshot
    from localrun.invariants import check as violations_of
    from localrun.shop import SAMPLE_CATALOG

    # The model `serve` was started from (same template, stack name and parameters).
    snapshot = read_snapshot(RemoteRun(args.endpoint, _app(args).model))
    catalog = json.loads((args.seeded or SAMPLE_CATALOG).read_text())["products"]
    seeded = {product["sku"]: product["stock"] for product in catalog}
    statuses: dict[str, int] = {}
    for order in snapshot.orders.values():
        statuses[order["status"]] = statuses.get(order["status"], 0) + 1
    print(
        f"orders: {statuses or 'none'}; executions: {len(snapshot.executions)}; "
        f"emails: {len(snapshot.emails)}"
    )
    found = violations_of(snapshot, seeded)
    for violation in found:
        print(violation)
    print(f"{len(found)} violation(s)")
    return 1 if found else 0


def demo(args: argparse.Namespace) -> int:
    from localrun.demo import run  # the scenarios live with the demo, not the CLI

    return run()


def _unlogged_app(args: argparse.Namespace, **defaults: str) -> LocalApp:
    """For a load: function logs are not shown (thousands of lines, and forwarding them costs
    runner time). `defaults`: template parameters the command sets unless overridden."""
    return LocalApp(
        args.template,
        stack_name=args.stack_name,
        parameters=defaults | _parameters(args.parameter_overrides),
        log_sink=lambda function, line: None,
    )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench(args: argparse.Namespace) -> int:
    from localrun.bench import run  # the measurements live with the bench, not the CLI

    return run(_unlogged_app(args), progress=_progress)


def soak(args: argparse.Namespace) -> int:
    from localrun.soak import run  # the soak lives with its helpers, not the CLI

    return run(
        # The soak's cards include provider outages, which only the sandbox provider makes.
        _unlogged_app(args, PaymentProvider="simulated"),
        orders=args.orders,
        fault_rate=args.fault_rate,
        seed=args.seed,
        progress=_progress,
    )


def _fault_rate(text: str) -> float:
    rate = float(text)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError(f"a share of the task invocations, 0 to 1: {text}")
    return rate


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"at least 1: {text}")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localrun",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--stack-name", help="default: samconfig.toml's, like sam deploy")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--quiet", action="store_true", help="hide function logs")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the application until Ctrl-C")
    serve_parser.add_argument("--api-port", type=int, default=3000)
    serve_parser.add_argument("--lambda-port", type=int, default=SERVE_LAMBDA_PORT)
    serve_parser.add_argument("--aws-port", type=int, default=SERVE_AWS_PORT, help="moto's")
    serve_parser.add_argument(
        "--stripe-port", type=int, default=SERVE_STRIPE_PORT, help="the fake Stripe's"
    )
    serve_parser.add_argument("--site-port", type=int, default=3003, help="the storefront's")
    serve_parser.add_argument(
        "--site-dir", type=Path, default=SITE_DIR, help="the built storefront (make storefront)"
    )
    serve_parser.add_argument(
        "--virtual-time", action="store_true", help="skip Retry backoffs and Wait states"
    )
    serve_parser.set_defaults(run=serve)

    sign_in_parser = commands.add_parser(
        "sign-in", help="print a customer's ID token from a running serve (account made if new)"
    )
    sign_in_parser.add_argument("--email", required=True)
    sign_in_parser.add_argument("--password", default=LOCAL_PASSWORD)
    sign_in_parser.add_argument(
        "--endpoint",
        default=f"http://127.0.0.1:{SERVE_AWS_PORT}",
        help="the AWS (moto) URL serve prints",
    )
    sign_in_parser.add_argument(
        "--access-token", action="store_true", help="print the access token instead"
    )
    sign_in_parser.set_defaults(run=sign_in_command)

    invoke_parser = commands.add_parser("invoke", help="invoke one function once")
    invoke_parser.add_argument("function", help="logical id, name or ARN")
    invoke_parser.add_argument("--event", required=True, help="JSON file, or - for stdin")
    invoke_parser.set_defaults(run=invoke)

    env_vars_parser = commands.add_parser(
        "env-vars", help="write the --env-vars file of `sam local invoke` (serve, or a stack)"
    )
    env_vars_parser.add_argument("--stack", help="a deployed stack (default: serve's emulator)")
    env_vars_parser.add_argument("--region", default=REGION, help="the deployed stack's")
    env_vars_parser.add_argument("--output", type=Path, help="default: events/env-vars.<...>.json")
    env_vars_parser.add_argument("--check", action="store_true", help="exit 1 if it is stale")
    env_vars_parser.set_defaults(run=env_vars)

    commands.add_parser("demo", help="every checkout path, end to end").set_defaults(run=demo)
    check_parser = commands.add_parser(
        "check", help="check the invariants over a running serve (exit 1 on a violation)"
    )
    check_parser.add_argument("--endpoint", required=True, help="the AWS (moto) URL serve prints")
    check_parser.add_argument(
        "--seeded", type=Path, help="the catalog the stock started from (default: the sample)"
    )
    check_parser.set_defaults(run=check)
    commands.add_parser(
        "bench", help="measure latency, throughput, transitions, overhead, cold starts (prints)"
    ).set_defaults(run=bench)

    soak_parser = commands.add_parser(
        "soak", help="many orders, faults injected, then the invariants (exits 1 on a violation)"
    )
    soak_parser.add_argument("--orders", type=_positive, default=1000)
    soak_parser.add_argument(
        "--fault-rate", type=_fault_rate, default=0.2, help="share of task invocations faulted"
    )
    soak_parser.add_argument("--seed", type=int, default=1, help="draws the carts and the faults")
    soak_parser.set_defaults(run=soak)

    args = parser.parse_args(argv)
    if args.command == "env-vars" and args.output is None:
        from localrun.env_vars import LOCAL_FILE

        args.output = (
            LOCAL_FILE.with_name(f"env-vars.{args.stack}.json") if args.stack else LOCAL_FILE
        )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # The interpreter logs every Fail state as an ERROR; the execution history already says it.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    try:
        return args.run(args)
    except TemplateError as error:
        print(f"template: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
