"""A published roster printed for one community's notice board (公示栏), as an A4 PDF.

The PDF shows the frozen snapshot's rows for one community, masked exactly as published,
under the title, project, period and version; every page repeats the running title, the
column headings, "第 x 页 / 共 y 页", and the publication's SHA-256 content hash and public
address, so a sheet on the board can be matched to the page online.

Rendering speed. WeasyPrint's time goes into boxes: styles, layout and drawing for every
element, and a table cell is several boxes. A table of thousands of rows with a cell per
value costs about 4-5 ms a row whatever the table layout (fixed saves ~10 %). So each row
here is ONE table cell holding the row as a line of text in a monospaced CJK font (Noto
Sans Mono CJK SC: a Chinese character exactly two Latin ones wide), the columns aligned
by padding computed from the data; the rules between columns are one background image of
the table, the rules between rows one border per row. That is about a quarter of the
cost, and still a table: WeasyPrint paginates it, repeats the heading row on every page
and never splits a row. Values wider than their column (over MAX_WIDTH) wrap within it,
numbers are set to the right, and a table too wide for the page gets a smaller font. The
rows are written as HTML here in one pass, not by template loops; the community column
is left out (it is the same on every row and named in every page's heading).
bench/roster_pdf.py measures it against a naive render.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from publicity.models import Publication, PublicationStatus
from resettlement import periods, publicity_kinds
from resettlement.audit import audit_head
from resettlement.pdf import document_language, render_pdf

TEMPLATE = "publicity/pdf/roster.html"
# The label the registry's kinds give the community column (publicity_kinds' "community").
COMMUNITY_LABEL = "村/社区"
# The table's text (see table_html): its size, line height and the rules between columns.
FONT_PT, MIN_FONT_PT, LINE_HEIGHT = 9.0, 6.5, 1.5
RULE_PT, RULE_COLOUR = 0.5, "#555"
# A4 less the template's left and right margins (12 mm each), in points.
PAGE_WIDTH_PT = (210 - 2 * 12) / 25.4 * 72
# Column widths follow the longest value, within these bounds (in half-width characters).
MIN_WIDTH, MAX_WIDTH = 4, 40
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def community_column(publication: Publication) -> int | None:
    """The index of the community (村/社区) column in the frozen snapshot, or None when the
    kind has none (the roster is then printed as one document)."""
    columns = publication.columns
    if COMMUNITY_LABEL in columns:
        return columns.index(COMMUNITY_LABEL)
    # A snapshot frozen while another language was active has translated labels; the kind's
    # column keys still say which is which.
    try:
        keys = [column.key for column in publicity_kinds.get(publication.kind).columns]
    except KeyError:
        return None
    if "community" in keys and len(keys) == len(columns):
        return keys.index("community")
    return None


def roster_communities(publication: Publication) -> list[str]:
    """The communities in the snapshot, in the order it lists them: one PDF each. A roster
    without a community column is one PDF, named after the publication's scope."""
    index = community_column(publication)
    if index is None:
        scope = publication.community.name if publication.community_id else ""
        return [scope or _("全部")] if publication.rows else []
    return list(dict.fromkeys(row[index] for row in publication.rows))


def column_labels(publication: Publication) -> list[str]:
    """The column headings in the active language: as frozen in the system's language, or
    the kind's labels translated when another language is printed (an English copy) and
    the kind's columns still match the frozen ones. Only the headings: the cells are
    printed as published."""
    columns = [str(label) for label in publication.columns]
    if translation.get_language() == settings.LANGUAGE_CODE:
        return columns
    try:
        kind_columns = publicity_kinds.get(publication.kind).columns
    except KeyError:
        return columns
    if len(kind_columns) != len(columns):
        return columns
    return [str(column.label) for column in kind_columns]


def community_rows(publication: Publication, community: str) -> tuple[list[str], list[list]]:
    """The columns and rows printed for `community`: its rows as frozen, without the
    community column (the page heading names the community); the headings in the active
    language (column_labels)."""
    index = community_column(publication)
    labels = column_labels(publication)
    if index is None:
        return labels, list(publication.rows)
    columns = [label for i, label in enumerate(labels) if i != index]
    rows = [row[:index] + row[index + 1 :] for row in publication.rows if row[index] == community]
    return columns, rows


