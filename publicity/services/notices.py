"""Written notices to households (通知书, DESIGN §2 step 4), delivered door to door.

Four types: the registration confirmation (登记确认通知书: the members on record and the
documents still missing), the publicity notice (公示通知书: the publications that concern
the household, where and until when to read them, how to object) and the allocation and
lottery notice (分房摇号通知书: time, place, documents to bring, matters to note, what
happens when nobody comes), all before the draw; and, after it, the lottery result notice
(分房结果通知书: the apartments a signed session gave the household, what to do next, and
the household's receipt of the result, docs/lottery.md §17), printed only for households
that a session signed off by the notary gave apartments to.

Batches are one PDF per villager group, one page per household, made by Celery through a
RenderJob with one RenderPart per group (`notices_render_start`, then
`publicity.tasks.render_notices_part`). A single notice is rendered on demand (`notice_pdf`).
What a notice shows and how it is printed fast: publicity.pdf.notices.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.access import require_project_access
from households.models import Household, HouseholdStatus, Member, Project, VillagerGroup
from publicity.models import NoticeType, RenderJob, RenderPart
from publicity.pdf import notices as pdf_notices
from publicity.services.rendering import Outcome, part_render, parts_queue
from resettlement import household_receipts
from resettlement.errors import RuleViolation
from resettlement.pdf import document_language
from resettlement.people import issuing_body
from resettlement.roles import require_permission

logger = logging.getLogger(__name__)

# Starting and downloading notices is registry work: whoever may see a household's record
# may print its notices.
PERMISSION = "households.view_household"


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


# --- options ---------------------------------------------------------------------------------


def default_options(*, project: Project, notice_type: str, today: dt.date | None = None) -> dict:
    """What the staff form starts from; stored with the job so every re-run and reprint of
    its notices says the same."""
    today = today or timezone.localdate()
    options: dict[str, Any] = {
        "issuer": issuing_body(_("%(project)s安置工作领导小组"), project.name),
        "issued_on": today.isoformat(),
        "contact": "",
        # Chinese, the official text; "en" prints an English copy.
        "language": settings.LANGUAGE_CODE,
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
    cleaned["language"] = document_language(str(cleaned["language"]))
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


# --- services -----------------------------------------------------------------------------


def _households(project: Project, notice_type: str, **filters: Any) -> Any:
    """Households that receive this type of notice (among those matching `filters`), with
    what the notice prints."""
    members = Prefetch("members", queryset=Member.objects.order_by("id"))
    queryset = (
        Household.objects.filter(project=project, **filters)
        .select_related("project", "community", "group")
        .prefetch_related(members)
        .order_by("code")
    )
    if notice_type == NoticeType.REGISTRATION:
        queryset = queryset.prefetch_related("documents")
    if notice_type == NoticeType.ALLOCATION:
        # Only approved households take part in the lottery.
        queryset = queryset.filter(status=HouseholdStatus.APPROVED)
    if notice_type == NoticeType.RESULT:
        # One rule: a result is announced once the notary has signed the session off, to the
        # households with a receipt of it (registered by the lottery,
        # resettlement.household_receipts). Not their status now: a household sent back to
        # review after the draw keeps what the signed session gave it.
        ids = list(queryset.values_list("pk", flat=True))
        queryset = queryset.filter(pk__in=household_receipts.households_with_receipts(ids))
    return queryset


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
    households = list(_households(household.project, notice_type, pk=household.pk))
    if not households and notice_type == NoticeType.RESULT:
        raise RuleViolation(
            "not_signed",
            _("该户还没有经公证员签署的摇号结果,不能打印分房结果通知书。"),
        )
    if not households:
        raise RuleViolation("not_approved", _("该户尚未审批,不能发放分房摇号通知书。"))
    pdf, _pages = pdf_notices.notices_render(
        households=households, notice_type=notice_type, options=options
    )
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
    if not chosen and notice_type == NoticeType.RESULT:
        raise RuleViolation(
            "not_signed",
            _("所选范围内没有经公证员签署的摇号结果,不能打印分房结果通知书。"),
        )
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
    parts_queue(RenderJob.Kind.NOTICES, [part.pk for part in parts])
    return job


def notices_part_render(*, part_id: int) -> Outcome:
    """Render one villager group's notices into its part (claimed and stored by the same
    mechanism as roster PDFs: publicity.services.rendering.part_render)."""

    def render(part: RenderPart) -> tuple[bytes, int]:
        job = part.job
        households = list(_households(job.project, job.notice_type, group=part.group))
        pdf, pages = pdf_notices.notices_render(
            households=households, notice_type=job.notice_type, options=job.options
        )
        if pages != len(households):
            logger.warning(
                "notices part %s: %s pages for %s households", part.pk, pages, len(households)
            )
        return pdf, pages

    return part_render(part_id=part_id, kind=RenderJob.Kind.NOTICES, render=render)
