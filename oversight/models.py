"""Oversight (督查, stage 8 of DESIGN §2): working teams and the households each cadre
liaises with, the per-project return plan (responsible department and person, yearly
targets), and the stored overdue-return ledger that the daily beat task keeps current.

This app reads every other app and none reads it. The rules that change these rows live in
`oversight.services`; the reads in `oversight.selectors`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from households.models import Household, Project

MONEY = {"max_digits": 14, "decimal_places": 2}


class WorkingTeam(models.Model):
    """A working team (工作组) of a project: cadres who each liaise with a few households
    (seed 001: 包户; seed 003: one team per area, ranked weekly)."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="working_teams", verbose_name=_("项目")
    )
    code = models.CharField(_("工作组编号"), max_length=32)
    name = models.CharField(_("工作组名称"), max_length=100)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("组长"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="working_teams", blank=True, verbose_name=_("组员")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作组")
        verbose_name_plural = pgettext_lazy("plural", "工作组")
        ordering = ["project", "code"]
        permissions = [("view_dashboard", _("查看进度看板"))]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="working_team_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class HouseholdAssignment(models.Model):
    """Which team, and which of its cadres (包户干部), liaises with a household."""

    household = models.OneToOneField(
        Household,
        on_delete=models.CASCADE,
        related_name="team_assignment",
        verbose_name=_("安置户"),
    )
    team = models.ForeignKey(
        WorkingTeam, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("工作组")
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("包户干部"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("分配人"),
    )
    assigned_at = models.DateTimeField(_("分配时间"), auto_now=True)

    class Meta:
        verbose_name = _("包户分配")
        verbose_name_plural = pgettext_lazy("plural", "包户分配")
        ordering = ["team", "household__code"]

    def __str__(self) -> str:
        return f"{self.household} → {self.team}"


class ReturnPlan(models.Model):
    """A project's return plan (回迁计划, seed 004): the responsible department and person
    (包项目到部门到人) and how late an unpaid month of subsidy may be before it is flagged."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="return_plan", verbose_name=_("项目")
    )
    department = models.CharField(_("责任部门"), max_length=100)
    person = models.CharField(_("责任人"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    subsidy_grace_days = models.PositiveSmallIntegerField(
        _("过渡费发放宽限(天)"),
        default=30,
        help_text=_("某月过渡费自该月开始之日起超过此天数仍未发放,即标记为“过渡费未按时发放”。"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("回迁计划")
        verbose_name_plural = pgettext_lazy("plural", "回迁计划")
        ordering = ["project"]

    def __str__(self) -> str:
        return str(self.project)


class ReturnTarget(models.Model):
    """By the end of `year`, at least `share` % of the project's overdue households have
    their keys (seed 004: 30% by 2018, 60% by 2019, all by 2020)."""

    plan = models.ForeignKey(
        ReturnPlan, on_delete=models.CASCADE, related_name="targets", verbose_name=_("回迁计划")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    share = models.PositiveSmallIntegerField(_("累计完成比例(%)"))

    class Meta:
        verbose_name = _("年度回迁目标")
        verbose_name_plural = pgettext_lazy("plural", "年度回迁目标")
        ordering = ["plan", "year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="return_target_year_once"),
            models.CheckConstraint(
                condition=Q(share__gte=1) & Q(share__lte=100), name="return_target_share_percent"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="return_target_year_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.share}%"


class LedgerEntry(models.Model):
    """One household in transition without its keys, as of the last ledger refresh
    (`oversight.services.ledger.ledger_refresh`, daily by Celery beat). The figures are
    defined in docs/oversight.md."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="ledger_entry", verbose_name=_("安置户")
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("项目")
    )
    moved_out_on = models.DateField(_("搬迁腾房日期"))
    promised_by = models.DateField(_("承诺回迁日期"), null=True, blank=True)
    months_overdue = models.PositiveSmallIntegerField(_("超期月数"), default=0)
    months_in_transition = models.PositiveSmallIntegerField(_("过渡月数"), default=0)
    # None when the project has no price rules (no subsidy rate to compute with).
    subsidy_owed = models.DecimalField(_("应发过渡费(元)"), null=True, blank=True, **MONEY)
    subsidy_paid = models.DecimalField(_("已发过渡费(元)"), default=0, **MONEY)
    paid_months = models.PositiveSmallIntegerField(_("已发月数"), default=0)
    subsidy_late = models.BooleanField(_("过渡费未按时发放"), default=False)
    late_since = models.DateField(_("首次标记日期"), null=True, blank=True)
    # What the due months lack (None without price rules); the months' detail: LedgerMonth.
    subsidy_arrears = models.DecimalField(_("欠发过渡费(元)"), null=True, blank=True, **MONEY)
    paid_late_months = models.PositiveSmallIntegerField(_("逾期发放月数"), default=0)
    days_late_max = models.PositiveIntegerField(_("最长逾期天数"), default=0)
    days_late_total = models.PositiveIntegerField(_("累计逾期天数"), default=0)
    as_of = models.DateField(_("统计日期"))

    class Meta:
        verbose_name = _("超期回迁台账")
        verbose_name_plural = pgettext_lazy("plural", "超期回迁台账")
        ordering = ["project", "-months_overdue", "household__code"]
        permissions = [("view_ledger", _("查看超期回迁台账"))]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subsidy_owed__isnull=True) | Q(subsidy_owed__gte=0))
                & Q(subsidy_paid__gte=0)
                & (Q(subsidy_arrears__isnull=True) | Q(subsidy_arrears__gte=0)),
                name="ledger_entry_money_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_late=False) | Q(late_since__isnull=False),
                name="ledger_entry_late_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "months_overdue"], name="ledger_project_overdue")
        ]

    def __str__(self) -> str:
        return str(self.household)

    @property
    def subsidy_unpaid(self) -> Decimal | None:
        """Owed beyond what was paid (never negative: a statement may pay months ahead)."""
        if self.subsidy_owed is None:
            return None
        return max(self.subsidy_owed - self.subsidy_paid, Decimal("0.00"))