def publication_url(publication: Publication) -> str:
    """The publication's page on the public site."""
    return settings.PUBLIC_BASE_URL + reverse("public:publication-detail", args=[publication.pk])


@dataclass(frozen=True)
class TableLayout:
    """How a roster's table is set: the font size, each column's width in half-width
    characters (a Chinese character takes two), and which columns hold numbers."""

    font_pt: float
    widths: tuple[int, ...]
    numeric: tuple[bool, ...]

    @property
    def line_pt(self) -> float:
        return round(self.font_pt * LINE_HEIGHT, 2)

    @property
    def width_em(self) -> float:
        return sum(width + 2 for width in self.widths) / 2

    def rules(self) -> str:
        """The vertical rules between columns and at the right edge, as one background
        image of the whole table (an SVG tile one line high, repeated down): drawn as a
        few rectangles per page instead of a border per cell."""
        half = self.font_pt / 2  # points per half-width character
        total = sum(width + 2 for width in self.widths)
        rects, edge = [], 0
        for width in self.widths:
            edge += width + 2
            x = round(edge - RULE_PT / half, 4)
            rects.append(
                f"<rect x='{x}' y='0' width='{round(RULE_PT / half, 4)}' height='1'"
                f" fill='{RULE_COLOUR}'/>"
            )
        svg = (
            f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {total} 1'"
            f" preserveAspectRatio='none'>{''.join(rects)}</svg>"
        )
        return "data:image/svg+xml," + quote(svg, safe="")


def display_width(text: str) -> int:
    """Width in half-width characters. Chinese characters, full-width forms and the
    characters East Asian fonts set wide ("ambiguous") take two; Noto Sans Mono CJK sets
    exactly these wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` half-width characters (one line if it fits)."""
    lines, line, used = [], "", 0
    for ch in text:
        size = display_width(ch)
        if used + size > width and line:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += size
    lines.append(line)
    return lines


def _capacity(font_pt: float) -> int:
    """Half-width characters across the page at this font size (less one for the table's
    left border)."""
    return int(PAGE_WIDTH_PT / (font_pt / 2)) - 1


def _total(widths: Sequence[int]) -> int:
    return sum(width + 2 for width in widths)  # a space each side of every column


