"""House tickets in the admin. Configuration — a project's ticket policy, the developers —
is saved through its service (`ServiceAdmin`: the service checks the permission and writes
the audit entry); every other row is read-only here, written by the services the staff
pages and the API call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from households.access import ProjectScopedAdmin
from resettlement.admin_readonly import ReadOnlyAdmin
from resettlement.admin_services import ServiceAdmin, ServiceForm
from resettlement.errors import RuleViolation, field_error
from tickets.models import (
    Developer,
    DeveloperSettlement,
    DeveloperSettlementApproval,
    HouseTicket,
    Listing,
    TicketBuyBack,
    TicketPolicy,
    TicketPurchase,
    TicketTransfer,
)
from tickets.services import developers, policies

POLICY_FIELDS = (
    "validity_months",
    "transferable",
    "splittable",
    "small_balance_percent",
    "small_balance_rate",
    "buy_back_rate",
    "on_expiry",
)


def tiers_text(tiers: list[dict]) -> str:
    return "\n".join(f"{t['up_to_month']} {t['percent']}" for t in tiers)


class TicketPolicyForm(ServiceForm):
    fixed_once_saved = ("project",)

    tiers = forms.CharField(
        label=gettext_lazy("奖励档次"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一档:“第几个月以内 奖励百分比”。例:12 5 / 24 2"),
    )
    excluded = forms.MultipleChoiceField(
        label=gettext_lazy("不计入面值的结算项目"),
        required=False,
        choices=[(rule, rule) for rule in policies.EXCLUDABLE_RULES],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = TicketPolicy
        fields = ["project", *POLICY_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("tiers", tiers_text(self.instance.reward_tiers))
            self.initial.setdefault("excluded", self.instance.excluded_rules)

    def clean_tiers(self) -> list[dict]:
        tiers = []
        for line in (self.cleaned_data.get("tiers") or "").splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(gettext_lazy("每行应为“月数 百分比”。"))
            tiers.append({"up_to_month": parts[0], "percent": parts[1]})
        return tiers

    def call(self, actor) -> TicketPolicy:
        data = self.cleaned_data
        return policies.ticket_policy_set(
            actor=actor,
            project=data["project"],
            reward_tiers=data["tiers"],
            excluded_rules=data["excluded"],
            **{name: data[name] for name in POLICY_FIELDS},
        )


@admin.register(TicketPolicy)
class TicketPolicyAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = TicketPolicyForm
    list_display = ("project", "validity_months", "transferable", "splittable", "on_expiry")
    list_select_related = ("project",)
    readonly_fields = ("updated_by", "updated_at")


class DeveloperForm(ServiceForm):
    fixed_once_saved = ("credit_code",)

    class Meta:
        model = Developer
        fields = [
            "name",
            "credit_code",
            "contact_name",
            "contact_phone",
            "bank_name",
            "bank_account",
        ]

    def call(self, actor) -> Developer:
        data = self.cleaned_data
        if self.instance.pk and data.get("credit_code") != self.instance.credit_code:
            raise RuleViolation(
                "invalid_input",
                str(gettext_lazy("统一社会信用代码不能修改。")),
                details=[field_error("credit_code", gettext_lazy("统一社会信用代码不能修改。"))],
            )
        return developers.developer_save(actor=actor, **data)


@admin.register(Developer)
class DeveloperAdmin(ServiceAdmin):
    form = DeveloperForm
    list_display = ("name", "credit_code", "contact_name", "bank_name")
    search_fields = ("name", "credit_code")


@admin.register(Listing)
class ListingAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = ("project", "developer", "name", "area", "ticket_price", "cash_price")
    list_select_related = ("project", "developer")


@admin.register(HouseTicket)
class HouseTicketAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = ("number", "project", "household", "face_value", "balance", "status")
    list_filter = ("status",)
    search_fields = ("number", "household__code")
    list_select_related = ("project", "household")
    exclude = ("verification_code", "holder_id_number")


@admin.register(TicketPurchase)
class TicketPurchaseAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "ticket__project"
    list_display = ("ticket", "developer", "contract_number", "amount", "reward", "purchased_on")
    list_select_related = ("ticket", "developer")


@admin.register(TicketTransfer)
class TicketTransferAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "ticket__project"
    list_display = ("ticket", "from_name", "to_name", "transferred_on")
    list_select_related = ("ticket",)
    exclude = ("to_id_number",)


@admin.register(TicketBuyBack)
class TicketBuyBackAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "ticket__project"
    list_display = ("ticket", "balance", "amount_paid", "forfeited", "reason", "on")
    list_select_related = ("ticket",)


@admin.register(DeveloperSettlement)
class DeveloperSettlementAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = ("number", "project", "developer", "total", "status", "approved_at")
    list_select_related = ("project", "developer")


@admin.register(DeveloperSettlementApproval)
class DeveloperSettlementApprovalAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "settlement__project"
    list_display = ("settlement", "position", "label", "actor", "at")
    list_select_related = ("settlement", "actor")
