"""Admin for settlement. Price rules (with their over-area bands) are saved through
`settlement.services.prices.price_rules_set` (resettlement.admin_services: saving runs the
service once, and a refusal is shown on the right field). Everything else is read-only here:
statements, approvals and payments change only through the services (finance pages, API),
agreements, handovers and defects through the handover pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.access import ProjectScopedAdmin
from resettlement.admin_readonly import ReadOnlyAdmin, ReadOnlyMixin
from resettlement.admin_services import ServiceAdmin, ServiceForm
from resettlement.masking import Mask, mask
from settlement.models import (
    Adjustment,
    Agreement,
    ApprovalStep,
    BankAccount,
    DefectPhoto,
    DefectTicket,
    Handover,
    OverAreaBand,
    OverdueCashSwitch,
    Payment,
    PriceRules,
    Statement,
    StatementApproval,
    StatementCorrection,
    StatementLine,
    StatementSendBack,
    Transition,
)
from settlement.services import prices

OPEN_ENDED = ("", "-", "—", "∞", "以上")


def bands_text(project) -> str:
    """The project's bands as the form shows them: one band a line, “上限 价格”, the last
    band's limit written “-”."""
    return "\n".join(
        f"{band.up_to if band.up_to is not None else '-'} {band.price}"
        for band in OverAreaBand.objects.filter(project=project).order_by("position")
    )


