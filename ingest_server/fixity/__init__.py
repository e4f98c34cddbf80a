"""fixity."""
