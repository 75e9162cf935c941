"""House tickets in the admin: read-only, every row is written by a service
(tickets/services/): the staff pages and the API call them."""

from __future__ import annotations

from django.contrib import admin

from households.access import ProjectScopedAdmin
from resettlement.admin_readonly import ReadOnlyAdmin
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


@admin.register(TicketPolicy)
class TicketPolicyAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = ("project", "validity_months", "transferable", "splittable", "on_expiry")
    list_select_related = ("project",)


@admin.register(Developer)
class DeveloperAdmin(ReadOnlyAdmin):
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
