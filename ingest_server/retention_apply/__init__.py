"""retention_apply."""
