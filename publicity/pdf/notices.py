"""The notices to households as printed (what they are for: publicity.services.notices).

Every notice carries the household's private lookup code, printed in groups for reading
aloud, and a QR code of the resident's own page. A notice is printed for one household and
shows only that household's data: it goes to their door, so their own names are on it, and
nobody else's. Their ID numbers are masked (DESIGN §6): a paper notice can be lost, picked
up or photographed on the way, and the office checks the numbers against the ID cards.

Rendering speed (bench/notices.py, target 150 notices a second with two worker processes,
issue 15): one HTML document per group with page breaks (a document per notice costs five
to seven times as much: a CJK font subset and the document set-up each time); a lean
template (see its comment: every element and inline tag costs); the text every notice of
a batch repeats word for word (title, the lottery's time, place, documents and matters, the
signature) as stamps, laid out once per worker and drawn once per group PDF
(resettlement.pdf: that text was two thirds of a page's layout and drawing); and the QR code
as a tiny PNG of one pixel per module, scaled without smoothing (as an SVG path it doubled
WeasyPrint's time per page, 34 ms against 17), encoded by zxing-cpp (publicity.pdf.qr: 0.2
ms instead of qrcode's 3.5); it is cached per worker process for reprints. In a batch the
QR codes are pictures (resettlement.pdf): the finisher draws them into the pages where
WeasyPrint left their boxes empty, which saves its image handling, a tenth of a notice.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from households.models import Household, Member, Project, Relation
from households.selectors.documents import checklist_missing
from publicity.models import NoticeType, Publication, PublicationStatus
from publicity.pdf.qr import qr_matrix
from resettlement import household_receipts, publicity_kinds
from resettlement.pdf import document_language, render_pdf, render_pdf_stamped

TEMPLATE = "pdf/notices.html"
# One notice, one page: what resettlement.pdf's stamps repeat on.
PAGE = r'<section class="notice">.*?</section>'


# The documents to bring to the lottery (seed 000: "documents to be carried").
ALLOCATION_DOCUMENTS = (
    gettext_lazy("户口簿原件"),
    gettext_lazy("户主身份证原件;由他人代为参加的,另带受委托人身份证原件"),
    gettext_lazy("本通知书"),
    gettext_lazy("由他人代为参加的,带户主签名并按手印的授权委托书"),
)


WEEKDAYS = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)


# --- the lookup code and its QR code -------------------------------------------------------


def lookup_code_display(code: str, sizes: tuple[int, ...] = (4, 4)) -> str:
    """The code in groups for reading aloud: ABCD-EFGH-JK (4-4-rest)."""
    groups, start = [], 0
    for size in sizes:
        if start >= len(code):
            break
        groups.append(code[start : start + size])
        start += size
    if start < len(code):
        groups.append(code[start:])
    return "-".join(groups)


def resident_url(lookup_code: str) -> str:
    """The resident's own page, reached with the code printed on their notice."""
    return f"{settings.PUBLIC_BASE_URL}/public/my/{lookup_code}/"


