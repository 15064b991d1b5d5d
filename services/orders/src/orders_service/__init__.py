"""Orders service: places orders, shows them to their customer, records each checkout's outcome."""
