"""Errors of the firmware_profiles package."""

from __future__ import annotations


class ProfileError(Exception):
    """A profile file is malformed, invalid or unknown. The message names the file and the field."""

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None):
        super().__init__(message)
        self.path = path
        self.field = field
