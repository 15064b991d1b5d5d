"""Errors with meaning outside this service. Class names are the ASL error names."""


class OrderNotFound(Exception):
    """No order with that id."""


class InvalidStatusTransition(Exception):
    """The workflow asked for a status change the order's lifecycle forbids."""


class UnknownSku(Exception):
    """The catalog does not sell one or more of the requested skus (a client error)."""


class CatalogUnavailable(Exception):
    """The inventory service could not price the cart (a server-side, retryable error)."""


class PaymentsUnavailable(Exception):
    """The payments service could not take the order's payment token (a server-side, retryable
    error)."""


class CheckoutNotStarted(Exception):
    """Step Functions refused to start the checkout execution."""


class CheckoutHistoryUnavailable(Exception):
    """Step Functions did not answer for an execution's history (throttled, unreachable): the
    caller may ask again later."""


class CompensationNotCompleted(Exception):
    """The reconciler could not run a compensation this time; the order stays due."""


class OutcomeNotPublished(Exception):
    """The reconciler could not publish the order's outcome event; the order stays due."""


class NotARestApiEvent(Exception):
    """The function was invoked with something other than an API Gateway REST API proxy event
    (an HTTP API v2 payload, an ALB request, a queue message...): it serves only that API."""

    def __init__(self) -> None:
        super().__init__(
            "this function serves API Gateway REST API proxy events only (httpMethod, path and "
            "requestContext.resourcePath); HTTP API (v2), ALB and other events are refused"
        )


class UnreadableRequestBody(Exception):
    """A request body the API cannot read as JSON for a reason other than its syntax (a client
    error): nesting too deep, a number too long."""


class NoMailableEmail(Exception):
    """The signed-in customer's token carries no verified email address that the order's mail
    can go to (a client error: verify the address, or change it, and sign in again)."""
