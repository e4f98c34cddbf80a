"""Fixtures for the attack tests: the console/review fixtures (an app on SQLite with an
injected clock, people with console passwords, stored clips), reused as they are."""

from __future__ import annotations

from tests.portal.conftest import app, client, clock, ctx, people, stored  # noqa: F401
