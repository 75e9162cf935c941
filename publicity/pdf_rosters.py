"""A published roster printed for one community's notice board (公示栏), as an A4 PDF.

The PDF shows the frozen snapshot's rows for one community, masked exactly as published,
under the title, project, period and version; every page repeats the running title, the
column headings, "第 x 页 / 共 y 页", and the publication's SHA-256 content hash and public
address, so a sheet on the board can be matched to the page online.

Rendering speed: WeasyPrint's cost grows with the number of boxes and styles it lays out,
so the template is one plain table with a fixed layout (column widths computed here from
the data, not by WeasyPrint measuring every cell), no per-cell styles or clipping, and the
rows are written as HTML here in one pass rather than by template loops. The community
column is left out of the table: it is the same on every row and printed in every page's
heading. bench/roster_pdf.py measures the effect.
"""

from __future__ import annotations

import datetime as dt
import html
import unicodedata
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from resettlement import publicity_kinds
from resettlement.pdf import render_pdf

from .models import Publication, PublicationStatus

TEMPLATE = "publicity/pdf/roster.html"
# The label the registry's kinds give the community column (publicity_kinds' "community").
COMMUNITY_LABEL = "村/社区"
# Column widths follow the longest value, within these bounds (in half-width characters).
MIN_WIDTH, MAX_WIDTH = 4, 36


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


def community_rows(publication: Publication, community: str) -> tuple[list[str], list[list]]:
    """The columns and rows printed for `community`: its rows as frozen, without the
    community column (the page heading names the community)."""
    index = community_column(publication)
    if index is None:
        return list(publication.columns), list(publication.rows)
    columns = [label for i, label in enumerate(publication.columns) if i != index]
    rows = [row[:index] + row[index + 1 :] for row in publication.rows if row[index] == community]
    return columns, rows


def publication_url(publication: Publication) -> str:
    """The publication's page on the public site."""
    return settings.PUBLIC_BASE_URL + reverse("public:publication-detail", args=[publication.pk])


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(columns: Sequence[str], rows: Sequence[Sequence]) -> list[float]:
    """Percentages of the table's width, in proportion to each column's longest value (a
    Chinese character counting twice a digit), so the fixed layout fits the data."""
    widths = [_display_width(str(label)) for label in columns]
    for row in rows:
        for i, value in enumerate(row):
            width = _display_width(str(value))
            if width > widths[i]:
                widths[i] = width
    widths = [min(max(width, MIN_WIDTH), MAX_WIDTH) + 2 for width in widths]  # + padding
    total = sum(widths)
    return [round(100 * width / total, 2) for width in widths]


def table_html(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """The roster table, written in one pass (a template loop per cell is several times
    slower for thousands of rows)."""
    escape = html.escape
    cols = "".join(f'<col style="width:{width}%">' for width in column_widths(columns, rows))
    head = "".join(f"<th>{escape(str(label))}</th>" for label in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(value))}</td>" for value in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _date_text(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def roster_context(publication: Publication, community: str) -> dict:
    columns, rows = community_rows(publication, community)
    return {
        "publication": publication,
        "project": publication.project,
        "community": community,
        "starts_on": _date_text(publication.starts_on),
        "ends_on": _date_text(publication.ends_on),
        "withdrawn": publication.status == PublicationStatus.WITHDRAWN,
        "row_count": len(rows),
        "table": mark_safe(table_html(columns, rows)),  # noqa: S308 - every value escaped above
        "url": publication_url(publication),
    }


def roster_pdf(publication: Publication, community: str) -> tuple[bytes, int]:
    """One community's roster of a public publication as PDF bytes and its page count,
    always in the site's language (it is posted for residents, whoever starts it)."""
    if publication.status == PublicationStatus.DRAFT:
        raise ValueError("a draft publication is not printed for the public")
    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(TEMPLATE, roster_context(publication, community))
