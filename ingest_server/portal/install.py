"""`install(app)`: the console, the review pages and their static files on the app,
with the handlers that turn a `PortalError` into the HTML error page and
`SignInRequired` into the sign-in redirect. The portal's only entry point.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from ingest_server.portal.alignment_pages import router as alignment_pages_router
from ingest_server.portal.approval_pages import router as approval_pages_router
from ingest_server.portal.hold_pages import router as hold_pages_router
from ingest_server.portal.pages import router as pages_router
from ingest_server.portal.redaction_pages import router as redaction_pages_router
from ingest_server.portal.related_pages import router as related_pages_router
from ingest_server.portal.report_pages import router as report_pages_router
from ingest_server.portal.review_pages import router as review_router
from ingest_server.portal.share_pages import router as share_pages_router
from ingest_server.portal.web import HERE, PortalError, SignInRequired, render


def install(app: FastAPI) -> None:
    """Add the console, the review pages and their static files to `app`."""
    for router in (
        pages_router,
        related_pages_router,
        report_pages_router,
        alignment_pages_router,
        approval_pages_router,
        hold_pages_router,
        share_pages_router,
        redaction_pages_router,
        review_router,
    ):
        app.include_router(router)
    app.mount("/portal/static", StaticFiles(directory=str(HERE / "static")), name="portal.static")

    @app.exception_handler(PortalError)
    async def _portal_error(request: Request, exc: PortalError):
        brand = "Evidence review" if request.url.path.startswith("/review/") else None
        return render(
            request, "error.html", exc.status, exc.headers, title=exc.title, message=exc.message, brand=brand
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired):
        target = f"/portal/sign-in?next={quote(exc.next_path)}&m={quote(exc.message)}"
        return RedirectResponse(target, status_code=303)
