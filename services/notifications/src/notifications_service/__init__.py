"""notifications service: emails customers the outcome of their orders."""
