"""Outbound adapters: the inventory pricing and payments registration contracts, the checkout
workflow, the compensation contracts and the outcome events."""
