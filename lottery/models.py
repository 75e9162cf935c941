"""Lottery sessions (摇号) under `rs-lottery-v1` (DESIGN §5, `lottery.algorithm`).

A session is created with a secret and its public commitment; the notary confirms the
participant list and the inventory snapshot (stored here, hashed); the witness entropy fixes
the seed, and from then on every step's order is determined. The draws are *revealed* one
by one in call order (`Reveal`), apartments assigned (`Allocation`), the notary signs off and
the secret and bundle are published. The rules live in `lottery.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allocation.models import Apartment, Estate
from households.models import Community, Household, Project


class SessionMode(models.TextChoices):
    DIRECT = "direct", _("直接摇房号")
    CHOOSE = "choose", _("摇顺序号后选房")


class SessionStatus(models.TextChoices):
    COMMITTED = "committed", _("已公布承诺值")
    CONFIRMED = "confirmed", _("公证员已确认名单与房源")
    DRAWING = "drawing", _("摇号中")
    SIGNED = "signed", _("公证员已签署")
    VOIDED = "voided", _("已作废")


class LotterySession(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="lottery_sessions", verbose_name=_("项目")
    )
    estate = models.ForeignKey(
        Estate,
        on_delete=models.PROTECT,
        related_name="lottery_sessions",
        verbose_name=_("安置小区"),
    )
    communities = models.ManyToManyField(
        Community, related_name="lottery_sessions", verbose_name=_("参加的村/社区")
    )
    code = models.CharField(_("场次编号"), max_length=32, unique=True)
    title = models.CharField(_("场次名称"), max_length=200)
    mode = models.CharField(_("摇号方式"), max_length=8, choices=SessionMode.choices)
    # Practice runs (演练): same mechanics, marked everywhere, never published or binding.
    rehearsal = models.BooleanField(_("演练"), default=False)
    # The villagers' resolution may fix the order of communities along the orientation;
    # otherwise (null) it is drawn. A list of community codes.
    fixed_village_order = models.JSONField(_("决议确定的村序"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.COMMITTED
    )
    paused = models.BooleanField(_("暂停中"), default=False)

    # rs-lottery-v1 (DESIGN §5) or rs-lottery-v2 (docs/lottery.md §13a: the commitment binds a
    # record naming the estates, the step prefix and a public random value announced in
    # advance). The secret stays on the server until sign-off or voiding.
    algorithm = models.CharField(_("算法"), max_length=16, default="rs-lottery-v1", editable=False)
    commitment_record = models.JSONField(_("承诺记录"), null=True, blank=True, editable=False)
    server_secret = models.CharField(_("服务器密钥"), max_length=64, editable=False)
    commitment = models.CharField(_("承诺值"), max_length=64, editable=False)
    participants = models.JSONField(_("参加户名单"), default=list, editable=False)
    participants_sha256 = models.CharField(_("名单哈希"), max_length=64, blank=True)
    inventory = models.JSONField(_("房源快照"), default=list, editable=False)
    inventory_sha256 = models.CharField(_("房源哈希"), max_length=64, blank=True)
    witness_entropy = models.TextField(_("见证随机数"), blank=True)
    seed = models.CharField(_("种子"), max_length=64, blank=True)
    # "" or "<estate code>/" when the project has several estates (DESIGN §5 item 7); fixed
    # when the session is created, so later estates do not change its step labels.
    step_prefix = models.CharField(_("步骤前缀"), max_length=20, blank=True, editable=False)
    steps = models.JSONField(_("摇号步骤"), default=list, editable=False)
    # v2: the public random value (named in the commitment record) as the notary entered it
    # once it was published; for drand also the round's signature.
    public_value = models.TextField(_("公开随机数"), blank=True)
    public_signature = models.TextField(_("公开随机数签名"), blank=True)
    public_value_at = models.DateTimeField(_("公开随机数录入时间"), null=True, blank=True)
    public_value_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("录入公开随机数的公证员"),
    )
    witnesses = models.TextField(_("见证人"), blank=True)
    bundle = models.JSONField(_("验证数据包"), null=True, blank=True, editable=False)
    bundle_sha256 = models.CharField(_("数据包哈希"), max_length=64, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    committed_at = models.DateTimeField(_("承诺值公布时间"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("确认公证员"),
    )
    entropy_at = models.DateTimeField(_("随机数录入时间"), null=True, blank=True)
    entropy_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("录入随机数的公证员"),
    )
    closed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("签署公证员"),
    )
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("作废人"),
    )
    void_reason = models.TextField(_("作废原因"), blank=True)
    # A session voided before sign-off may be followed by a new one (new secret, new
    # commitment); the new one points back at it.
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="replaced_by",
        null=True,
        blank=True,
        verbose_name=_("替代的场次"),
    )

    class Meta:
        verbose_name = _("摇号场次")
        verbose_name_plural = pgettext_lazy("plural", "摇号场次")
        ordering = ["-created_at"]
        permissions = [
            ("operate_session", _("操作摇号(签到、摇号、选房)")),
            ("witness_session", _("公证见证(确认、录入随机数、签署)")),
            ("void_session", _("作废摇号场次")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="voided") | ~Q(void_reason=""), name="session_void_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(closed_at__isnull=False) & Q(signed_by__isnull=False) & ~Q(seed="")),
                name="session_signed_is_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(rehearsal=True) | Q(bundle__isnull=False),
                name="session_signed_has_bundle",
            ),
            # One live (binding) session per estate at a time: two could hand out the same
            # apartments from the same snapshot.
            models.UniqueConstraint(
                fields=["estate"],
                condition=Q(rehearsal=False, status__in=["committed", "confirmed", "drawing"]),
                name="session_one_open_per_estate",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    # What may be shown of the secret and the seed, wherever a session is shown (pages,
    # API, admin, the notarial record): the secret once the session can no longer draw
    # (signed or voided), the seed once it is signed; "" before.

    @property
    def is_v2(self) -> bool:
        return self.algorithm == "rs-lottery-v2"

    @property
    def public_source(self) -> dict | None:
        return (self.commitment_record or {}).get("public_source")

    @property
    def waits_for_public_value(self) -> bool:
        return self.is_v2 and not self.public_value

    @property
    def revealed_secret(self) -> str:
        revealed = self.status in (SessionStatus.SIGNED, SessionStatus.VOIDED)
        return self.server_secret if revealed else ""

    @property
    def revealed_seed(self) -> str:
        return self.seed if self.status == SessionStatus.SIGNED else ""


class CheckInMethod(models.TextChoices):
    NOTICE_CODE = "notice_code", _("通知书查询码")
    ID_NUMBER = "id_number", _("身份证号")


class CheckIn(models.Model):
    """A household present in the hall (签到), its identity confirmed by the operator."""

    session = models.ForeignKey(
        LotterySession, on_delete=models.PROTECT, related_name="check_ins", verbose_name=_("场次")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("安置户")
    )
    method = models.CharField(_("签到方式"), max_length=16, choices=CheckInMethod.choices)
    attendee = models.CharField(_("到场人"), max_length=50)
    checked_in_at = models.DateTimeField(_("签到时间"), auto_now_add=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作员"),
    )

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = pgettext_lazy("plural", "签到")
        ordering = ["session", "checked_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "household"], name="check_in_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session} {self.household}"


class Reveal(models.Model):
    """One draw shown in the hall: position `position` of the session's call order.

    The order itself was fixed by the seed; a reveal records when it was shown, by whom, and
    whether the household drew in person or by proxy (代摇, not checked in)."""

    session = models.ForeignKey(
        LotterySession, on_delete=models.PROTECT, related_name="reveals", verbose_name=_("场次")
    )
    position = models.PositiveIntegerField(_("序号"))
    step_label = models.CharField(_("步骤"), max_length=100)
    rank = models.PositiveIntegerField(_("摇出顺序"))
    participant = models.CharField(_("对象编号"), max_length=32)
    proxy = models.BooleanField(_("代摇"), default=False)
    revealed_at = models.DateTimeField(_("摇出时间"), auto_now_add=True)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作员"),
    )

    class Meta:
        verbose_name = _("摇号结果")
        verbose_name_plural = pgettext_lazy("plural", "摇号结果")
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="reveal_position_once"),
            models.UniqueConstraint(
                fields=["session", "step_label", "rank"], name="reveal_step_rank_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} #{self.position} {self.participant}"


class Allocation(models.Model):
    """An apartment given to a household by a session (drawn directly or picked in turn)."""

    session = models.ForeignKey(
        LotterySession, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("场次")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("安置户")
    )
    apartment = models.ForeignKey(
        Apartment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("安置房")
    )
    # Binding unless the session is a rehearsal or was voided before sign-off.
    binding = models.BooleanField(_("有效"), default=True)
    proxy = models.BooleanField(_("代摇/代选"), default=False)
    sequence = models.PositiveIntegerField(_("选房序号"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作员"),
    )

    class Meta:
        verbose_name = _("分房结果")
        verbose_name_plural = pgettext_lazy("plural", "分房结果")
        ordering = ["session", "sequence", "apartment__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "apartment"], name="allocation_apartment_once_per_session"
            ),
            # One apartment never goes to two households.
            models.UniqueConstraint(
                fields=["apartment"], condition=Q(binding=True), name="allocation_apartment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} → {self.apartment}"


class SessionEventKind(models.TextChoices):
    CREATED = "created", _("创建场次并公布承诺值")
    CONFIRMED = "confirmed", _("公证员确认名单与房源")
    ENTROPY = "entropy", _("录入见证随机数")
    PUBLIC_VALUE = "public_value", _("录入公开随机数")
    PAUSED = "paused", _("暂停")
    RESUMED = "resumed", _("继续")
    SIGNED = "signed", _("公证员签署")
    VOIDED = "voided", _("作废")


class SessionEvent(models.Model):
    """Who did what to a session and when (draws, picks and check-ins have their own rows)."""

    session = models.ForeignKey(
        LotterySession, on_delete=models.PROTECT, related_name="events", verbose_name=_("场次")
    )
    kind = models.CharField(_("事项"), max_length=16, choices=SessionEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("场次记录")
        verbose_name_plural = pgettext_lazy("plural", "场次记录")
        ordering = ["session", "at", "id"]

    def __str__(self) -> str:
        return f"{self.session} {self.get_kind_display()}"