@functools.lru_cache(maxsize=8192)
def qr_png_data_uri(text: str) -> str:
    """A QR code as a PNG data URI, one pixel per module: the template scales it up with
    `image-rendering: pixelated` so the edges stay sharp. Cached per worker process: a
    re-run part or a reprinted notice does not compute the code again."""
    matrix = qr_matrix(text)
    size = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels).convert("1")
    stream = io.BytesIO()
    image.save(stream, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode("ascii")


# --- what one notice shows --------------------------------------------------------------------


def _date_text(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def _datetime_text(moment: dt.datetime) -> str:
    return _("%(date)s(%(weekday)s)%(h)d:%(min)02d") % {
        "date": _date_text(moment.date()),
        "weekday": WEEKDAYS[moment.weekday()],
        "h": moment.hour,
        "min": moment.minute,
    }


def _printed_options(notice_type: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Options as the notice prints them (dates in words)."""
    printed = dict(options)
    printed["issued_on"] = _date_text(dt.date.fromisoformat(options["issued_on"]))
    if notice_type == NoticeType.ALLOCATION:
        starts = dt.datetime.fromisoformat(options["starts_at"])
        check_in = starts - dt.timedelta(minutes=options["check_in_minutes"])
        printed["starts_at"] = _datetime_text(starts)
        printed["check_in_at"] = f"{check_in.hour}:{check_in.minute:02d}"
    if notice_type == NoticeType.REGISTRATION:
        printed["deadline"] = _date_text(dt.date.fromisoformat(options["deadline"]))
    return printed


@dataclass(frozen=True)
class PublicationLine:
    title: str
    version: int
    starts_on: dt.date
    ends_on: dt.date
    content_hash: str
    rows: int  # the household's own rows in it; 0 when the kind has no household column


@dataclass(frozen=True)
class ReceiptLine:
    receipt: household_receipts.HouseholdReceipt
    qr: str
    signed_on: str  # the day the session was signed off, in words


@dataclass
class Notice:
    household: Household
    members: list[Member]
    head_name: str
    code_display: str
    url: str
    qr: str
    missing_documents: list[str] = field(default_factory=list)
    publications: list[PublicationLine] = field(default_factory=list)
    # Result notices: the household's lottery receipts (docs/lottery.md §17), with QR codes.
    receipts: list[ReceiptLine] = field(default_factory=list)


def _current_publications(project: Project, community_id: int | None) -> list[Publication]:
    today = timezone.localdate()
    scope = Q(community__isnull=True)
    if community_id is not None:
        scope |= Q(community_id=community_id)
    return list(
        Publication.objects.filter(
            scope, project=project, status=PublicationStatus.PUBLISHED, ends_on__gte=today
        ).order_by("starts_on", "id")
    )


def _publication_lines(household: Household, publications: Iterable[Publication]) -> list:
    """The publications that concern this household: those listing it by code, and those
    without a household column (e.g. the inventory), which concern everyone in scope."""
    lines = []
    for publication in publications:
        try:
            keys = [column.key for column in publicity_kinds.get(publication.kind).columns]
        except KeyError:
            continue
        rows = 0
        if "household" in keys:
            index = keys.index("household")
            rows = sum(1 for row in publication.rows if row[index] == household.code)
            if not rows:
                continue
        lines.append(
            PublicationLine(
                title=publication.title,
                version=publication.version,
                starts_on=publication.starts_on,
                ends_on=publication.ends_on,
                content_hash=publication.content_hash,
                rows=rows,
            )
        )
    return lines


def _notice(household: Household, notice_type: str, publications: list[Publication]) -> Notice:
    members = sorted(household.members.all(), key=lambda m: (m.relation != Relation.HEAD, m.pk))
    head = next((m.name for m in members if m.relation == Relation.HEAD), "")
    url = resident_url(household.lookup_code)
    notice = Notice(
        household=household,
        members=members,
        head_name=head,
        code_display=lookup_code_display(household.lookup_code),
        url=url,
        qr=qr_png_data_uri(url),
    )
    if notice_type == NoticeType.ALLOCATION:
        # The lottery is for the resettlement population: the members who passed review.
        notice.members = [m for m in members if m.is_qualified]
    if notice_type == NoticeType.REGISTRATION:
        notice.missing_documents = checklist_missing(household)
    if notice_type == NoticeType.PUBLICITY:
        notice.publications = _publication_lines(household, publications)
    return notice


def notices_html_context(
    *, households: list[Household], notice_type: str, options: Mapping[str, Any]
) -> dict[str, Any]:
    """The template context for the notices of `households` (one page each)."""
    publications_by_community: dict[int, list[Publication]] = {}
    notices = []
    receipts = (
        household_receipts.receipts_for([h.pk for h in households])
        if notice_type == NoticeType.RESULT
        else {}
    )
    for household in households:
        publications: list[Publication] = []
        if notice_type == NoticeType.PUBLICITY:
            if household.community_id not in publications_by_community:
                publications_by_community[household.community_id] = _current_publications(
                    household.project, household.community_id
                )
            publications = publications_by_community[household.community_id]
        notice = _notice(household, notice_type, publications)
        notice.receipts = [
            ReceiptLine(r, qr_png_data_uri(r.url), _date_text(r.signed_on) if r.signed_on else "")
            for r in receipts.get(household.pk, [])
        ]
        notices.append(notice)
    return {
        "notice_type": notice_type,
        "title": NoticeType(notice_type).label,
        "notices": notices,
        "options": _printed_options(notice_type, options),
        "documents": [str(document) for document in ALLOCATION_DOCUMENTS],
        "public_site": f"{settings.PUBLIC_BASE_URL}/public/",
    }


def notices_render(
    *,
    households: list[Household],
    notice_type: str,
    options: Mapping[str, Any],
    stamps: bool | None = None,
) -> tuple[bytes, int]:
    """The PDF of these households' notices, one page each: in Chinese (residents read it,
    whatever the staff member's interface language) unless the batch's options ask for
    another of the site's languages ("language", an English copy). Returns bytes and
    pages. A batch (`stamps`, by default when there are several households) lays out the
    text every notice repeats once and stamps it on each page (resettlement.pdf); a single
    notice is rendered straight through, as it would cost more than it saves."""
    if stamps is None:
        stamps = len(households) > 1
    with translation.override(document_language(options.get("language"))):
        context = notices_html_context(
            households=households, notice_type=notice_type, options=options
        )
        if stamps:
            return render_pdf_stamped(TEMPLATE, context, PAGE)
        return render_pdf(TEMPLATE, context)
