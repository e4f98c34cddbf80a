"""An upload request the server refuses, with its HTTP status and extra fields."""

from __future__ import annotations


class UploadRefused(Exception):
    def __init__(self, status: int, detail: str, **extra) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra
