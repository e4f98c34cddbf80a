"""Keep share tokens out of the HTTP access log.

A review link's token is the only secret a prosecutor holds; the database keeps
only its hash and the audit log only a hash prefix. uvicorn's access log would
otherwise print `/review/<token>` in full, so `evidence-server serve` installs
this filter on the `uvicorn.access` logger.
"""

from __future__ import annotations

import logging
import re

_REVIEW = re.compile(r"(/review/)[^/?\s\"]+")


def redact(text: str) -> str:
    return _REVIEW.sub(r"\1[redacted]", text)


class RedactShareTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    logging.getLogger("uvicorn.access").addFilter(RedactShareTokens())
