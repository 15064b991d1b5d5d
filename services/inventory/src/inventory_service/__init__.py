"""Inventory service: product catalog, price quotes and stock reservations."""
