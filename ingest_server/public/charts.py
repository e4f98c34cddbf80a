"""Server-rendered SVG charts for the public pages: no script, no web font, no CDN.

Pure: a `Table` in, an SVG string out. The drawing scales to the width of the
page (viewBox, 360 units wide, so 14-unit text stays readable on a 390-pixel
phone), prints in black and white, and uses the Okabe–Ito colours, which stay
distinct for colour-blind readers. Every value is written beside its mark, so
colour never carries meaning alone; a hidden count is drawn as a hatched box
labelled "not shown", never as zero.
"""

from __future__ import annotations

from html import escape

from ingest_server.public.pages import HIDDEN_TEXT, Table

BLUE, VERMILLION, GREY, INK = "#0072B2", "#D55E00", "#595959", "#1a1a1a"  # Okabe–Ito blue, vermillion
WIDTH = 360
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"  # an attribute: CSP forbids inline style


def _svg(table: Table, height: int, body: list[str], summary: str) -> str:
    tid = f"chart-{table.id}"
    hatch = (
        f'<pattern id="{tid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{GREY}" stroke-width="2"/></pattern>'
        f'<pattern id="{tid}-stripes" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(-45)"><rect width="8" height="8" fill="{VERMILLION}"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="#fff" stroke-width="2.5"/></pattern>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{tid}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{tid}-title {tid}-desc" font-family="{FONT}">'
        f'<title id="{tid}-title">{escape(table.title)}</title>'
        f'<desc id="{tid}-desc">{escape(summary)} The numbers are in the table beside the chart.</desc>'
        f"<defs>{hatch}</defs>{''.join(body)}</svg>"
    )


def _hidden_box(tid: str, x: float, y: float, w: float, h: float, key: str = "") -> str:
    return (
        f'<rect class="hidden" data-row="{escape(key)}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
        f'height="{h:.1f}" fill="url(#{tid}-hatch)" '
        f'stroke="{GREY}" stroke-width="1"/>'
    )


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def line_chart(table: Table) -> str:
    """Reports by year: a trend line through shown years, broken at hidden ones."""
    tid, rows = f"chart-{table.id}", table.rows
    left, right, top, bottom, height = 40, 14, 24, 48, 230
    shown = [r.value for r in rows if r.value is not None]
    top_value = _nice_max(max(shown, default=0) or 1)
    plot_h = height - top - bottom
    step = (WIDTH - left - right) / max(len(rows), 1)
    body = []
    for i in range(5):
        v = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="{INK}">{v:g}</text>'
        )
    points, segments, current = [], [], []
    for i, row in enumerate(rows):
        x = left + step * (i + 0.5)
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 18}" font-size="14" text-anchor="middle" '
            f'fill="{INK}">{escape(row.label)}</text>'
        )
        if row.value is None:
            if current:
                segments.append(current)
            current = []
            body.append(_hidden_box(tid, x - 9, top + plot_h - 18, 18, 18, row.key))
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h - 24:.1f}" font-size="12" text-anchor="middle" '
                f'fill="{GREY}">{HIDDEN_TEXT}</text>'
            )
            continue
        y = top + plot_h - plot_h * row.value / top_value
        current.append((x, y))
        points.append((x, y, row))
    if current:
        segments.append(current)
    for seg in segments:
        if len(seg) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            body.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="3"/>')
    for x, y, row in points:
        value = row.value
        body.append(
            f'<circle class="mark" data-row="{escape(row.key)}" data-value="{value}" cx="{x:.1f}" '
            f'cy="{y:.1f}" r="5" fill="{BLUE}" stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{y - 10:.1f}" font-size="14" font-weight="600" text-anchor="middle" '
            f'fill="{INK}">{value:,}</text>'
        )
    body.append(
        f'<text x="{left}" y="{height - 8}" font-size="12" fill="{INK}">Year of incident; '
        f"{escape(table.unit)} per year</text>"
    )
    first, last = (rows[0].label, rows[-1].label) if rows else ("", "")
    summary = f"Line chart of {table.unit} per year from {first} to {last}."
    return _svg(table, height, body, summary)


def bar_chart(table: Table) -> str:
    """One horizontal bar per row, its value written at its end."""
    tid, rows = f"chart-{table.id}", table.rows
    label_w, bar_h, gap, top = 150, 24, 10, 8
    height = top + len(rows) * (bar_h + gap) + 8
    shown = [r.value for r in rows if r.value is not None]
    top_value = max(shown, default=0) or 1
    room = WIDTH - label_w - 56
    body = []
    for i, row in enumerate(rows):
        y = top + i * (bar_h + gap)
        text = row.chart_label
        name = text if len(text) <= 18 else text[:17].rstrip() + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" font-size="14" text-anchor="end" '
            f'fill="{INK}">{escape(name)}</text>'
        )
        if row.value is None:
            body.append(_hidden_box(tid, label_w, y, 28, bar_h, row.key))
            body.append(
                f'<text x="{label_w + 34}" y="{y + bar_h * 0.7:.1f}" font-size="14" fill="{GREY}">'
                f"{HIDDEN_TEXT}</text>"
            )
            continue
        w = max(room * row.value / top_value, 2 if row.value else 0)
        body.append(
            f'<rect class="mark" data-row="{escape(row.key)}" data-value="{row.value}" x="{label_w}" '
            f'y="{y}" width="{w:.1f}" height="{bar_h}" fill="{BLUE}"/>'
        )
        body.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="14" font-weight="600" '
            f'fill="{INK}">{row.value:,}</text>'
        )
    summary = f"Bar chart of {table.unit} by {table.title.lower()}."
    return _svg(table, height, body, summary)


def share_chart(table: Table, percent: float | None) -> str:
    """One bar split into reports with and without an injury, each part labelled."""
    tid = f"chart-{table.id}"
    with_row, without_row = table.rows
    height, x0, w, y, h = 96, 10, WIDTH - 20, 10, 34
    if percent is None:
        body = [
            _hidden_box(tid, x0, y, w, h, "injured"),
            f'<text x="{x0}" y="{y + h + 24}" font-size="14" fill="{INK}">Share {HIDDEN_TEXT}: '
            f"too few reports to show it safely.</text>",
        ]
        return _svg(table, height, body, f"The share of reports with an injury is {HIDDEN_TEXT}.")
    part, rest = w * percent / 100, round(100 - percent, 1)
    body = [
        f'<rect x="{x0}" y="{y}" width="{w}" height="{h}" fill="{BLUE}"/>',
        f'<rect class="mark" data-row="injured" data-value="{percent:g}" x="{x0}" y="{y}" '
        f'width="{part:.1f}" height="{h}" fill="url(#{tid}-stripes)"/>',
        f'<text x="{x0}" y="{y + h + 22}" font-size="14" fill="{INK}">'
        f'<tspan font-weight="600">{percent:g}%</tspan> with an injury ({with_row.display}, striped)</text>',
        f'<text x="{x0}" y="{y + h + 44}" font-size="14" fill="{INK}">'
        f'<tspan font-weight="600">{rest:g}%</tspan> without ({without_row.display}, solid)</text>',
    ]
    summary = f"Bar split into reports with an injury ({percent:g}%) and without ({rest:g}%)."
    return _svg(table, height, body, summary)


def chart(table: Table, injury_share: float | None = None) -> str:
    if table.kind == "line":
        return line_chart(table)
    if table.kind == "share":
        return share_chart(table, injury_share)
    return bar_chart(table)