def parse_bands(text: str) -> list[tuple[Any, Any]]:
    """“10 4500\\n- 6000” → [("10", "4500"), (None, "6000")]; the service checks the values."""
    bands: list[tuple[Any, Any]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise forms.ValidationError(
                _("第%(n)d行应为“上限 价格”两项(最后一档上限写 -)。") % {"n": number}
            )
        up_to, price = parts
        bands.append((None if up_to in OPEN_ENDED else up_to, price))
    return bands


PRICE_FIELDS = (
    "base_price",
    "unused_area_price",
    "demolition_price",
    "monetised_price",
    "tier_a_coefficient",
    "tier_b_coefficient",
    "tier_c_coefficient",
    "subsidy_basis",
    "subsidy_rate",
)


class PriceRulesForm(ServiceForm):
    fixed_once_saved = ("project",)

    bands = forms.CharField(
        label=gettext_lazy("超面积价格档"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "每行一档:“超出面积上限(㎡) 价格(元/㎡)”,上限按超出面积累计计算;"
            "最后一档上限写 -(超出部分全部按此价)。例:10 4500 / - 6000"
        ),
    )

    class Meta:
        model = PriceRules
        fields = ["project", *PRICE_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("bands", bands_text(self.instance.project))

    def clean_bands(self) -> list[tuple[Any, Any]]:
        return parse_bands(self.cleaned_data.get("bands", ""))

    def call(self, actor) -> PriceRules:
        data = self.cleaned_data
        return prices.price_rules_set(
            actor=actor,
            project=data["project"],
            bands=data["bands"],
            **{name: data[name] for name in PRICE_FIELDS},
        )


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields


@admin.register(PriceRules)
class PriceRulesAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = PriceRulesForm
    list_display = (
        "project",
        "base_price",
        "unused_area_price",
        "monetised_price",
        "subsidy_basis",
        "subsidy_rate",
        "updated_by",
        "updated_at",
    )
    list_select_related = ("project", "updated_by")
    readonly_fields = ("updated_by", "updated_at")


@admin.register(OverAreaBand)
class OverAreaBandAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    """The bands, read-only: they are edited with their price rules."""

    list_display = ("project", "position", "up_to", "price")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("project",)


@admin.register(Transition)
class TransitionAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "household__project"
    list_display = ("household", "moved_out_on", "promised_by", "recorded_by", "recorded_at")
    search_fields = ("household__code",)
    list_select_related = ("household", "recorded_by")


@admin.register(Adjustment)
class AdjustmentAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "household__project"
    list_display = ("household", "kind", "amount", "reason", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("household__code", "reason")
    list_select_related = ("household", "created_by")


class LineInline(ReadOnlyInline):
    model = StatementLine
    fields = ("position", "side", "rule", "label", "inputs", "amount")
    ordering = ("position",)


class ApprovalInline(ReadOnlyInline):
    model = StatementApproval
    fields = ("round", "position", "label", "actor", "at", "comment")
    ordering = ("round", "position")


class SendBackInline(ReadOnlyInline):
    model = StatementSendBack
    fields = ("round", "position", "label", "actor", "at", "reason")
    ordering = ("round",)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("direction", "amount", "reference", "recorded_by", "recorded_at")


@admin.register(Statement)
class StatementAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = (
        "household",
        "project",
        "outcome",
        "status",
        "income_total",
        "expenditure_total",
        "net",
        "version",
        "computed_at",
    )
    list_filter = ("status", "outcome", ("project", admin.RelatedOnlyFieldListFilter))
    search_fields = ("household__code",)
    list_select_related = ("household", "project")
    fields = (
        "household",
        "project",
        "outcome",
        "status",
        "income_total",
        "expenditure_total",
        "net",
        "version",
        "approval_round",
        "computed_at",
        "computed_by",
        "outcome_chosen_by",
        "approved_at",
        "settled_at",
        "inputs",
    )
    inlines = [LineInline, ApprovalInline, SendBackInline, PaymentInline]


@admin.register(ApprovalStep)
class ApprovalStepAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    """Read-only: a project's chain is set on the finance page 审批流程设置 through
    `settlement.services.approvals.approval_chain_set` (permission, project, audit entry)."""

    list_display = ("project", "position", "code", "label", "role", "applies_to")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("project",)


@admin.register(StatementApproval)
class StatementApprovalAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "statement__project"
    list_display = ("statement", "round", "position", "label", "actor", "at", "comment")
    search_fields = ("statement__household__code",)
    list_select_related = ("statement__household", "actor")


@admin.register(StatementSendBack)
class StatementSendBackAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "statement__project"
    list_display = ("statement", "round", "label", "actor", "at", "reason")
    search_fields = ("statement__household__code", "reason")
    list_select_related = ("statement__household", "actor")


@admin.register(StatementCorrection)
class StatementCorrectionAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "household__project"
    list_display = (
        "household",
        "opened_by",
        "opened_at",
        "settled_version",
        "settled_net",
        "settled_paid",
        "closed_at",
    )
    search_fields = ("household__code", "reason")
    list_select_related = ("household", "opened_by")


@admin.register(Payment)
class PaymentAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "statement__project"
    list_display = (
        "statement",
        "direction",
        "amount",
        "reference",
        "idempotency_key",
        "recorded_by",
        "recorded_at",
    )
    list_filter = ("direction",)
    search_fields = ("statement__household__code", "reference", "idempotency_key")
    list_select_related = ("statement__household", "recorded_by")


@admin.register(BankAccount)
class BankAccountAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    """Households' bank accounts, read-only (recorded and confirmed on the household's
    settlement page or the API, by `settlement.services.bank_accounts`). The number is shown
    masked here for everyone, finance included: finance reads it in full on its pages; it is
    not searchable."""

    project_path = "household__project"
    list_display = ("household", "holder_name", "bank_name", "number", "status", "recorded_by")
    list_filter = ("status",)
    search_fields = ("household__code", "holder_name")
    list_select_related = ("household", "recorded_by")
    fields = (
        "household",
        "holder_name",
        "bank_name",
        "number",
        "status",
        "reason",
        "rejection_reason",
        "recorded_by",
        "recorded_at",
        "confirmed_by",
        "confirmed_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("银行账号"))
    def number(self, account: BankAccount) -> str:
        return mask(account.account_number, Mask.BANK_ACCOUNT)


@admin.register(OverdueCashSwitch)
class OverdueCashSwitchAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    """Overdue households switched to cash, read-only (`settlement.services.overdue`)."""

    project_path = "household__project"
    list_display = ("household", "promised_on", "switched_on", "valued_on", "switched_by")
    search_fields = ("household__code",)
    list_select_related = ("household", "switched_by")


@admin.register(Agreement)
class AgreementAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = ("number", "household", "signed_on", "signer_name", "recorded_by")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("number", "household__code")
    list_select_related = ("household", "recorded_by")


@admin.register(Handover)
class HandoverAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "household__project"
    list_display = (
        "household",
        "handed_over_on",
        "keys",
        "received_by",
        "handed_over_by",
        "moved_in_on",
    )
    search_fields = ("household__code",)
    list_select_related = ("household", "handed_over_by")


class DefectPhotoInline(ReadOnlyInline):
    model = DefectPhoto
    fields = ("content_type", "sha256", "uploaded_at")


@admin.register(DefectTicket)
class DefectTicketAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "household__project"
    list_display = (
        "household",
        "location",
        "status",
        "reported_by_resident",
        "reported_at",
        "answered_by",
        "closed_at",
    )
    list_filter = ("status", "reported_by_resident")
    search_fields = ("household__code", "location")
    list_select_related = ("household", "answered_by")
    inlines = [DefectPhotoInline]
