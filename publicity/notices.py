"""Written notices to households (通知书, DESIGN §2 step 4), delivered door to door.

Three types: the registration confirmation (登记确认通知书: the members on record and the
documents still missing), the publicity notice (公示通知书: the publications that concern
the household, where and until when to read them, how to object) and the allocation and
lottery notice (分房摇号通知书: time, place, documents to bring, matters to note, what
happens when nobody comes).

Every notice carries the household's private lookup code, printed in groups for reading
aloud, and a QR code of the resident's own page. A notice is printed for one household and
shows only that household's data: it goes to their door, so their own names are on it, and
nobody else's. Their ID numbers are masked (DESIGN §6): a paper notice can be lost, picked
up or photographed on the way, and the office checks the numbers against the ID cards.

Batches are one PDF per villager group, one page per household, made by Celery through a
RenderJob with one RenderPart per group (`notices_render_start`, then
`publicity.tasks_notices`). A single notice is rendered on demand (`notice_pdf`).

Rendering speed (bench/notices.py, target 80 notices a second on two cores): one HTML
document per group with page breaks (a document per notice costs five to seven times as
much: a CJK font subset and the document set-up each time); a lean template (see its
comment: every element and inline tag costs); and the QR code as a tiny PNG of one pixel
per module, scaled without smoothing: as an SVG path (qrcode's SvgPathImage) it doubled
WeasyPrint's time per page, 34 ms against 17. Making the QR code takes 3.5 ms, most of it
qrcode choosing the best of the eight mask patterns as the standard asks; it is cached per
worker process for reprints.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import qrcode
from django.conf import settings
from django.db import models, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from households.access import require_project_access
from households.models import (
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    VillagerGroup,
)
from households.selectors.documents import missing_documents
from publicity.models import Publication, PublicationStatus, RenderJob, RenderPart, RenderStatus
from publicity.rendering import Outcome, part_render
from resettlement import publicity_kinds
from resettlement.errors import RuleViolation
from resettlement.pdf import render_pdf
from resettlement.roles import require_permission

logger = logging.getLogger(__name__)

TEMPLATE = "pdf/notices.html"
# Starting and downloading notices is registry work: whoever may see a household's record
# may print its notices.
PERMISSION = "households.view_household"
# A part left "running" this long was lost with its worker; it may be claimed again.


class NoticeType(models.TextChoices):
    REGISTRATION = "registration", gettext_lazy("登记确认通知书")
    PUBLICITY = "publicity", gettext_lazy("公示通知书")
    ALLOCATION = "allocation", gettext_lazy("分房摇号通知书")


# The documents to bring to the lottery (seed 000: "documents to be carried").
ALLOCATION_DOCUMENTS = (
    gettext_lazy("户口簿原件"),
    gettext_lazy("户主身份证原件;由他人代为参加的,另带受委托人身份证原件"),
    gettext_lazy("本通知书"),
    gettext_lazy("由他人代为参加的,带户主签名并按手印的授权委托书"),
)

DEFAULT_MATTERS = (
    gettext_lazy("请提前到达签到处,核验身份后凭本通知书入场;签到截止后不再入场。"),
    gettext_lazy(
        "摇号按“房到村、包到组、摇号到户”的顺序进行,全程由公证处现场公证,结果当场公布,"
        "由参加人签字确认。"
    ),
    gettext_lazy("每户限户主本人或一名受委托人进场摇号,其他家庭成员请在场外等候。"),
    gettext_lazy("会场内请保持安静、服从工作人员安排;不得替其他户操作。"),
    gettext_lazy("摇号结果将在公示栏和网上公示;对结果有异议的,请在公示期内书面提出。"),
)

DEFAULT_PLACE = gettext_lazy("开发区文体中心一楼大厅")
DEFAULT_OFFICE = gettext_lazy("社区安置工作办公室")
DEFAULT_CHECK_IN_MINUTES = 30

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


def qr_matrix(text: str) -> list[list[bool]]:
    """QR modules for `text` with the standard 4-module quiet zone; error correction M
    (15 %) survives a creased or smudged paper notice."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


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


# --- options ---------------------------------------------------------------------------------


