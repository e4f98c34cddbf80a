"""An upload request the server refuses: why, the words, and extra fields for the body."""

from __future__ import annotations

from ingest_server.refusals import Refused, Why


class UploadRefused(Refused):
    def __init__(self, why: Why, detail: str, **extra) -> None:
        super().__init__(why, detail)
        self.detail, self.extra = detail, extra
