"""Settlement and handover (结算、交房): price rules, household statements with their income
and expenditure lines, the fund-approval chain, payments and collections, agreements, key
handover and after-care defects. Money is Decimal with 2 places (元); areas 2 places (㎡);
the rounding rule is in docs/settlement.md. The rules that change these rows live in
`settlement/services/` (one module per subject).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allocation.models import Apartment
from households.models import AREA, Household, Project
from settlement.wording import line_basis, line_label, step_label

MONEY = {"max_digits": 14, "decimal_places": 2}
PRICE = {"max_digits": 12, "decimal_places": 2}
COEFFICIENT = {"max_digits": 6, "decimal_places": 4}


class SubsidyBasis(models.TextChoices):
    PERSONS = "persons", _("按安置人口")
    AREA = "area", _("按被拆迁面积")


class PriceRules(models.Model):
    """A project's prices for the household statement (结算价格)."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="price_rules", verbose_name=_("项目")
    )
    # What the household pays per ㎡ of apartment area within its entitlement (安置价).
    base_price = models.DecimalField(_("安置价(元/㎡)"), **PRICE)
    # What the household is paid per ㎡ of entitlement it did not use (面积不足补偿).
    unused_area_price = models.DecimalField(_("未用面积补偿价(元/㎡)"), **PRICE)
    # Compensation per ㎡ of the demolished house (被拆迁房屋补偿).
    demolition_price = models.DecimalField(
        _("被拆迁房屋补偿价(元/㎡)"), default=Decimal("0"), **PRICE
    )
    # Monetised resettlement / house ticket (货币化安置/房票): per ㎡ of entitlement.
    monetised_price = models.DecimalField(_("货币化安置价(元/㎡)"), **PRICE)
    # Floor price coefficients by tier: the floor price difference of an apartment is
    # area × base price × (coefficient − 1).
    tier_a_coefficient = models.DecimalField(_("A档楼层系数"), default=Decimal("1"), **COEFFICIENT)
    tier_b_coefficient = models.DecimalField(_("B档楼层系数"), default=Decimal("1"), **COEFFICIENT)
    tier_c_coefficient = models.DecimalField(_("C档楼层系数"), default=Decimal("1"), **COEFFICIENT)
    subsidy_basis = models.CharField(
        _("过渡费计算方式"),
        max_length=8,
        choices=SubsidyBasis.choices,
        default=SubsidyBasis.PERSONS,
    )
    # 元 per person per month, or per ㎡ of demolished area per month.
    subsidy_rate = models.DecimalField(_("过渡费标准(元/月)"), **PRICE)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )

    class Meta:
        verbose_name = _("结算价格")
        verbose_name_plural = pgettext_lazy("plural", "结算价格")
        constraints = [
            models.CheckConstraint(
                condition=Q(base_price__gte=0)
                & Q(unused_area_price__gte=0)
                & Q(demolition_price__gte=0)
                & Q(monetised_price__gte=0)
                & Q(subsidy_rate__gte=0),
                name="price_rules_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(tier_a_coefficient__gt=0)
                & Q(tier_b_coefficient__gt=0)
                & Q(tier_c_coefficient__gt=0),
                name="price_rules_coefficients_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.project)


class OverAreaBand(models.Model):
    """One band of the over-area price (超面积): the first `up_to` ㎡ over the entitlement at
    `price`, the next band beyond it, … The last band has no `up_to` (everything beyond)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="over_area_bands", verbose_name=_("项目")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    up_to = models.DecimalField(_("超出面积上限(㎡)"), null=True, blank=True, **AREA)
    price = models.DecimalField(_("价格(元/㎡)"), **PRICE)

    class Meta:
        verbose_name = _("超面积价格档")
        verbose_name_plural = pgettext_lazy("plural", "超面积价格档")
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "position"], name="over_area_band_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & (Q(up_to__isnull=True) | Q(up_to__gt=0)),
                name="over_area_band_values_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.up_to or '∞'} ㎡ @ {self.price}"


class Transition(models.Model):
    """A household's temporary relocation (过渡安置): moved out of the old house on
    `moved_out_on`, promised a new home by `promised_by`; the subsidy runs until handover."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="transition", verbose_name=_("安置户")
    )
    moved_out_on = models.DateField(_("搬迁腾房日期"))
    promised_by = models.DateField(_("承诺回迁日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("过渡安置")
        verbose_name_plural = pgettext_lazy("plural", "过渡安置")
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_by__isnull=True) | Q(promised_by__gte=F("moved_out_on")),
                name="transition_promise_after_move_out",
            )
        ]

    def __str__(self) -> str:
        return str(self.household)