class LedgerMonthStatus(models.TextChoices):
    """A subsidy month on a household's ledger page (computed, not stored)."""

    PAID = "paid", _("已发放")
    PENDING = "pending", _("发放中(待银行回盘)")
    UNPAID = "unpaid", _("未发放")


class LedgerMonthSource(models.TextChoices):
    RUN = "run", _("发放批次")
    STATEMENT = "statement", _("结算单")


class LedgerPeriod(models.Model):
    """A run period of a project (a month, quarter or half year of its transition policy's
    schedule) summed over the households of the ledger, as of the refresh: the months of the
    period owed (due), paid, in arrears, and how many households are in arrears or were paid
    late. Rewritten by each refresh; the rules are docs/oversight.md's."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("项目")
    )
    period_start = models.DateField(_("发放期起"))
    period_end = models.DateField(_("发放期止"))
    schedule = models.CharField(_("发放周期"), max_length=12)
    households = models.PositiveIntegerField(_("户数"), default=0)
    owed = models.DecimalField(_("应发(元)"), **MONEY)
    paid = models.DecimalField(_("已发(元)"), **MONEY)
    arrears = models.DecimalField(_("欠发(元)"), **MONEY)
    in_arrears = models.PositiveIntegerField(_("欠发户数"), default=0)
    paid_late = models.PositiveIntegerField(_("逾期发放户数"), default=0)
    as_of = models.DateField(_("统计日期"))

    class Meta:
        verbose_name = _("台账发放期汇总")
        verbose_name_plural = pgettext_lazy("plural", "台账发放期汇总")
        ordering = ["project", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period_start"], name="ledger_period_once"),
            models.CheckConstraint(
                condition=Q(owed__gte=0) & Q(paid__gte=0) & Q(arrears__gte=0),
                name="ledger_period_money_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.period_start:%Y-%m}"


class LedgerRun(models.Model):
    """One refresh of the ledger: when it ran and what it found."""

    as_of = models.DateField(_("统计日期"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    households = models.PositiveIntegerField(_("过渡中户数"), default=0)
    overdue = models.PositiveIntegerField(_("超期户数"), default=0)
    late = models.PositiveIntegerField(_("过渡费未按时发放户数"), default=0)

    class Meta:
        verbose_name = _("台账更新记录")
        verbose_name_plural = pgettext_lazy("plural", "台账更新记录")
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.finished_at:%H:%M}"
