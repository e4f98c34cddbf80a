"""What every console and review page shares: the Jinja2 templates and their
filters, the HTML error page, the sign-in redirect, the session cookie and its
CSRF token. `portal/install.py` wires the page routers, static files and handlers.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ingest_server.audit.words import in_words
from ingest_server.auth.permissions import may
from ingest_server.clips import labels

HERE = Path(__file__).parent
COOKIE = "evidence_portal"
templates = Jinja2Templates(directory=str(HERE / "templates"))


class PortalError(Exception):
    """Shown to a person as an HTML page with this status."""

    def __init__(self, status: int, title: str, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.headers = status, title, message, headers or {}


class SignInRequired(Exception):
    def __init__(self, message: str, next_path: str) -> None:
        super().__init__(message)
        self.message, self.next_path = message, next_path


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "unknown"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    whole = int(round(seconds))
    return (
        f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
        if whole >= 3600
        else f"{whole // 60}:{whole % 60:02d}"
    )


def size(n: int | None) -> str:
    if n is None:
        return "unknown"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def offset(seconds: float | None, uncertainty: float | None = None) -> str:
    """A camera clock offset as a person reads it: "+4.5 s ±0.6 s" (or "unknown")."""
    if seconds is None:
        return "unknown"
    return f"{seconds:+.1f} s" + (f" ±{uncertainty:.1f} s" if uncertainty is not None else "")


templates.env.filters.update(
    when=when,
    duration=duration,
    size=size,
    offset=offset,
    warnings=labels.warnings,
    notes=labels.notes,
    short_flags=labels.short_flags,
    recorded_by=labels.recorded_by,
    in_words=in_words,
)
templates.env.globals.update(may=may)  # links on a page follow the one authorization table


def csrf_for(raw_cookie: str) -> str:
    return hashlib.sha256(f"csrf:{raw_cookie}".encode()).hexdigest()[:40]


# Pages hold evidence facts and (review pages) a secret link: never cached, never framed, and the
# link never leaves in a Referer header. Scripts and styles come only from the server itself.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; media-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}


def render(request: Request, name: str, status_code: int = 200, headers: dict | None = None, **context):
    context.setdefault("principal", getattr(request.state, "principal", None))
    raw = request.cookies.get(COOKIE)
    context.setdefault("csrf", csrf_for(raw) if raw else "")
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers={**PAGE_HEADERS, **(headers or {})}
    )
