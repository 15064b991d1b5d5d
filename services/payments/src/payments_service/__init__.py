"""Payments service: charges and refunds checkout orders through a payment provider."""
