"""Publications (公示): frozen, masked snapshots with a period, versions and a content hash;
objections (异议) filed against them and answered in writing."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import Community, Project


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("公示中")
    CLOSED = "closed", _("公示期满")
    WITHDRAWN = "withdrawn", _("已撤回")


class Publication(models.Model):
    """One version of one publicity roster. Once published its rows and hash never change:
    a correction is a new version (see publicity.services)."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="publications", verbose_name=_("项目")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="publications",
        null=True,
        blank=True,
        verbose_name=_("村/社区"),
        help_text=_("留空表示全项目。"),
    )
    kind = models.CharField(_("公示类型"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    version = models.PositiveIntegerField(_("版本"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("上一版本"),
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    starts_on = models.DateField(_("公示开始日期"))
    ends_on = models.DateField(_("公示结束日期"))
    mask_names = models.BooleanField(
        _("姓名脱敏"),
        default=True,
        help_text=_("张贴在本社区公示栏的名册可显示全名;网上公示一律脱敏。"),
    )
    columns = models.JSONField(_("列"), default=list, blank=True)
    rows = models.JSONField(_("公示内容"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    content_hash = models.CharField(_("内容哈希(SHA-256)"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("发布人"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("撤回理由"), blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-published_at", "-id"]
        permissions = [("publish_publication", _("发布公示"))]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "community", "version"],
                condition=Q(community__isnull=False),
                name="publication_version_unique",
            ),
            models.UniqueConstraint(
                fields=["project", "kind", "version"],
                condition=Q(community__isnull=True),
                name="publication_project_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="publication_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (~Q(content_hash="") & Q(published_by__isnull=False)),
                name="publication_published_has_hash",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawn_reason=""),
                name="publication_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_public(self) -> bool:
        return self.status != PublicationStatus.DRAFT


class PublicationRow(models.Model):
    """One row of a published snapshot as the public sees it (masked), written once when the
    publication is published (`publicity.services.publications.publication_publish`), so the
    public page reads one page of rows, and a search answers from an index, without loading
    the whole snapshot. See `publicity.search` for `text` and `grams`."""

    publication = models.ForeignKey(
        Publication,
        on_delete=models.CASCADE,
        related_name="public_rows",
        verbose_name=_("公示"),
        db_index=False,  # publication_row_unique's index starts with it
    )
    number = models.PositiveIntegerField(_("行号"))  # its place in Publication.rows, from 0
    cells = models.JSONField(_("公示内容"), default=list)
    # The cells, case-folded, one a line: what a search word must be contained in.
    text = models.TextField(blank=True)
    # Every 1-, 2- and 3-character piece of every case-folded cell (GIN-indexed on PostgreSQL).
    grams = models.JSONField(default=list)

    class Meta:
        verbose_name = _("公示行")
        verbose_name_plural = _("公示行")
        ordering = ["publication", "number"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="publication_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.publication_id}#{self.number}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")


def objection_upload_to(instance: Objection, filename: str) -> str:
    return f"objections/{instance.publication.project_id}/{uuid.uuid4().hex}"


class Objection(models.Model):
    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="objections", verbose_name=_("公示")
    )
    household_code = models.CharField(_("户编号"), max_length=32, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    text = models.TextField(_("异议内容"), max_length=4000)
    attachment = models.FileField(
        _("附件"), upload_to=objection_upload_to, blank=True, max_length=200
    )
    attachment_type = models.CharField(_("附件类型"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    answer = models.TextField(_("书面答复"), blank=True)
    upheld = models.BooleanField(_("异议成立"), default=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    filed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-filed_at"]
        permissions = [("answer_objection", _("答复异议"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(answer="") & Q(answered_by__isnull=False)),
                name="objection_answered_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publication} · {self.filed_at:%Y-%m-%d}"


class RenderStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RenderJob(models.Model):
    """A PDF job a staff member started (publicity rosters, notices). It is split into parts
    (one per community or villager group) rendered by separate Celery tasks, so several
    workers share it; progress is the share of parts done."""

    class Kind(models.TextChoices):
        ROSTER = "roster", _("公示名册")
        NOTICES = "notices", _("通知书")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    publication = models.ForeignKey(
        Publication,
        on_delete=models.PROTECT,
        related_name="render_jobs",
        null=True,
        blank=True,
        verbose_name=_("公示"),
    )
    notice_type = models.CharField(_("通知书类型"), max_length=32, blank=True)
    options = models.JSONField(_("参数"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("PDF 生成任务")
        verbose_name_plural = _("PDF 生成任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


# The types of notice to households (publicity.services.notices); a notices job's type.
class NoticeType(models.TextChoices):
    REGISTRATION = "registration", _("登记确认通知书")
    PUBLICITY = "publicity", _("公示通知书")
    ALLOCATION = "allocation", _("分房摇号通知书")
    RESULT = "result", _("分房结果通知书")


def render_part_upload_to(instance: RenderPart, filename: str) -> str:
    return f"pdf/{instance.job.project_id}/{instance.job_id}/{uuid.uuid4().hex}.pdf"


class RenderPart(models.Model):
    job = models.ForeignKey(
        RenderJob, on_delete=models.CASCADE, related_name="parts", verbose_name=_("任务")
    )
    label = models.CharField(_("名称"), max_length=100)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "households.VillagerGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RenderStatus.choices, default=RenderStatus.QUEUED
    )
    file = models.FileField(_("文件"), upload_to=render_part_upload_to, blank=True, max_length=200)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    # The claim: when the current attempt took the part (it also identifies the attempt),
    # and when its worker last said it is still rendering (publicity.services.rendering).
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many times the part was taken: more than one means a worker was lost (or failed).
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)

    class Meta:
        verbose_name = _("PDF 分册")
        verbose_name_plural = _("PDF 分册")
        ordering = ["job", "label"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file=""), name="render_part_done_has_file"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ComplaintCategory(models.TextChoices):
    ALLOCATION = "allocation", _("分房、摇号违规")
    QUALIFICATION = "qualification", _("资格认定不公")
    FUNDS = "funds", _("补偿款、资金问题")
    CONDUCT = "conduct", _("工作人员作风、违纪")
    OTHER = "other", _("其他")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    HANDLING = "handling", _("核查中")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


def complaint_upload_to(instance: Complaint, filename: str) -> str:
    return f"complaints/{uuid.uuid4().hex}"


class Complaint(models.Model):
    """A report (举报) or complaint (投诉) to the supervising office (纪检监督), separate from
    the objections to one publication. Anyone files one without logging in and may stay
    anonymous; only the supervising role reads them. The reporter follows it with the
    reference and the check code given at submission (the code is kept only as a hash)."""

    reference = models.CharField(_("受理编号"), max_length=16, unique=True)
    check_code_hash = models.CharField(_("查询密码(哈希)"), max_length=128)
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        related_name="complaints",
        null=True,
        blank=True,
        verbose_name=_("项目"),
    )
    category = models.CharField(_("类别"), max_length=16, choices=ComplaintCategory.choices)
    text = models.TextField(_("举报内容"), max_length=4000)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    attachment = models.FileField(
        _("附件"), upload_to=complaint_upload_to, blank=True, max_length=200
    )
    attachment_type = models.CharField(_("附件类型"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    filed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报投诉")
        verbose_name_plural = _("举报投诉")
        ordering = ["-filed_at"]
        permissions = [("handle_complaint", _("办理举报投诉"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["received", "handling"])
                | (~Q(answer="") & Q(answered_by__isnull=False) & Q(answered_at__isnull=False)),
                name="complaint_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="complaint_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class PublicityPeriod(models.Model):
    """How many calendar days a kind of publication of one project runs, when the project
    sets its own (the kind's default, or settings.PUBLICITY_DAYS, otherwise). Set through
    publicity.services.periods."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="publicity_periods", verbose_name=_("项目")
    )
    kind = models.CharField(_("公示类型"), max_length=32)
    days = models.PositiveSmallIntegerField(_("公示天数"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("设置人"),
    )
    changed_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("公示期限")
        verbose_name_plural = _("公示期限")
        ordering = ["project", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="publicity_period_unique"),
            models.CheckConstraint(condition=Q(days__gte=1), name="publicity_period_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.kind}: {self.days}"
