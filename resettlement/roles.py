"""Roles of DESIGN §1 as Django groups, and the permission checks services use.

A role is a group with a fixed set of permissions. `ensure_roles()` creates or updates them
idempotently (`manage.py setup_roles`). Services call `require_permission` so the check
holds for every caller: admin, staff pages, API, bulk actions, commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from resettlement.errors import NotAllowed


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    permissions: tuple[str, ...]


_PUBLICITY_VIEW = ("publicity.view_publication", "publicity.view_objection")

# Resident ID numbers and phone numbers in full (resettlement.personal_data): only the roles
# whose work needs them — registering people, checking them, approving them. Every other
# role sees them masked and may unmask one record with a written reason, which is recorded.
_FULL_PERSONAL_DATA = ("households.view_full_personal_data",)

_REGISTRY_VIEW = (
    "households.view_project",
    "households.view_community",
    "households.view_villagergroup",
    "households.view_household",
    "households.view_member",
    "households.view_document",
)

_HOUSING_VIEW = (
    "allocation.view_estate",
    "allocation.view_building",
    "allocation.view_stair",
    "allocation.view_apartment",
    "allocation.view_apartmenttype",
    "allocation.view_floortier",
    "allocation.view_allocationpolicy",
    "allocation.view_demand",
)

_LOTTERY_VIEW = (
    "lottery.view_lotterysession",
    "lottery.view_checkin",
    "lottery.view_reveal",
    "lottery.view_allocation",
)

_SETTLEMENT_VIEW = (
    "settlement.view_pricerules",
    "settlement.view_overareaband",
    "settlement.view_transition",
    "settlement.view_adjustment",
    "settlement.view_statement",
    "settlement.view_statementline",
    "settlement.view_approvalstep",
    "settlement.view_statementapproval",
    "settlement.view_statementsendback",
    "settlement.view_payment",
    "settlement.view_agreement",
    "settlement.view_handover",
    "settlement.view_defectticket",
    "settlement.view_defectphoto",
    # Households' bank accounts: the number is masked for all but finance
    # (resettlement.personal_data.sees_full_bank_accounts).
    "settlement.view_bankaccount",
    # Transition-subsidy runs (issue 14).
    "settlement.view_transitionpolicy",
    "settlement.view_subsidyrun",
    "settlement.view_subsidyrunline",
)

# House tickets (房票, issue 14): who may read them, and finance's work on them.
_TICKETS_VIEW = (
    "tickets.view_ticketpolicy",
    "tickets.view_developer",
    "tickets.view_listing",
    "tickets.view_houseticket",
    "tickets.view_ticketpurchase",
    "tickets.view_tickettransfer",
    "tickets.view_ticketbuyback",
    "tickets.view_developersettlement",
    "tickets.view_developersettlementapproval",
)

_TICKETS_FINANCE = (
    "tickets.issue_ticket",
    "tickets.record_ticket_use",
    "tickets.add_developer",
    "tickets.change_developer",
    "tickets.add_listing",
    "tickets.change_listing",
)

ROLES: tuple[Role, ...] = (
    Role(
        "clerk",
        _("登记员"),
        _REGISTRY_VIEW
        + _FULL_PERSONAL_DATA
        + (
            "households.add_household",
            "households.change_household",
            "households.add_member",
            "households.change_member",
            "households.delete_member",
            "households.add_document",
            "households.delete_document",
            "households.import_households",
            "households.export_households",
            "households.add_community",
            "households.add_villagergroup",
            # Households' apartment-type choices are entered by the office.
            "allocation.add_demand",
            "allocation.change_demand",
            # The settlement team's paperwork: move-out dates, agreements, keys, defects.
            "settlement.add_transition",
            "settlement.change_transition",
            "settlement.add_agreement",
            "settlement.change_agreement",
            "settlement.add_handover",
            "settlement.change_handover",
            "settlement.add_defectticket",
            "settlement.answer_defect",
            # A household's bank account is recorded with the agreement; finance confirms it.
            "settlement.add_bankaccount",
        )
        + _PUBLICITY_VIEW
        + _HOUSING_VIEW
        + _SETTLEMENT_VIEW,
    ),
    Role(
        "reviewer",
        _("审核员"),
        _REGISTRY_VIEW
        + _FULL_PERSONAL_DATA
        + _PUBLICITY_VIEW
        + (
            "households.review_member",
            "households.export_households",
            "households.send_back_household",
            "publicity.answer_objection",
            # First step of the fund-approval chain: the agreement review.
            "settlement.approve_statement",
        )
        + _HOUSING_VIEW
        + _SETTLEMENT_VIEW
        # The chain's first step of a developers' settlement too (house tickets).
        + _TICKETS_VIEW,
    ),
    Role(
        "leader",
        _("审批领导"),
        _REGISTRY_VIEW
        + _FULL_PERSONAL_DATA
        + (
            "households.approve_household",
            "households.add_project",
            "households.change_project",
            "households.change_community",
            "households.change_villagergroup",
            "households.export_households",
            "households.send_back_household",
            "publicity.add_publication",
            "publicity.publish_publication",
            # A project's own publication periods (publicity.services.periods).
            "publicity.view_publicityperiod",
            "publicity.add_publicityperiod",
            "publicity.change_publicityperiod",
            "resettlement.view_auditentry",  # the audit trail, read-only in the admin
            "publicity.answer_objection",
            # The housing stock and the allocation scheme.
            "allocation.add_estate",
            "allocation.change_estate",
            "allocation.add_apartmenttype",
            "allocation.change_apartmenttype",
            "allocation.import_apartments",
            "allocation.change_apartment",
            "allocation.change_allocationpolicy",
            "allocation.lock_demand",
            # Leaders open lottery sessions (DESIGN §1) and may void one before sign-off.
            "lottery.add_lotterysession",
            "lottery.void_session",
            # Settlement prices and the approval chain are the leadership's to set.
            "settlement.add_pricerules",
            "settlement.change_pricerules",
            "settlement.add_overareaband",
            "settlement.change_overareaband",
            "settlement.delete_overareaband",
            "settlement.change_approvalstep",
            "settlement.approve_statement",
            # A correction after settlement is opened by a leader, with a reason (issue 13).
            "settlement.open_correction",
            # An overdue household's switch to cash is an outcome change: a leader's, with a
            # reason (settlement.services.overdue).
            "settlement.add_overduecashswitch",
            "settlement.view_overduecashswitch",
            # Oversight (stage 8): the progress dashboard and the overdue-return ledger, and
            # the working teams, household assignments and return plans behind them.
            "oversight.view_dashboard",
            "oversight.view_ledger",
            "oversight.view_workingteam",
            "oversight.add_workingteam",
            "oversight.change_workingteam",
            "oversight.view_householdassignment",
            "oversight.add_householdassignment",
            "oversight.change_householdassignment",
            "oversight.delete_householdassignment",
            "oversight.view_returnplan",
            "oversight.add_returnplan",
            "oversight.change_returnplan",
            "oversight.view_returntarget",
            "oversight.view_ledgerentry",
            # The project's ticket policy, and the developers' settlement (issue 14).
            "tickets.add_ticketpolicy",
            "tickets.change_ticketpolicy",
            "tickets.approve_developer_settlement",
        )
        + _PUBLICITY_VIEW
        + _HOUSING_VIEW
        + _LOTTERY_VIEW
        + _SETTLEMENT_VIEW
        + _TICKETS_VIEW,
    ),
    Role(
        "operator",
        _("摇号操作员"),
        _REGISTRY_VIEW + _HOUSING_VIEW + _LOTTERY_VIEW + ("lottery.operate_session",),
    ),
    Role(
        "notary",
        _("公证员"),
        _REGISTRY_VIEW
        + _HOUSING_VIEW
        + _LOTTERY_VIEW
        + ("lottery.witness_session", "lottery.void_session"),
    ),
    Role(
        "finance",
        _("财务"),
        _REGISTRY_VIEW
        + _HOUSING_VIEW
        + _LOTTERY_VIEW
        + _SETTLEMENT_VIEW
        + (
            "settlement.compute_statement",
            "settlement.approve_statement",
            "settlement.record_payment",
            "settlement.add_adjustment",
            # Bank accounts: finance records them too, sees the number in full and confirms
            # (or rejects) one recorded by another person (four eyes: never the recorder).
            "settlement.add_bankaccount",
            "settlement.confirm_bank_account",
            "settlement.view_full_bank_account",
        )
        + _TICKETS_VIEW
        + _TICKETS_FINANCE,
    ),
    # The discipline inspection office (纪检监督, seed 001): reads every stage to check that
    # policy and the allocation rules were kept, and alone handles the public's reports.
    Role(
        "supervisor",
        _("纪检监督"),
        _REGISTRY_VIEW
        + _PUBLICITY_VIEW
        + _HOUSING_VIEW
        + _LOTTERY_VIEW
        + _SETTLEMENT_VIEW
        + _TICKETS_VIEW
        + (
            "publicity.view_complaint",
            "publicity.handle_complaint",
            "resettlement.view_auditentry",
            # Who unmasked whose ID or phone number, when and why.
            "households.view_unmaskrecord",
        ),
    ),
)

ROLE_BY_CODE = {role.code: role for role in ROLES}


@transaction.atomic
def ensure_roles() -> list[Group]:
    """Create every role's group and set its permissions exactly. Safe to run repeatedly."""
    groups = []
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.code)
        perms = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".", 1)
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(perms)
        groups.append(group)
    return groups


def require_permission(actor, perm: str) -> None:
    """Raise NotAllowed unless `actor` is an active user holding `perm`."""
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise NotAllowed(
            "permission_denied",
            _("您没有执行此操作的权限(需要权限 %(perm)s)。") % {"perm": perm},
        )
