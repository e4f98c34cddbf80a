"""Devices (edge agents in cars), enrolled by an admin, each with its own bearer token."""
