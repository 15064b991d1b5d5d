"""Outbound adapters: the inventory pricing contract and the checkout workflow."""