class AdjustmentKind(models.TextChoices):
    REWARD = "reward", _("奖励")
    DEDUCTION = "deduction", _("扣减")


class Adjustment(models.Model):
    """A reward (e.g. for moving out early) or a deduction, always with a written reason."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("安置户")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=AdjustmentKind.choices)
    amount = models.DecimalField(_("金额(元)"), **MONEY)
    reason = models.CharField(_("原因"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("奖励与扣减")
        verbose_name_plural = pgettext_lazy("plural", "奖励与扣减")
        ordering = ["household", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & ~Q(reason=""), name="adjustment_amount_and_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.kind} {self.amount}"


class Outcome(models.TextChoices):
    APARTMENT = "apartment", _("实物安置")
    MONETISED = "monetised", _("货币化安置(房票)")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("待审批")
    APPROVING = "approving", _("审批中")
    APPROVED = "approved", _("已审批")
    SETTLED = "settled", _("已结清")


class Statement(models.Model):
    """A household's settlement statement (结算单): income and expenditure lines and the net.

    Recomputed whenever an input changes while draft; frozen once the approval chain starts.
    `net` = income − expenditure: positive is paid to the household, negative collected
    from it."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="statement", verbose_name=_("安置户")
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="statements", verbose_name=_("项目")
    )
    outcome = models.CharField(
        _("安置方式"), max_length=12, choices=Outcome.choices, default=Outcome.APARTMENT
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    income_total = models.DecimalField(_("收入合计(元)"), **MONEY)
    expenditure_total = models.DecimalField(_("支出合计(元)"), **MONEY)
    net = models.DecimalField(_("应付(+)/应收(−)(元)"), **MONEY)
    # The inputs the lines were computed from (areas, prices, dates, persons), for the record.
    inputs = models.JSONField(_("计算依据"), default=dict)
    version = models.PositiveIntegerField(_("计算次数"), default=1)
    # The round of the approval chain: 1, and one more after each send-back (退回). The
    # approvals of earlier rounds stay on record, superseded.
    approval_round = models.PositiveSmallIntegerField(_("审批轮次"), default=1)
    computed_at = models.DateTimeField(_("计算时间"))
    # Who last computed it by hand (a system refresh after an input changed keeps this), and
    # who chose the outcome.
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("计算人"),
    )
    outcome_chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("安置方式选择人"),
    )
    approved_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结清时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = pgettext_lazy("plural", "结算单")
        ordering = ["project", "household__code"]
        permissions = [
            ("compute_statement", _("计算结算单")),
            ("approve_statement", _("审批结算单")),
            ("record_payment", _("登记收付款")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(income_total__gte=0) & Q(expenditure_total__gte=0),
                name="statement_totals_non_negative",
            ),
            # Rounded to the cent: SQLite subtracts these as floating point numbers.
            models.CheckConstraint(
                condition=Q(net=Round(F("income_total") - F("expenditure_total"), 2)),
                name="statement_net_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "settled"]) | Q(approved_at__isnull=False),
                name="statement_approved_has_time",
            ),
        ]
        # The inbox's and the finance pages' open statements (draft, in the approval chain,
        # approved and unpaid) among a province's settled ones: without it PostgreSQL reads
        # every statement of the projects (bench/province.py, issue 15).
        indexes = [models.Index(fields=["status", "project"], name="statement_status_project")]

    def __str__(self) -> str:
        return str(self.household)


