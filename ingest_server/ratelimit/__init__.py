"""Limits on failed attempts that hold across every server process: they live in the database."""