def default_options(*, project: Project, notice_type: str, today: dt.date | None = None) -> dict:
    """What the staff form starts from; stored with the job so every re-run and reprint of
    its notices says the same."""
    today = today or timezone.localdate()
    options: dict[str, Any] = {
        "issuer": _("%(project)s安置工作领导小组") % {"project": project.name},
        "issued_on": today.isoformat(),
        "contact": "",
    }
    if notice_type == NoticeType.ALLOCATION:
        starts = dt.datetime.combine(today + dt.timedelta(days=14), dt.time(8, 30))
        options.update(
            starts_at=starts.strftime("%Y-%m-%dT%H:%M"),
            place=str(DEFAULT_PLACE),
            check_in_minutes=DEFAULT_CHECK_IN_MINUTES,
            matters=[str(matter) for matter in DEFAULT_MATTERS],
        )
    elif notice_type == NoticeType.REGISTRATION:
        options.update(
            deadline=(today + dt.timedelta(days=10)).isoformat(), office=str(DEFAULT_OFFICE)
        )
    else:
        options.update(office=str(DEFAULT_OFFICE))
    return options


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def clean_options(
    *,
    project: Project,
    notice_type: str,
    options: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> dict:
    """Defaults overlaid with `options`, checked. Raises RuleViolation whose details name
    each bad field."""
    if notice_type not in NoticeType.values:
        raise RuleViolation("unknown_notice_type", _("未知的通知书类型:%(t)s") % {"t": notice_type})
    cleaned = default_options(project=project, notice_type=notice_type, today=today)
    given = {key: value for key, value in (options or {}).items() if key in cleaned}
    cleaned.update(given)
    errors: list[dict[str, str]] = []
    for key in ("issuer", "contact", "place", "office"):
        if key in cleaned:
            cleaned[key] = _text(cleaned[key], 200)
    for key in ("issuer", "place", "office"):
        if key in cleaned and not cleaned[key]:
            errors.append({"field": key, "message": _("此项不能为空。")})
    for key in ("issued_on", "deadline"):
        if key in cleaned:
            try:
                cleaned[key] = dt.date.fromisoformat(str(cleaned[key])).isoformat()
            except ValueError:
                errors.append({"field": key, "message": _("日期格式应为 年-月-日。")})
    if notice_type == NoticeType.ALLOCATION:
        try:
            starts = dt.datetime.fromisoformat(str(cleaned["starts_at"]))
            cleaned["starts_at"] = starts.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            errors.append({"field": "starts_at", "message": _("请填写摇号的日期和时间。")})
        try:
            minutes = int(cleaned["check_in_minutes"])
        except (TypeError, ValueError):
            minutes = -1
        if not 0 <= minutes <= 240:
            errors.append(
                {"field": "check_in_minutes", "message": _("提前签到时间应在0至240分钟之间。")}
            )
        cleaned["check_in_minutes"] = minutes
        matters = cleaned["matters"]
        if isinstance(matters, str):
            matters = matters.splitlines()
        elif not isinstance(matters, list | tuple):
            matters = []
        cleaned["matters"] = [_text(line, 300) for line in matters if _text(line, 300)][:10]
    if errors:
        raise RuleViolation("invalid_options", errors[0]["message"], details=errors)
    return cleaned


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


# --- what one notice shows --------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationLine:
    title: str
    version: int
    starts_on: dt.date
    ends_on: dt.date
    content_hash: str
    rows: int  # the household's own rows in it; 0 when the kind has no household column


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


def _households(project: Project, notice_type: str) -> Any:
    """Households that receive this type of notice, with what the notice prints."""
    members = Prefetch("members", queryset=Member.objects.order_by("id"))
    queryset = (
        Household.objects.filter(project=project)
        .select_related("project", "community", "group")
        .prefetch_related(members)
        .order_by("code")
    )
    if notice_type == NoticeType.REGISTRATION:
        queryset = queryset.prefetch_related("documents")
    if notice_type == NoticeType.ALLOCATION:
        # Only approved households take part in the lottery.
        queryset = queryset.filter(status=HouseholdStatus.APPROVED)
    return queryset


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
        notice.missing_documents = missing_documents(household)
    if notice_type == NoticeType.PUBLICITY:
        notice.publications = _publication_lines(household, publications)
    return notice


def notices_html_context(
    *, households: list[Household], notice_type: str, options: Mapping[str, Any]
) -> dict[str, Any]:
    """The template context for the notices of `households` (one page each)."""
    publications_by_community: dict[int, list[Publication]] = {}
    notices = []
    for household in households:
        publications: list[Publication] = []
        if notice_type == NoticeType.PUBLICITY:
            if household.community_id not in publications_by_community:
                publications_by_community[household.community_id] = _current_publications(
                    household.project, household.community_id
                )
            publications = publications_by_community[household.community_id]
        notices.append(_notice(household, notice_type, publications))
    return {
        "notice_type": notice_type,
        "title": NoticeType(notice_type).label,
        "notices": notices,
        "options": _printed_options(notice_type, options),
        "documents": [str(document) for document in ALLOCATION_DOCUMENTS],
        "public_site": f"{settings.PUBLIC_BASE_URL}/public/",
    }


def notices_render(
    *, households: list[Household], notice_type: str, options: Mapping[str, Any]
) -> tuple[bytes, int]:
    """The PDF of these households' notices, one page each, always in Chinese (residents
    read it, whatever the staff member's interface language). Returns bytes and pages."""
    with translation.override(settings.LANGUAGE_CODE):
        context = notices_html_context(
            households=households, notice_type=notice_type, options=options
        )
        return render_pdf(TEMPLATE, context)


# --- services -----------------------------------------------------------------------------


def notice_options_for_reprint(*, project: Project, notice_type: str) -> dict:
    """A single notice repeats what the latest batch of its type said (time, place,
    matters); before any batch, the defaults."""
    job = (
        RenderJob.objects.filter(
            kind=RenderJob.Kind.NOTICES, project=project, notice_type=notice_type
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return clean_options(
        project=project, notice_type=notice_type, options=job.options if job else None
    )


def notice_pdf(
    *, actor, household: Household, notice_type: str, options: Mapping[str, Any] | None = None
) -> bytes:
    """One household's notice on demand (a lost notice, a late registration)."""
    require_permission(actor, PERMISSION)
    if notice_type not in NoticeType.values:
        raise RuleViolation("unknown_notice_type", _("未知的通知书类型:%(t)s") % {"t": notice_type})
    if options is None:
        options = notice_options_for_reprint(project=household.project, notice_type=notice_type)
    else:
        options = clean_options(project=household.project, notice_type=notice_type, options=options)
    households = list(_households(household.project, notice_type).filter(pk=household.pk))
    if not households:
        raise RuleViolation("not_approved", _("该户尚未审批,不能发放分房摇号通知书。"))
    pdf, _pages = notices_render(households=households, notice_type=notice_type, options=options)
    return pdf


@transaction.atomic
def notices_render_start(
    *,
    actor,
    project: Project,
    notice_type: str,
    groups: Iterable[VillagerGroup] | None = None,
    options: Mapping[str, Any] | None = None,
) -> RenderJob:
    """Start a batch of notices: one PDF per villager group (all the project's groups with
    households to notify when `groups` is None), rendered by Celery after commit."""
    require_permission(actor, PERMISSION)
    require_project_access(actor, project)
    cleaned = clean_options(project=project, notice_type=notice_type, options=options)
    if notice_type == NoticeType.ALLOCATION:
        starts = dt.datetime.fromisoformat(cleaned["starts_at"])
        if starts.date() < timezone.localdate():
            raise RuleViolation(
                "invalid_options",
                _("摇号时间已过,请重新填写。"),
                details=[{"field": "starts_at", "message": _("摇号时间已过,请重新填写。")}],
            )
    chosen = VillagerGroup.objects.filter(project=project).select_related("community")
    if groups is not None:
        ids = {group.pk for group in groups}
        if not ids:
            raise RuleViolation("no_groups", _("请至少选择一个村民小组。"))
        chosen = chosen.filter(pk__in=ids)
        if len(chosen) != len(ids):
            raise RuleViolation("bad_group", _("所选村民小组不属于本项目。"))
    with_households = set(
        _households(project, notice_type).values_list("group_id", flat=True).distinct()
    )
    chosen = [group for group in chosen.order_by("code") if group.pk in with_households]
    if not chosen:
        raise RuleViolation("no_households", _("所选范围内没有需要发放该通知书的安置户。"))
    job = RenderJob.objects.create(
        kind=RenderJob.Kind.NOTICES,
        project=project,
        notice_type=notice_type,
        options=cleaned,
        created_by=actor,
    )
    parts = RenderPart.objects.bulk_create(
        RenderPart(
            job=job,
            label=f"{group.code} {group.community.name} {group.name}"[:100],
            community=group.community,
            group=group,
        )
        for group in chosen
    )
    from publicity.tasks_notices import render_notices_part  # the task module imports this one

    part_ids = [part.pk for part in parts]
    transaction.on_commit(lambda: [render_notices_part.delay(pk) for pk in part_ids])
    return job


def notices_part_render(*, part_id: int) -> Outcome:
    """Render one villager group's notices into its part (claimed and stored by the same
    mechanism as roster PDFs: publicity.rendering.part_render)."""

    def render(part: RenderPart) -> tuple[bytes, int]:
        job = part.job
        households = list(_households(job.project, job.notice_type).filter(group=part.group))
        pdf, pages = notices_render(
            households=households, notice_type=job.notice_type, options=job.options
        )
        if pages != len(households):
            logger.warning(
                "notices part %s: %s pages for %s households", part.pk, pages, len(households)
            )
        return pdf, pages

    return part_render(part_id=part_id, kind=RenderJob.Kind.NOTICES, render=render)


@dataclass(frozen=True)
class JobProgress:
    total: int
    done: int
    failed: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.done == self.total


def job_progress(job: RenderJob) -> JobProgress:
    statuses = [part.status for part in job.parts.all()]
    return JobProgress(
        total=len(statuses),
        done=statuses.count(RenderStatus.DONE),
        failed=statuses.count(RenderStatus.FAILED),
    )
