"""Read a public page as a reader (or a scraper) would: its tables and its chart marks."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser


class PageReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}  # table id -> data-row -> cell texts
        self.marks: dict[str, dict[str, str | None]] = {}  # chart id -> data-row -> value (None: hidden)
        self.links: list[str] = []
        self._table = self._row = self._chart = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("href", "src"):
            if name in a:
                self.links.append(a[name])
        if tag == "table" and a.get("id"):
            self._table = a["id"].removeprefix("table-")
            self.tables[self._table] = {}
        elif tag == "tr" and self._table and "data-row" in a:
            self._row = a["data-row"]
            self.tables[self._table][self._row] = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "svg" and a.get("id"):
            self._chart = a["id"].removeprefix("chart-")
            self.marks[self._chart] = {}
        elif self._chart and "data-row" in a:
            self.marks[self._chart][a["data-row"]] = None if a.get("class") == "hidden" else a["data-value"]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self.tables[self._table][self._row].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "svg":
            self._chart = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader


def number(text: str) -> int | None:
    """'1,234' -> 1234, 'not shown' -> None."""
    return None if text == "not shown" else int(text.replace(",", "").replace("+", ""))


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))