class LineSide(models.TextChoices):
    INCOME = "income", _("收入")
    EXPENDITURE = "expenditure", _("支出")


class StatementLine(models.Model):
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("结算单")
    )
    position = models.PositiveSmallIntegerField(_("行号"))
    side = models.CharField(_("收支"), max_length=12, choices=LineSide.choices)
    # The rule that produced the line (e.g. "within_entitlement", "over_area_band_1").
    rule = models.CharField(_("规则"), max_length=40)
    label = models.CharField(pgettext_lazy("line item", "项目"), max_length=200)
    # The rule's inputs as written on the statement, e.g. {"area": "90.00", "price": "…"}.
    inputs = models.JSONField(_("计算依据"), default=dict)
    amount = models.DecimalField(_("金额(元)"), **MONEY)

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = pgettext_lazy("plural", "结算明细")
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="statement_line_position_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="statement_line_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.amount}"

    @property
    def display_label(self) -> str:
        """The line's name in the reader's language (settlement.wording)."""
        return line_label(self.rule, self.label, self.inputs)

    @property
    def basis(self) -> str:
        """How the amount was reached, in words (settlement.wording)."""
        return line_basis(self.rule, self.inputs)


class StepDirection(models.TextChoices):
    """Which statements a step of the chain applies to, by the direction of what remains
    (the net less what was paid before the round: `services.approvals.statement_direction`)."""

    BOTH = "both", _("所有结算单")
    PAY = "pay", _("仅付款结算单(应付给安置户)")
    COLLECT = "collect", _("仅收款结算单(向安置户收取)")


