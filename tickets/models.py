"""House tickets (房票, issue 14; docs/tickets.md): a monetised household's approved statement
is settled by a ticket worth the statement's income lines less what the project's ticket
policy keeps out of it; the holder buys listed homes of registered developers with it
(a reward credited at use), may transfer it as the policy allows, and what is left is bought
back on request or at expiry. Money is Decimal with 2 places (元). The rules that change
these rows live in `tickets/services/` (one module per subject).

Per ticket: face value + rewards = purchases + buy-back paid + forfeited (the reconciliation
identity, docs/tickets.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from households.models import AREA, Household, Project
from settlement.models import Payment, Statement

MONEY = {"max_digits": 14, "decimal_places": 2}
PRICE = {"max_digits": 12, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class Transferable(models.TextChoices):
    NEVER = "never", _("不可转让")
    ONCE = "once", _("可转让一次")


class OnExpiry(models.TextChoices):
    BUY_BACK = "buy_back", _("按回购规则回购余额")
    FORFEIT = "forfeit", _("余额作废")


class TicketPolicy(models.Model):
    """A project's house-ticket policy (房票政策). `reward_tiers` is a list of
    ``{"up_to_month": 12, "percent": "5.00"}`` in increasing months: a purchase in month m
    after issue earns the percent of the first tier with up_to_month ≥ m (none: no reward).
    `excluded_rules` are the statement line rules kept out of the face value and paid in
    cash (e.g. ``["transition_subsidy"]``, Huiyang 2025)."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="ticket_policy", verbose_name=_("项目")
    )
    validity_months = models.PositiveSmallIntegerField(_("有效期(月)"), default=24)
    reward_tiers = models.JSONField(_("奖励档次"), default=list, blank=True)
    transferable = models.CharField(
        _("转让"), max_length=8, choices=Transferable.choices, default=Transferable.NEVER
    )
    splittable = models.BooleanField(_("可分次使用"), default=True)
    # A balance up to this percent of the face value is bought back at `small_balance_rate`
    # percent of it, a larger one at `buy_back_rate` percent (Shengzhou 2015: 5, 100, 90).
    small_balance_percent = models.DecimalField(
        _("小额余额上限(面值的%)"), default=Decimal("5.00"), **PERCENT
    )
    small_balance_rate = models.DecimalField(
        _("小额余额回购比例(%)"), default=Decimal("100.00"), **PERCENT
    )
    buy_back_rate = models.DecimalField(_("回购比例(%)"), default=Decimal("90.00"), **PERCENT)
    excluded_rules = models.JSONField(_("不计入面值的结算项目"), default=list, blank=True)
    on_expiry = models.CharField(
        _("到期处理"), max_length=8, choices=OnExpiry.choices, default=OnExpiry.BUY_BACK
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )

    class Meta:
        verbose_name = _("房票政策")
        verbose_name_plural = pgettext_lazy("plural", "房票政策")
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gte=1), name="ticket_policy_validity_positive"
            ),
            models.CheckConstraint(
                condition=Q(small_balance_percent__gte=0)
                & Q(small_balance_percent__lte=100)
                & Q(small_balance_rate__gte=0)
                & Q(small_balance_rate__lte=100)
                & Q(buy_back_rate__gte=0)
                & Q(buy_back_rate__lte=100),
                name="ticket_policy_percents_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.project)


class Developer(models.Model):
    """A development company (开发企业) whose listed homes take house tickets."""

    name = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100)
    bank_account = models.CharField(_("银行账号"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("开发企业")
        verbose_name_plural = pgettext_lazy("plural", "开发企业")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(bank_account=""), name="developer_name_and_account"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Listing(models.Model):
    """A listed home (房源/楼盘) a ticket may buy, with its ticket price and its cash price per
    ㎡ side by side (seed 002: ticket prices above cash prices)."""

    developer = models.ForeignKey(
        Developer, on_delete=models.PROTECT, related_name="listings", verbose_name=_("开发企业")
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="ticket_listings", verbose_name=_("项目")
    )
    name = models.CharField(_("楼盘/房源"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.DecimalField(_("面积(㎡)"), **AREA)
    ticket_price = models.DecimalField(_("房票价(元/㎡)"), **PRICE)
    cash_price = models.DecimalField(_("现金价(元/㎡)"), **PRICE)
    available = models.PositiveIntegerField(_("可售套数"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("房源")
        verbose_name_plural = pgettext_lazy("plural", "房源")
        ordering = ["project", "developer__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "developer", "name"], name="listing_name_unique_per_developer"
            ),
            models.CheckConstraint(
                condition=Q(area__gt=0) & Q(ticket_price__gt=0) & Q(cash_price__gt=0),
                name="listing_area_and_prices_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.developer} {self.name}"

    @property
    def price_difference(self) -> Decimal:
        """Ticket price less cash price per ㎡ (positive: a ticket buys less)."""
        return self.ticket_price - self.cash_price


class TicketStatus(models.TextChoices):
    VALID = "valid", _("有效")
    USED = "used", _("已用完")
    EXPIRED = "expired", _("已到期")
    BOUGHT_BACK = "bought_back", _("已回购")


class HouseTicket(models.Model):
    """A house ticket (房票) issued to a monetised household against its approved statement.
    `reward_total` is what purchases have been credited as rewards so far; `balance` the face
    value not yet used, bought back or forfeited."""

    number = models.CharField(_("房票编号"), max_length=32, unique=True)
    verification_code = models.CharField(_("验证码"), max_length=12)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="house_tickets", verbose_name=_("项目")
    )
    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="house_ticket", verbose_name=_("安置户")
    )
    statement = models.OneToOneField(
        Statement, on_delete=models.PROTECT, related_name="house_ticket", verbose_name=_("结算单")
    )
    # The payment that records the ticket against the statement (reference: the number).
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="house_ticket", verbose_name=_("收付款")
    )
    holder_name = models.CharField(_("持票人"), max_length=50)
    holder_id_number = models.CharField(_("持票人身份证号"), max_length=18, blank=True)
    face_value = models.DecimalField(_("面值(元)"), **MONEY)
    reward_total = models.DecimalField(_("已奖励(元)"), default=Decimal("0"), **MONEY)
    # Face value not yet used by purchases, bought back or forfeited.
    balance = models.DecimalField(_("余额(元)"), **MONEY)
    issued_on = models.DateField(_("签发日期"))
    expires_on = models.DateField(_("到期日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.VALID
    )
    transfer_count = models.PositiveSmallIntegerField(_("转让次数"), default=0)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签发人"),
    )
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("房票")
        verbose_name_plural = pgettext_lazy("plural", "房票")
        ordering = ["project", "number"]
        permissions = [
            ("issue_ticket", _("签发房票")),
            ("record_ticket_use", _("登记房票购房、转让与回购")),
            ("approve_developer_settlement", _("审批开发企业结算")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(face_value__gt=0)
                & Q(reward_total__gte=0)
                & Q(balance__gte=0)
                & Q(balance__lte=F("face_value")),
                name="house_ticket_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("issued_on")), name="house_ticket_expires_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DeveloperSettlementStatus(models.TextChoices):
    APPROVING = "approving", _("审批中")
    APPROVED = "approved", _("已审批,待银行付款")


class DeveloperSettlement(models.Model):
    """A developers' settlement batch (开发企业结算): the redeemed purchases of one developer in
    one project not yet settled, paid to its bank account once the project's approval chain
    (the steps that apply to paying) has approved it."""

    number = models.CharField(_("结算单号"), max_length=40, unique=True)
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        related_name="developer_settlements",
        verbose_name=_("项目"),
    )
    developer = models.ForeignKey(
        Developer, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("开发企业")
    )
    total = models.DecimalField(_("结算金额(元)"), **MONEY)
    purchase_count = models.PositiveIntegerField(_("购房笔数"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=DeveloperSettlementStatus.choices,
        default=DeveloperSettlementStatus.APPROVING,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    approved_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("开发企业结算")
        verbose_name_plural = pgettext_lazy("plural", "开发企业结算")
        ordering = ["project", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gt=0) & Q(purchase_count__gte=1),
                name="developer_settlement_total_positive",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
                name="developer_settlement_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DeveloperSettlementApproval(models.Model):
    """A step of the project's approval chain taken on a developers' settlement."""

    settlement = models.ForeignKey(
        DeveloperSettlement,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("开发企业结算"),
    )
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
        verbose_name = _("开发企业结算审批")
        verbose_name_plural = pgettext_lazy("plural", "开发企业结算审批")
        ordering = ["settlement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "position"], name="developer_settlement_step_once"
            ),
            # Separation of duties: each step by a different person.
            models.UniqueConstraint(
                fields=["settlement", "actor"], name="developer_settlement_actor_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement} {self.label}"


class TicketPurchase(models.Model):
    """A home bought with the ticket: `amount` paid to the developer = `face_used` of the
    ticket's balance + `reward` credited at use (docs/tickets.md)."""

    ticket = models.ForeignKey(
        HouseTicket, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("房票")
    )
    developer = models.ForeignKey(
        Developer, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("开发企业")
    )
    listing = models.ForeignKey(
        Listing, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("房源")
    )
    contract_number = models.CharField(_("购房合同编号"), max_length=64)
    amount = models.DecimalField(_("使用金额(元)"), **MONEY)
    face_used = models.DecimalField(_("使用面值(元)"), **MONEY)
    reward = models.DecimalField(_("奖励(元)"), **MONEY)
    reward_percent = models.DecimalField(_("奖励比例(%)"), **PERCENT)
    month = models.PositiveSmallIntegerField(_("签发后第几个月"))
    purchased_on = models.DateField(_("购房日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # The developers' settlement that pays this purchase to the developer (None: not yet).
    settlement = models.ForeignKey(
        DeveloperSettlement,
        on_delete=models.PROTECT,
        related_name="purchases",
        null=True,
        blank=True,
        verbose_name=_("开发企业结算"),
    )

    class Meta:
        verbose_name = _("房票购房")
        verbose_name_plural = pgettext_lazy("plural", "房票购房")
        ordering = ["ticket", "purchased_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["developer", "contract_number"], name="ticket_purchase_contract_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(face_used__gt=0) & Q(reward__gte=0),
                name="ticket_purchase_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("face_used") + F("reward")),
                name="ticket_purchase_amount_is_face_plus_reward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.contract_number}"


class TicketTransfer(models.Model):
    """A ticket transferred (转让) to a named person, with the reason."""

    ticket = models.ForeignKey(
        HouseTicket, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("房票")
    )
    from_name = models.CharField(_("转让人"), max_length=50)
    to_name = models.CharField(_("受让人"), max_length=50)
    to_id_number = models.CharField(_("受让人身份证号"), max_length=18)
    transferred_on = models.DateField(_("转让日期"))
    reason = models.TextField(_("转让原因"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("房票转让")
        verbose_name_plural = pgettext_lazy("plural", "房票转让")
        ordering = ["ticket", "transferred_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_name="") & ~Q(reason=""), name="ticket_transfer_named_with_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} → {self.to_name}"


class BuyBackReason(models.TextChoices):
    REQUEST = "request", _("持票人申请回购")
    EXPIRY = "expiry", _("到期处理")


class TicketBuyBack(models.Model):
    """The ticket's remaining balance ended: bought back (`amount_paid`, by the policy's rule)
    and the rest forfeited, on request or at expiry. One per ticket."""

    ticket = models.OneToOneField(
        HouseTicket, on_delete=models.PROTECT, related_name="buy_back", verbose_name=_("房票")
    )
    balance = models.DecimalField(_("余额(元)"), **MONEY)
    amount_paid = models.DecimalField(_("回购金额(元)"), **MONEY)
    forfeited = models.DecimalField(_("不予回购部分(元)"), **MONEY)
    rate = models.DecimalField(_("回购比例(%)"), **PERCENT)
    reason = models.CharField(_("原因"), max_length=8, choices=BuyBackReason.choices)
    on = models.DateField(_("日期"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("房票回购")
        verbose_name_plural = pgettext_lazy("plural", "房票回购")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gt=0)
                & Q(amount_paid__gte=0)
                & Q(forfeited__gte=0)
                & Q(balance=F("amount_paid") + F("forfeited")),
                name="ticket_buy_back_amounts_consistent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.amount_paid}"
