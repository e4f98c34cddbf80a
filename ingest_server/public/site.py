"""The whole public portal as files: one build for the server and the static export.

`build(records, ...)` counts, suppresses across every page at once (and across the
statistics API's year-by-year tables, which are cells of the same publication), and renders
each page, its CSV and JSON, the data dictionary and the stylesheet into a dict
of relative path -> bytes. Links between files are relative, so the same files
work under `/public/` on the server, on any web server, and from `file://`.
Nothing loads from another host: no script at all, charts inline as SVG.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ingest_server.public import charts, downloads
from ingest_server.public.counts import Counts, count
from ingest_server.public.pages import all_pages
from ingest_server.public.suppression import DEFAULT_MIN_COUNT, Suppression, suppress
from ingest_server.reporting.opm import ReportRecord

HERE = Path(__file__).parent
STATS_POLICY_VERSION = "public-stats-2026-12-01.2"  # .2: one suppression for the pages and the API
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}
_env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]), trim_blocks=True
)


@dataclass(frozen=True)
class Site:
    files: dict[str, bytes]
    meta: dict
    counts: Counts  # every cell of the publication, shown or not
    suppression: Suppression  # which of them are hidden: the one decision pages and API read


def rule(min_count: int) -> str:
    return f"Counts below {min_count} are not shown, so that no one can be identified."


def build(
    records: Iterable[ReportRecord],
    *,
    now: datetime,
    retention_policy_version: str,
    min_count: int = DEFAULT_MIN_COUNT,
) -> Site:
    counts = count(records)
    sup = suppress(counts.values, counts.constraints, min_count=min_count)
    meta = {
        "title": "Police use of force: public statistics",
        "data_as_of": now.strftime("%Y-%m-%d"),
        "stats_policy_version": STATS_POLICY_VERSION,
        "retention_policy_version": retention_policy_version,
        "min_count": min_count,
        "rule": rule(min_count),
        "years": counts.years,
    }
    files: dict[str, bytes] = {"public.css": (HERE / "public.css").read_bytes()}
    for page in all_pages(counts, sup):
        root = "" if page.is_state else "../"
        path = "index.html" if page.is_state else f"towns/{page.slug}.html"
        rendered = {t.id: charts.chart(t, page.injury_share) for t in page.tables}
        html = _env.get_template("area.html").render(page=page, meta=meta, root=root, charts=rendered)
        files[path] = html.encode()
        files[f"data/{page.slug}.csv"] = downloads.to_csv(page).encode()
        files[f"data/{page.slug}.json"] = downloads.to_json(page, meta).encode()
    files["data-dictionary.html"] = (
        _env.get_template("dictionary.html")
        .render(meta=meta, root="", columns=downloads.DICTIONARY, definitions=downloads.DEFINITIONS)
        .encode()
    )
    files["data/data-dictionary.csv"] = downloads.dictionary_csv().encode()
    files["data/index.json"] = json.dumps(
        {**meta, "files": sorted(p for p in files if p.startswith("data/"))}, indent=2
    ).encode()
    return Site(files=files, meta=meta, counts=counts, suppression=sup)


def media_type(path: str) -> str:
    return MEDIA_TYPES.get(Path(path).suffix, "application/octet-stream")


def write(site: Site, out: Path) -> list[Path]:
    """Write every file under `out` (created if missing); returns the paths written."""
    written = []
    for rel, data in sorted(site.files.items()):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        written.append(target)
    return written