class ApprovalStep(models.Model):
    """One step of a project's fund-approval chain (资金审批), in order, with the role that
    may take it and the statements it applies to (`applies_to`: all, those paying the
    household, or those collecting from it — a bank payment is no step of a collection).
    Defaults: the steps of seed 003 (settlement.services.approvals.DEFAULT_CHAIN)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="approval_steps", verbose_name=_("项目")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("步骤编号"), max_length=32)
    label = models.CharField(_("步骤名称"), max_length=100)
    role = models.CharField(_("可审批角色"), max_length=32)
    applies_to = models.CharField(
        _("适用结算单"), max_length=8, choices=StepDirection.choices, default=StepDirection.BOTH
    )

    class Meta:
        verbose_name = _("资金审批步骤")
        verbose_name_plural = pgettext_lazy("plural", "资金审批步骤")
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "position"], name="approval_step_position_unique"
            ),
            models.UniqueConstraint(fields=["project", "code"], name="approval_step_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"

    @property
    def display_label(self) -> str:
        """The step's name in the reader's language when it is a default name."""
        return step_label(self.label)


class StatementApproval(models.Model):
    """A step of the chain taken on a statement: who, when, with what comment, in which
    round. A send-back (`StatementSendBack`) ends a round: its approvals stay, superseded,
    and the chain starts again from step 1 in the next round."""

    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("结算单")
    )
    round = models.PositiveSmallIntegerField(_("审批轮次"), default=1)
    position = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("步骤编号"), max_length=32)
    label = models.CharField(_("步骤名称"), max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    at = models.DateTimeField(_("审批时间"), auto_now_add=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = pgettext_lazy("plural", "审批记录")
        ordering = ["statement", "round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "round", "position"], name="statement_approval_step_once"
            ),
            # Separation of duties: each step of a round by a different person.
            models.UniqueConstraint(
                fields=["statement", "round", "actor"], name="statement_approval_actor_once"
            ),
            models.CheckConstraint(
                condition=Q(round__gte=1), name="statement_approval_round_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} {self.label}"

    @property
    def display_label(self) -> str:
        """The step's name in the reader's language when it is a default name."""
        return step_label(self.label)


class StatementSendBack(models.Model):
    """A statement sent back (退回) from the approval chain to draft, with the written reason,
    by the person whose step it was waiting for. It ends approval round `round`."""

    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="send_backs", verbose_name=_("结算单")
    )
    round = models.PositiveSmallIntegerField(_("审批轮次"))
    # The step the statement was waiting for when it was sent back.
    position = models.PositiveSmallIntegerField(_("退回时的步骤"))
    label = models.CharField(_("步骤名称"), max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("退回人"),
    )
    at = models.DateTimeField(_("退回时间"), auto_now_add=True)
    reason = models.TextField(_("退回原因"))

    class Meta:
        verbose_name = _("结算单退回")
        verbose_name_plural = pgettext_lazy("plural", "结算单退回")
        ordering = ["statement", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "round"], name="statement_send_back_once_per_round"
            ),
            models.CheckConstraint(
                condition=Q(round__gte=1) & ~Q(reason=""), name="statement_send_back_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} {self.label}"

    @property
    def display_label(self) -> str:
        """The step's name in the reader's language when it is a default name."""
        return step_label(self.label)


class PaymentDirection(models.TextChoices):
    COLLECT = "collect", _("收款(向安置户收取)")
    PAY = "pay", _("付款(支付给安置户)")


class Payment(models.Model):
    """Money received from or paid to a household against its approved statement."""

    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="payments", verbose_name=_("结算单")
    )
    direction = models.CharField(_("方向"), max_length=8, choices=PaymentDirection.choices)
    amount = models.DecimalField(_("金额(元)"), **MONEY)
    # The client's Idempotency-Key (or one made by the page's form): a repeat is never paid
    # twice.
    idempotency_key = models.CharField(_("幂等键"), max_length=64, unique=True)
    reference = models.CharField(_("凭证号/银行流水号"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("收付款")
        verbose_name_plural = pgettext_lazy("plural", "收付款")
        ordering = ["statement", "recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.statement} {self.direction} {self.amount}"


class Agreement(models.Model):
    """The resettlement agreement (安置协议) and its signing record."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="agreement", verbose_name=_("安置户")
    )
    number = models.CharField(_("协议编号"), max_length=64)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    pdf_sha256 = models.CharField(_("协议文本 SHA-256"), max_length=64)
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    signer_name = models.CharField(_("签字人"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("安置协议")
        verbose_name_plural = pgettext_lazy("plural", "安置协议")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="agreement_number_unique"),
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True) | ~Q(signer_name=""),
                name="agreement_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Handover(models.Model):
    """Key handover (交房) and moving in (入住)."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="handover", verbose_name=_("安置户")
    )
    handed_over_on = models.DateField(_("交房日期"))
    keys = models.PositiveSmallIntegerField(_("钥匙数量"))
    water_reading = models.DecimalField(_("水表读数"), max_digits=10, decimal_places=2)
    electricity_reading = models.DecimalField(_("电表读数"), max_digits=10, decimal_places=2)
    gas_reading = models.DecimalField(
        _("燃气表读数"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("交房人"),
    )
    received_by = models.CharField(_("接房人(签字)"), max_length=50)
    signature_record = models.CharField(_("签字记录"), max_length=200)
    moved_in_on = models.DateField(_("入住日期"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("交房")
        verbose_name_plural = pgettext_lazy("plural", "交房")
        ordering = ["-handed_over_on"]
        constraints = [
            models.CheckConstraint(condition=Q(keys__gte=1), name="handover_has_keys"),
            models.CheckConstraint(
                condition=Q(moved_in_on__isnull=True) | Q(moved_in_on__gte=F("handed_over_on")),
                name="handover_move_in_after_handover",
            ),
        ]

    def __str__(self) -> str:
        return str(self.household)


class DefectStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已关闭")


class DefectTicket(models.Model):
    """A defect reported after moving in (售后报修), by staff or by the resident through
    the lookup code on their notice."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="defects", verbose_name=_("安置户")
    )
    apartment = models.ForeignKey(
        Apartment,
        on_delete=models.PROTECT,
        related_name="defects",
        null=True,
        blank=True,
        verbose_name=_("安置房"),
    )
    location = models.CharField(_("位置"), max_length=100)
    description = models.TextField(_("问题描述"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DefectStatus.choices, default=DefectStatus.OPEN
    )
    reported_by_resident = models.BooleanField(_("居民自报"), default=False)
    reported_at = models.DateTimeField(_("报修时间"), auto_now_add=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("登记人"),
    )
    answer = models.TextField(_("处理答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报修")
        verbose_name_plural = pgettext_lazy("plural", "报修")
        ordering = ["-reported_at"]
        permissions = [("answer_defect", _("答复报修"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(answer="") & Q(answered_by__isnull=False)),
                name="defect_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="defect_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.location}"


def defect_photo_upload_to(instance: DefectPhoto, filename: str) -> str:
    # Never the uploader's file name: random, with the extension of the type we verified.
    extension = {"image/jpeg": ".jpg", "image/png": ".png"}.get(instance.content_type, "")
    return f"defects/{instance.ticket.household.project_id}/{uuid.uuid4().hex}{extension}"


class DefectPhoto(models.Model):
    ticket = models.ForeignKey(
        DefectTicket, on_delete=models.CASCADE, related_name="photos", verbose_name=_("报修")
    )
    file = models.FileField(_("照片"), upload_to=defect_photo_upload_to, max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=64)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报修照片")
        verbose_name_plural = pgettext_lazy("plural", "报修照片")
        ordering = ["ticket", "uploaded_at"]

    def __str__(self) -> str:
        return self.file.name


class StatementCorrection(models.Model):
    """A correction after settlement (结算后更正), opened by a leader with a written reason.

    A settled statement's figures change only while a correction of its household is open:
    the household's facts may then change (households.signals), and the statement is
    recomputed as a new version with its own approval round and payments. Its totals net off
    what was paid (docs/settlement.md, "Correction after settlement"): what the household
    is owed or owes now is the new net minus what was paid or collected. The settled figures
    are kept here as they were, and the correction closes when the new version is settled.
    """

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("安置户")
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("结算单")
    )
    reason = models.TextField(_("更正原因"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("开启人"),
    )
    opened_at = models.DateTimeField(_("开启时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The statement as it was settled when the correction was opened.
    settled_version = models.PositiveIntegerField(_("已结算版本"))
    settled_round = models.PositiveSmallIntegerField(_("已结算审批轮次"))
    settled_net = models.DecimalField(_("已结算净额(元)"), **MONEY)
    settled_paid = models.DecimalField(_("已收付(元)"), **MONEY)
    settled_lines = models.JSONField(_("已结算明细"), default=list)

    class Meta:
        verbose_name = _("结算更正")
        verbose_name_plural = pgettext_lazy("plural", "结算更正")
        ordering = ["household", "opened_at"]
        permissions = [("open_correction", _("开启结算后更正"))]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(closed_at__isnull=True),
                name="statement_correction_one_open",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="statement_correction_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.opened_at:%Y-%m-%d}"


class BankAccountStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    CONFIRMED = "confirmed", _("已复核(在用)")
    SUPERSEDED = "superseded", _("已更换")
    REJECTED = "rejected", _("复核未通过")


class BankAccount(models.Model):
    """A household's bank account for payments made on its behalf (代发: transition subsidy
    runs). Recorded with the agreement by one person and confirmed by a second; a change is a
    new row that replaces the confirmed one only once a second person confirms it. The rows
    of a household are its account history. The number is masked for every role but finance
    (`resettlement.personal_data`)."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="bank_accounts", verbose_name=_("安置户")
    )
    holder_name = models.CharField(_("户名"), max_length=50)
    bank_name = models.CharField(_("开户银行"), max_length=100)
    account_number = models.CharField(_("银行账号"), max_length=32)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=BankAccountStatus.choices,
        default=BankAccountStatus.PENDING,
    )
    reason = models.CharField(_("录入或变更原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    # Why the second person refused it (status rejected).
    rejection_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("复核人"),
    )
    confirmed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("安置户银行账户")
        verbose_name_plural = pgettext_lazy("plural", "安置户银行账户")
        ordering = ["household", "-recorded_at"]
        permissions = [
            ("confirm_bank_account", _("复核银行账户")),
            ("view_full_bank_account", _("查看完整银行账号")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status="confirmed"),
                name="bank_account_one_confirmed",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status="pending"),
                name="bank_account_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("recorded_by")),
                name="bank_account_second_person_confirms",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending"])
                | (Q(confirmed_by__isnull=False) & Q(confirmed_at__isnull=False)),
                name="bank_account_decided_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(holder_name="") & ~Q(bank_name="") & ~Q(account_number=""),
                name="bank_account_fields_present",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.bank_name}"


class SubsidySchedule(models.TextChoices):
    MONTHLY = "monthly", _("按月发放")
    QUARTERLY = "quarterly", _("按季度发放")
    HALF_YEARLY = "half_yearly", _("按半年发放")


class CashValuationDay(models.TextChoices):
    SWITCH_DAY = "switch_day", _("申请改货币补偿之日")
    PROMISED_DAY = "promised_day", _("承诺回迁之日")


class TransitionPolicy(models.Model):
    """A project's transition policy (过渡安置政策): how the temporary resettlement subsidy is
    paid while families wait and what an overdue household is owed. The basis and rate are the
    price rules' (`PriceRules.subsidy_basis`, `subsidy_rate`). The examples are Zhejiang 2020
    Art. 23–26 and Shandong 2020 Art. 28 (LAW.md); every figure is the project's setting."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="transition_policy", verbose_name=_("项目")
    )
    schedule = models.CharField(
        _("发放周期"),
        max_length=12,
        choices=SubsidySchedule.choices,
        default=SubsidySchedule.QUARTERLY,
    )
    transition_months = models.PositiveSmallIntegerField(
        _("过渡期(月)"),
        default=24,
        help_text=_("搬迁腾房后至承诺回迁的月数;未单独录入承诺回迁日期的户按此计算。"),
    )
    overdue_multiplier = models.DecimalField(
        _("超期过渡费倍数"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        help_text=_("超过承诺回迁日期后,过渡费按标准的此倍数发放;1 表示不增加。"),
    )
    months_after_handover = models.PositiveSmallIntegerField(
        _("交房后继续发放(月)"),
        default=0,
        help_text=_("交付安置房后过渡费继续发放的月数(如浙江省条例第二十四条为6个月)。"),
    )
    overdue_cash_option = models.BooleanField(
        _("超期可改货币补偿"),
        default=False,
        help_text=_("超过过渡期仍未回迁的户可申请改为货币补偿(如浙江省条例第二十六条)。"),
    )
    cash_valuation_day = models.CharField(
        _("改货币补偿的估价日"),
        max_length=16,
        choices=CashValuationDay.choices,
        default=CashValuationDay.SWITCH_DAY,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("过渡安置政策")
        verbose_name_plural = pgettext_lazy("plural", "过渡安置政策")
        ordering = ["project"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overdue_multiplier__gte=1) & Q(transition_months__gte=1),
                name="transition_policy_values_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.project)


class OverdueCashSwitch(models.Model):
    """An overdue household's switch to cash (超期改货币补偿): past its promised return date
    without keys, under a policy that allows it, a leader changed its outcome to monetised
    with a written reason (`settlement.services.overdue.switch_to_cash`). The statement is
    computed from then on with the monetised price valued on `valued_on` (the policy's
    `cash_valuation_day`), and the relocation subsidy stops on `switched_on`. A household that
    switched gets no keys (`settlement.gates.handover_ready`)."""

    household = models.OneToOneField(
        Household,
        on_delete=models.PROTECT,
        related_name="overdue_cash_switch",
        verbose_name=_("安置户"),
    )
    promised_on = models.DateField(_("承诺回迁日期"))
    switched_on = models.DateField(_("改货币补偿日期"))
    valued_on = models.DateField(_("估价日"))
    valuation_day = models.CharField(
        _("估价日规则"), max_length=16, choices=CashValuationDay.choices
    )
    reason = models.CharField(_("原因"), max_length=2000)
    # The apartments the household had drawn (a signed lottery) and gives up, by code: they
    # are no longer on its statement and it gets no keys for them; their release in the
    # lottery's records is the lottery office's (docs/settlement.md, "Overdue rights").
    given_up_apartments = models.JSONField(_("放弃的安置房"), default=list, blank=True)
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("决定人"),
    )
    switched_at = models.DateTimeField(_("决定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("超期改货币补偿")
        verbose_name_plural = pgettext_lazy("plural", "超期改货币补偿")
        ordering = ["-switched_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="overdue_cash_switch_reason"),
            models.CheckConstraint(
                condition=Q(switched_on__gt=F("promised_on")),
                name="overdue_cash_switch_after_promise",
            ),
        ]

    def __str__(self) -> str:
        return str(self.household)


# -- transition-subsidy runs (临时安置补助费发放) ------------------------------------------------


class SubsidyRunStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVING = "approving", _("审批中")
    APPROVED = "approved", _("已审批")
    SENT = "sent", _("已生成代发文件")
    CLOSED = "closed", _("已回盘")


class SubsidyRun(models.Model):
    """One payment round of the temporary resettlement subsidy (临时安置补助费发放) for a
    project's period (`period_start`..`period_end`, a month, quarter or half year of the
    transition policy's schedule): computed by finance (draft), approved through the steps of
    the project's chain that apply to payments (approving → approved), sent to the bank as a
    batch file (sent) and closed once the bank's result file has answered every row.
    The rules: settlement.services.subsidy_runs; docs/settlement.md."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="subsidy_runs", verbose_name=_("项目")
    )
    number = models.PositiveIntegerField(_("批次号"))
    label = models.CharField(_("批次名称"), max_length=100)
    period_start = models.DateField(_("发放期起"))
    period_end = models.DateField(_("发放期止"))
    status = models.CharField(
        _("状态"), max_length=12, choices=SubsidyRunStatus.choices, default=SubsidyRunStatus.DRAFT
    )
    approval_round = models.PositiveSmallIntegerField(_("审批轮次"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("编制人"),
    )
    created_at = models.DateTimeField(_("编制时间"), auto_now_add=True)
    computed_at = models.DateTimeField(_("计算时间"))
    approved_at = models.DateTimeField(_("审批通过时间"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代发文件生成人"),
    )
    sent_at = models.DateTimeField(_("代发文件生成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("回盘完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("过渡费发放批次")
        verbose_name_plural = pgettext_lazy("plural", "过渡费发放批次")
        ordering = ["project", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="subsidy_run_number_unique"),
            models.UniqueConstraint(
                fields=["project", "period_start"], name="subsidy_run_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="subsidy_run_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class SubsidyLineStatus(models.TextChoices):
    BLOCKED = "blocked", _("暂缓(无已复核账户)")
    PENDING = "pending", _("待回盘")
    PAID = "paid", _("已发放")
    FAILED = "failed", _("发放失败")


class SubsidyRunLine(models.Model):
    """A household's line of a run: the months it pays (those of the period no run has paid,
    and arrears — earlier months never paid), at the rate × persons (or × demolished area),
    the overdue months times the multiplier; the bank details as they were when the batch
    file was made; and the bank's answer. A household without a confirmed account is listed
    as blocked (not in the batch; its months stay unpaid for the next run)."""

    run = models.ForeignKey(
        SubsidyRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("批次")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="subsidy_lines", verbose_name=_("安置户")
    )
    first_month = models.DateField(_("首月"))
    last_month = models.DateField(_("末月"))
    months = models.PositiveSmallIntegerField(_("月数"))
    arrears_months = models.PositiveSmallIntegerField(_("其中补发月数"), default=0)
    overdue_months = models.PositiveSmallIntegerField(_("其中超期月数"), default=0)
    basis = models.CharField(_("计发依据"), max_length=8, choices=SubsidyBasis.choices)
    quantity = models.DecimalField(_("人数或面积"), max_digits=10, decimal_places=2)
    rate = models.DecimalField(_("标准"), **PRICE)
    multiplier = models.DecimalField(_("超期倍数"), max_digits=4, decimal_places=2)
    amount = models.DecimalField(_("金额"), **MONEY)
    arrears_amount = models.DecimalField(_("其中补发金额"), **MONEY, default=Decimal("0.00"))
    status = models.CharField(
        _("状态"),
        max_length=8,
        choices=SubsidyLineStatus.choices,
        default=SubsidyLineStatus.PENDING,
    )
    blocked_reason = models.CharField(_("暂缓原因"), max_length=200, blank=True)
    reference = models.CharField(_("参考号"), max_length=40)
    holder_name = models.CharField(_("户名"), max_length=50, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    account_number = models.CharField(_("银行账号"), max_length=32, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    bank_serial = models.CharField(_("银行流水号"), max_length=64, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("过渡费发放明细")
        verbose_name_plural = pgettext_lazy("plural", "过渡费发放明细")
        ordering = ["run", "household__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "household"], name="subsidy_line_one_per_household"
            ),
            models.UniqueConstraint(fields=["reference"], name="subsidy_line_reference_unique"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(arrears_amount__gte=0) & Q(months__gt=0),
                name="subsidy_line_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(last_month__gte=F("first_month"))
                & Q(arrears_months__lte=F("months"))
                & Q(overdue_months__lte=F("months")),
                name="subsidy_line_months_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_on__isnull=False) & ~Q(bank_serial="")),
                name="subsidy_line_paid_has_serial",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="subsidy_line_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.household}"


class SubsidyMonth(models.Model):
    """A month of a household's transition paid (or being paid) by a run's line: one row per
    household per month, so a month is paid at most once (`subsidy_month_paid_once`). A
    failed line's months are deleted (released): the next run pays them as arrears.
    `month` is the first day of the calendar month in which the household's subsidy month
    starts (moving out on the 20th: the month from 20 March is stored as 1 March)."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="subsidy_months", verbose_name=_("安置户")
    )
    month = models.DateField(_("月份"))
    line = models.ForeignKey(
        SubsidyRunLine, on_delete=models.CASCADE, related_name="paid_months", verbose_name=_("明细")
    )
    overdue = models.BooleanField(_("超期月"), default=False)

    class Meta:
        verbose_name = _("过渡费已发月份")
        verbose_name_plural = pgettext_lazy("plural", "过渡费已发月份")
        ordering = ["household", "month"]
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="subsidy_month_paid_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="subsidy_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.month:%Y-%m}"


class SubsidyRunApproval(models.Model):
    """A step of the chain (the steps applying to payments) taken on a run; a send-back ends a
    round and the chain starts again from its first step."""

    run = models.ForeignKey(
        SubsidyRun, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("批次")
    )
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    position = models.PositiveSmallIntegerField(_("步骤顺序"))
    code = models.CharField(_("步骤编号"), max_length=32)
    label = models.CharField(_("步骤名称"), max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    comment = models.TextField(_("审批意见"), blank=True)
    sent_back = models.BooleanField(_("退回"), default=False)
    created_at = models.DateTimeField(_("审批时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("过渡费发放审批")
        verbose_name_plural = pgettext_lazy("plural", "过渡费发放审批")
        ordering = ["run", "round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "round", "position"],
                condition=Q(sent_back=False),
                name="subsidy_run_approval_step_once",
            ),
            models.UniqueConstraint(
                fields=["run", "round", "actor"],
                condition=Q(sent_back=False),
                name="subsidy_run_approval_actor_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.position}. {self.label}"

    @property
    def display_label(self) -> str:
        return step_label(self.label)