def table_layout(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> TableLayout:
    """Column widths from the data: each column as wide as its longest value (within
    MIN_WIDTH..MAX_WIDTH; longer values wrap) and its heading, headings wrapped onto two
    lines if the page is too narrow for them, a smaller font if it still is; the page's
    width left over is shared out, so the table always spans the page."""
    values = [0] * len(columns)
    numeric = [True] * len(columns)
    for row in rows:
        for i, value in enumerate(row):
            values[i] = max(values[i], display_width(value))
            numeric[i] = numeric[i] and NUMBER.fullmatch(value) is not None
    values = [min(max(width, MIN_WIDTH), MAX_WIDTH) for width in values]
    labels = [display_width(label) for label in columns]
    widths = [max(v, label) for v, label in zip(values, labels, strict=True)]
    if _total(widths) > _capacity(FONT_PT):
        widths = [max(v, -(-label // 4) * 2) for v, label in zip(values, labels, strict=True)]
    font_pt = FONT_PT
    if _total(widths) > _capacity(FONT_PT):
        font_pt = max(MIN_FONT_PT, round(PAGE_WIDTH_PT / (_total(widths) / 2 + 1), 2))
    while _total(widths) > _capacity(font_pt) and max(widths) > MIN_WIDTH:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    spare = _capacity(font_pt) - _total(widths)
    if spare > 0:
        shares = [spare * width // sum(widths) for width in widths]
        for i in sorted(range(len(widths)), key=lambda i: -widths[i])[: spare - sum(shares)]:
            shares[i] += 1
        widths = [width + share for width, share in zip(widths, shares, strict=True)]
    numeric = [bool(rows) and n for n in numeric]
    return TableLayout(font_pt=font_pt, widths=tuple(widths), numeric=tuple(numeric))


def row_text(cells: Sequence[str], layout: TableLayout) -> str:
    """One table row as lines of text, each cell padded to its column's width (numbers
    to the right); a cell wider than its column continues on the next line."""
    wrapped = [wrap(cell, width) for cell, width in zip(cells, layout.widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    lines = []
    for n in range(height):
        parts = []
        for lines_of_cell, width, number in zip(
            wrapped, layout.widths, layout.numeric, strict=True
        ):
            text = lines_of_cell[n] if n < len(lines_of_cell) else ""
            padding = " " * (width - display_width(text))
            parts.append(f" {padding}{text} " if number else f" {text}{padding} ")
        lines.append("".join(parts).rstrip())
    return "\n".join(lines)


def table_html(columns: Sequence[str], rows: Sequence[Sequence]) -> tuple[str, TableLayout]:
    """The roster table and its layout. Each row is one table cell holding the row as a
    line of text in a monospaced CJK font, the columns aligned by padding: WeasyPrint lays
    out and draws one box per row instead of one per cell, several times faster, and the
    rules between columns are background images of the whole table. Written in one pass
    here; a template loop per cell is slower still."""
    rows = [[str(value) for value in row] for row in rows]
    columns = [str(label) for label in columns]
    layout = table_layout(columns, rows)
    heading = TableLayout(
        layout.font_pt, layout.widths, tuple(False for _ in layout.widths)
    )  # headings are set left, like the text below them
    escape = html.escape
    body = "".join(f"<tr><td>{escape(row_text(row, layout))}</td></tr>" for row in rows)
    table = (
        f"<table><thead><tr><th>{escape(row_text(columns, heading))}</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
    return table, layout


def _date_text(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def objection_notice(publication: Publication, options: dict | None) -> dict:
    """How to object, printed under the roster: until when, where, the contact, the issuing
    office and date (`options`: as the print job was started, publicity.services.rendering
    .roster_options; issued on the day of publishing unless they say otherwise)."""
    options = options or {}
    issued = options.get("issued_on") or (
        periods.local_date(publication.published_at).isoformat() if publication.published_at else ""
    )
    return {
        "until": _date_text(publication.ends_on),
        "office": options.get("office", ""),
        "contact": options.get("contact", ""),
        "issuer": options.get("issuer", ""),
        "issued_on": _date_text(dt.date.fromisoformat(issued)) if issued else "",
    }


def roster_context(publication: Publication, community: str, options: dict | None = None) -> dict:
    columns, rows = community_rows(publication, community)
    table, layout = table_html(columns, rows)
    language = translation.get_language()
    return {
        "language": language,
        # The title is the publication's record (as online); an English copy names its kind.
        "kind_label": ""
        if language == settings.LANGUAGE_CODE
        else publicity_kinds.label_of(publication.kind),
        "objecting": objection_notice(publication, options),
        "publication": publication,
        "project": publication.project,
        "community": community,
        "starts_on": _date_text(publication.starts_on),
        "ends_on": _date_text(publication.ends_on),
        "withdrawn": publication.status == PublicationStatus.WITHDRAWN,
        "row_count": len(rows),
        "table": mark_safe(table),  # noqa: S308 - every value escaped in table_html
        "layout": layout,
        "url": publication_url(publication),
        "audit_head": audit_head(),  # as of printing, after the publication was recorded
    }


def roster_pdf(
    publication: Publication, community: str, options: dict | None = None
) -> tuple[bytes, int]:
    """One community's roster of a public publication as PDF bytes and its page count: in
    Chinese (it is posted for residents, whoever starts it) unless the print job's options
    ask for another of the site's languages ("language", an English copy; the snapshot's
    cells are printed as published). `options`: the issuer, office, contact, date and
    language the print job was started with."""
    if publication.status == PublicationStatus.DRAFT:
        raise ValueError("a draft publication is not printed for the public")
    with translation.override(document_language((options or {}).get("language"))):
        return render_pdf(TEMPLATE, roster_context(publication, community, options))
