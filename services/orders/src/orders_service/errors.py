"""Errors with meaning outside this service. Class names are the ASL error names."""


class OrderNotFound(Exception):
    """No order with that id."""


class InvalidStatusTransition(Exception):
    """The workflow asked for a status change the order's lifecycle forbids."""


class UnknownSku(Exception):
    """The catalog does not sell one or more of the requested skus (a client error)."""


class CatalogUnavailable(Exception):
    """The inventory service could not price the cart (a server-side, retryable error)."""


class CheckoutNotStarted(Exception):
    """Step Functions refused to start the checkout execution."""


class CompensationNotCompleted(Exception):
    """The reconciler could not run a compensation this time; the order stays due."""


class OutcomeNotPublished(Exception):
    """The reconciler could not publish the order's outcome event; the order stays due."""
