"""The local status page of `evidence-agent run`: what a trooper needs to see, on 127.0.0.1 only.

One page, refreshed every two seconds, built from the same bounded data as
`evidence-agent status` (`status_report.build_status`): the docked cameras with
each one's offload progress and time left, the upload rate and bandwidth limit,
the oldest clip without a receipt and why, and a "needs a person" list
(quarantined clips, paused or failing workers, a refused token, a full spool,
unrecognised volumes, release refusals). Bounded whatever the journal holds;
every value is HTML-escaped. `GET /status.json` gives the same data. The server
binds to loopback only: the page has no sign-in, so it must not leave the car.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from edge_agent.status_report import build_status

log = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"


def needs_a_person(status: dict) -> list[str]:
    """What a person must act on, in plain words (pure: from `build_status` data)."""
    out = []
    if status.get("paused"):
        out.append(f"Offload paused: {status['paused']}")
    for name, t in sorted(status.get("threads", {}).items()):
        if t["state"] not in ("running", "stopped"):
            out.append(f"{name} {t['state']}: {t.get('reason') or ''}")
    for q in status.get("quarantined", []):
        out.append(f"Quarantined clip {q['id']} {q['relpath']}: {q['reason']}")
    more = status.get("quarantined_total", 0) - len(status.get("quarantined", []))
    if more > 0:
        out.append(f"... and {more} more quarantined clips")
    for v in status.get("docked", []):
        if v.get("state") == "unrecognised":
            out.append(f"Volume {v['root']}: {v.get('note')}")
    return out


def _fmt_bytes(n: float | None) -> str:
    n = float(n or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} GB"


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "unknown"
    s = int(round(s))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def render_page(status: dict) -> str:
    e = html.escape
    rows = []
    for v in status.get("docked", []):
        off = v.get("offload") or {}
        if off:
            pct = 100 * off["bytes_done"] / off["bytes_total"] if off.get("bytes_total") else 100.0
            progress = (
                f"<progress max=100 value={pct:.0f}></progress> "
                f"{off['clips_done']}/{off['clips_total']} clips, "
                f"{_fmt_bytes(off['bytes_done'])} of {_fmt_bytes(off['bytes_total'])}, "
                f"{_fmt_bytes(off['bytes_per_second'])}/s, "
                + ("done" if off.get("finished") else f"time left {_fmt_seconds(off.get('seconds_left'))}")
            )
        else:
            progress = "waiting for quiet files" if v.get("clips_waiting") else "nothing to copy"
        rows.append(
            f"<tr><td>{e(str(v.get('device_serial') or '-'))}</td><td>{e(str(v.get('profile') or '-'))}</td>"
            f"<td>{e(v['root'])}</td><td>{progress}</td></tr>"
        )
    up = status.get("upload") or {}
    if up:
        limit = _fmt_bytes(up["bandwidth_limit_bps"]) + "/s" if up.get("bandwidth_limit_bps") else "none"
        rate, sent = _fmt_bytes(up.get("bytes_per_second")), _fmt_bytes(up.get("bytes_sent"))
        upload = f"{rate}/s, limit {e(limit)}, {sent} sent"
        if up.get("paused"):
            upload += f" — {e(up['paused'])}"
    else:
        upload = "no server configured"
    old = status.get("oldest_unreceipted")
    oldest = (
        f"clip {old['id']} {e(old['relpath'])} ({e(str(old['state']))}) "
        f"for {_fmt_seconds(old['age_seconds'])}"
        + (f": {e(old['last_error'])}" if old.get("last_error") else "")
        if old
        else "every clip has its receipt"
    )
    counts = ", ".join(f"{e(k)} {v}" for k, v in status.get("counts", {}).items() if v) or "no clips yet"
    needs = needs_a_person(status)
    needs_html = (
        "<ul class=needs>" + "".join(f"<li>{e(n)}</li>" for n in needs) + "</ul>"
        if needs
        else "<p class=ok>Nothing needs a person.</p>"
    )
    more = status.get("volumes_total", 0) - len(status.get("volumes", []))
    more_html = f"<p>... and {more} more volumes</p>" if more > 0 else ""
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=2>
<title>Evidence agent</title>
<style>
body{{font:16px system-ui,sans-serif;margin:1em;max-width:60em}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ccc;padding:.3em;text-align:left}} .needs li{{color:#a00;font-weight:bold}}
.ok{{color:#060}} progress{{width:8em}}
</style></head><body>
<h1>Evidence agent</h1>
<h2>Needs a person</h2>{needs_html}
<h2>Docked cameras</h2>
<table><tr><th>Serial</th><th>Profile</th><th>Volume</th><th>Offload</th></tr>{
        "".join(rows) or "<tr><td colspan=4>no camera docked</td></tr>"
    }</table>{more_html}
<h2>Upload</h2><p id=upload>{upload}</p>
<h2>Oldest clip without a receipt</h2><p id=oldest>{oldest}</p>
<h2>Clips</h2><p id=counts>{counts}</p>
</body></html>"""


class StatusPage:
    """The page's HTTP server on 127.0.0.1:`port`, in a daemon thread (`port` 0: any free port)."""

    def __init__(self, spool_dir: Path, port: int, live: Callable[[], dict] | None = None):
        """`live`: the running agent's status snapshot (else the saved `status.json` is read)."""
        spool_dir = Path(spool_dir)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                try:
                    status = build_status(spool_dir, live=live() if live else None)
                except Exception as exc:  # a page must answer, even about itself
                    log.exception("status page")
                    status = {"message": f"status unavailable: {exc}"}
                if self.path == "/status.json":
                    body, kind = json.dumps(status, default=str).encode(), "application/json"
                elif self.path in ("/", "/index.html"):
                    page = render_page(status) if "message" not in status else html.escape(status["message"])
                    body, kind = page.encode(), "text/html; charset=utf-8"
                else:
                    self.send_error(404, "only / and /status.json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args) -> None:  # noqa: A002
                log.debug("status page: " + format, *args)

        self._server = ThreadingHTTPServer((LOOPBACK, port), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, name="status-page", daemon=True)

    def start(self) -> StatusPage:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
