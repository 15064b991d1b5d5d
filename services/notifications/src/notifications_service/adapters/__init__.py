"""Everything the service calls besides its own table: one module per outbound dependency."""
