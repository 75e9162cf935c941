"""A project's house-ticket policy (房票政策), set by a leader (docs/tickets.md)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Project
from resettlement.audit import audit_record
from resettlement.errors import field_error, invalid_input
from resettlement.roles import require_permission
from tickets.calculation import tier_problems
from tickets.models import OnExpiry, TicketPolicy, Transferable

# The statement line rules a policy may keep out of the face value (settlement.calculation).
EXCLUDABLE_RULES = ("demolition", "monetised", "transition_subsidy", "reward")


def _percent(value, field: str, errors: list) -> Decimal | None:
    try:
        percent = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        percent = None
    if percent is None or not percent.is_finite() or not (0 <= percent <= 100):
        errors.append(field_error(field, _("请输入 0 到 100 之间的百分比。")))
        return None
    return percent.quantize(Decimal("0.01"))


def ticket_policy_set(
    *,
    actor,
    project: Project,
    validity_months: int = 24,
    reward_tiers: Sequence[dict] = (),
    transferable: str = Transferable.NEVER,
    splittable: bool = True,
    small_balance_percent: Decimal | str = "5",
    small_balance_rate: Decimal | str = "100",
    buy_back_rate: Decimal | str = "90",
    excluded_rules: Sequence[str] = (),
    on_expiry: str = OnExpiry.BUY_BACK,
) -> TicketPolicy:
    """Set (create or replace) the project's ticket policy. Tickets already issued keep
    their expiry date; later purchases, transfers and buy-backs follow the new terms."""
    require_permission(actor, "tickets.change_ticketpolicy")
    require_project_access(actor, project)
    errors: list = []
    if not isinstance(validity_months, int) or validity_months < 1 or validity_months > 120:
        errors.append(field_error("validity_months", _("有效期应为 1 到 120 个月。")))
    tiers = [
        {"up_to_month": int(t["up_to_month"]), "percent": str(t["percent"])}
        if isinstance(t, dict) and not tier_problems([t])
        else t
        for t in reward_tiers
    ]
    if tier_problems(tiers):
        errors.append(
            field_error(
                "reward_tiers",
                _("奖励档次应按月数递增,每档为“第几个月以内”和 0 到 100 之间的百分比。"),
            )
        )
    if transferable not in Transferable.values:
        errors.append(field_error("transferable", _("请选择转让规则。")))
    if on_expiry not in OnExpiry.values:
        errors.append(field_error("on_expiry", _("请选择到期处理方式。")))
    unknown = [rule for rule in excluded_rules if rule not in EXCLUDABLE_RULES]
    if unknown:
        errors.append(
            field_error(
                "excluded_rules",
                _("不能排除的结算项目:%(r)s") % {"r": "、".join(unknown)},
            )
        )
    percents = {
        name: _percent(value, name, errors)
        for name, value in (
            ("small_balance_percent", small_balance_percent),
            ("small_balance_rate", small_balance_rate),
            ("buy_back_rate", buy_back_rate),
        )
    }
    if errors:
        raise invalid_input(errors)
    with transaction.atomic():
        policy, created = TicketPolicy.objects.select_for_update().update_or_create(
            project=project,
            defaults={
                "validity_months": validity_months,
                "reward_tiers": tiers,
                "transferable": transferable,
                "splittable": splittable,
                "excluded_rules": list(excluded_rules),
                "on_expiry": on_expiry,
                "updated_by": actor,
                **percents,
            },
        )
        audit_record(
            actor=actor,
            action="ticket_policy.set",
            obj=policy,
            payload={
                "project": project.code,
                "created": created,
                "validity_months": validity_months,
                "reward_tiers": tiers,
                "transferable": transferable,
                "splittable": splittable,
                "excluded_rules": list(excluded_rules),
                "on_expiry": on_expiry,
                **percents,
            },
        )
    return policy
