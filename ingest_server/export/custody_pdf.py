"""The chain-of-custody report of one clip as a PDF a clerk can print (fpdf2).

    to_pdf(clip, events, file_name=..., generated_at=..., exporter=..., paper="A4" | "Letter",
           related=[{name, size, sha256, path?}, ...]) -> bytes
    clip_report(clip, session=..., generated_at=..., exporter=..., paper="a4" | "letter") -> (bytes, name)

Same facts as the HTML report (`export/custody.py`): the clip, its flags, the
clock offset with its uncertainty, its sidecar files (name on the camera, size,
path in the package when there is one, full SHA-256), and every event in plain
words with its type, outcome, who and from where, and its full SHA-256 hash on a
line of its own (in Courier 8 pt a hash is 108 mm wide: it fits A4 and Letter
with 15 mm margins, so nothing is cut; long text wraps). The core PDF fonts are Latin-1 only: the few
other characters the words use are spelled out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF

from ingest_server.audit.models import AuditEvent
from ingest_server.audit.words import in_words
from ingest_server.clips import labels, sightings
from ingest_server.clips.models import Clip
from ingest_server.export import custody
from ingest_server.export.custody import describe, offset_text
from ingest_server.export.naming import readable_name
from ingest_server.related import service as related_files

PAPERS = {"a4": "A4", "letter": "Letter"}
_SPELLED = {"\u2026": "...", "\u2192": "->", "\u26a0": "!", "\u2013": "-", "\u2014": "-", "\u00d7": "x"}


def _latin1(text: str) -> str:
    for char, spelled in _SPELLED.items():
        text = text.replace(char, spelled)
    return text.encode("latin-1", "replace").decode("latin-1")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "unknown"


class _Report(FPDF):
    def __init__(self, paper: str, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format=paper)
        self.title_text = title
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, _latin1(f"{self.title_text} - page {self.page_no()}/{{nb}}"), align="C")

    def text_line(self, text: str, *, size: float = 9, style: str = "", font: str = "Helvetica") -> None:
        self.set_font(font, style=style, size=size)
        self.multi_cell(0, size * 0.45, _latin1(text), new_x="LMARGIN", new_y="NEXT", align="L")


def to_pdf(
    clip: Clip,
    events: list[AuditEvent],
    *,
    file_name: str,
    generated_at: datetime,
    exporter: str,
    paper: str = "A4",
    related: Sequence[dict] = (),
) -> bytes:
    """`related`: the clip's sidecars, as export/sidecars.py:listed gives them (in a package) or
    without `path` (the console's report)."""
    pdf = _Report(paper, f"Chain of custody: {file_name}")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.text_line(f"Chain of custody: {file_name}", size=14, style="B")
    pdf.ln(2)
    for warning in labels.warnings(clip):
        pdf.set_text_color(164, 22, 26)
        pdf.text_line(f"! {warning}", size=9, style="B")
        pdf.set_text_color(0, 0, 0)
    facts = [
        ("File in the package", f"data/{file_name}"),
        ("SHA-256 of the original", clip.sha256),
        ("Size", f"{clip.size} bytes"),
        ("Name on the camera", clip.original_name),
        ("Recorded by", labels.recorded_by(clip)),
        ("Flags", labels.short_flags(clip) or "none"),
        ("Camera serial", clip.camera_serial or "unknown"),
        ("Vehicle", clip.vehicle_id or "none"),
        ("Recorded (camera clock)", f"{_when(clip.camera_start)} to {_when(clip.camera_end)}"),
        ("Recorded (corrected, UTC)", f"{_when(clip.corrected_start)} to {_when(clip.corrected_end)}"),
        ("Camera clock offset", offset_text(clip)),
        ("Stored", f"{_when(clip.stored_at)} (clip id {clip.id})"),
        ("Report generated", f"{_when(generated_at)} by {exporter}"),
    ]
    for label, value in facts:
        pdf.set_font("Helvetica", style="B", size=9)
        pdf.cell(48, 4.5, _latin1(label))
        font = "Courier" if label.startswith("SHA-256") else "Helvetica"
        pdf.set_font(font, size=8 if font == "Courier" else 9)
        pdf.multi_cell(0, 4.5, _latin1(str(value)), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.text_line(
        "Check the file: sha256sum on it must print the SHA-256 above. Each event below is one entry of the "
        "server's hash-chained audit log; its hash covers its fields and the hash of the event before it. "
        "The package's data/custody/verify_package.py recomputes every hash and checks the chain against the "
        "signed checkpoint.",
        size=8,
    )
    pdf.ln(2)
    _sidecars(pdf, related)
    pdf.text_line(f"Sightings ({len(clip.sightings)})", size=11, style="B")
    for number, sighting in enumerate(clip.sightings, start=1):
        pdf.text_line(f"{number}. {sightings.in_words(sighting)}", size=8)
    pdf.ln(2)
    pdf.text_line(f"Events ({len(events)})", size=11, style="B")
    for e in events:
        if pdf.will_page_break(22):
            pdf.add_page()
        pdf.set_draw_color(190, 190, 190)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1)
        pdf.text_line(f"#{e.seq}  {e.occurred_at}   {in_words(e)}", size=9, style="B")
        detail = describe(e.detail)
        pdf.text_line(
            f"{e.event_type}, {e.outcome}; {e.actor}{' from ' + e.source if e.source else ''}"
            + (f"; {detail}" if detail else ""),
            size=8,
        )
        pdf.text_line(f"Event hash {e.hash}", size=8, font="Courier")
        pdf.ln(1)
    return bytes(pdf.output())


def _sidecars(pdf: _Report, related: Sequence[dict]) -> None:
    """The clip's related files: name on the camera, size, path in the package, full SHA-256."""
    if not related:
        return
    pdf.text_line(f"Sidecar files, related files of this recording ({len(related)})", size=11, style="B")
    for number, r in enumerate(related, start=1):
        if pdf.will_page_break(14):
            pdf.add_page()
        pdf.text_line(f"{number}. {r['name']} ({r['size']} bytes)", size=9)
        if r.get("path"):
            pdf.text_line(f"In this package: data/{r['path']}", size=8)
        pdf.text_line(f"SHA-256 {r['sha256']}", size=8, font="Courier")
    pdf.ln(2)


def clip_report(
    clip: Clip, *, session, generated_at: datetime, exporter: str, paper: str
) -> tuple[bytes, str]:
    """The PDF of `clip`'s whole trail and the name to download it as."""
    name = readable_name(clip)
    data = to_pdf(
        clip,
        custody.trail(session=session, clip_id=clip.id),
        file_name=name,
        generated_at=generated_at,
        exporter=exporter,
        paper=PAPERS[paper],
        related=[
            {"name": r.name, "size": r.size, "sha256": r.sha256}
            for r in related_files.of_clip(session=session, clip_id=clip.id)
        ],
    )
    return data, f"custody-{name}.pdf"
