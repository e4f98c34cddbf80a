"""Custodian console: server-rendered pages (Jinja2), console sign-in and sessions (CJIS rules)."""
