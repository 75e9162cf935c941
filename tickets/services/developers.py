"""Developers (开发企业) and their listed homes (房源), recorded by finance."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from households.access import require_project_access
from households.models import Project
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission
from tickets.models import Developer, Listing


def credit_code_problem(raw: str) -> tuple[str, str | None]:
    """The credit code (统一社会信用代码) as stored, and what is wrong with it (or None)."""
    try:
        return uscc.validate(raw or ""), None
    except ValidationError:
        return (raw or "").strip().upper(), _(
            "统一社会信用代码“%(c)s”无效(应为18位,校验位正确)。"
        ) % {"c": raw}


def developer_save(
    *,
    actor,
    name: str,
    credit_code: str,
    bank_name: str,
    bank_account: str,
    contact_name: str = "",
    contact_phone: str = "",
) -> Developer:
    """Register a developer, or update the one with this credit code."""
    require_permission(actor, "tickets.add_developer")
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append(field_error("name", _("请填写企业名称。")))
    code, problem = credit_code_problem(credit_code)
    if problem:
        errors.append(field_error("credit_code", problem))
    account = "".join((bank_account or "").split())
    if not account or not account.isdigit():
        errors.append(field_error("bank_account", _("银行账号应为数字。")))
    if not (bank_name or "").strip():
        errors.append(field_error("bank_name", _("请填写开户银行。")))
    if errors:
        raise invalid_input(errors)
    with transaction.atomic():
        developer, created = Developer.objects.select_for_update().update_or_create(
            credit_code=code,
            defaults={
                "name": name,
                "bank_name": bank_name.strip(),
                "bank_account": account,
                "contact_name": (contact_name or "").strip(),
                "contact_phone": (contact_phone or "").strip(),
            },
            create_defaults={
                "name": name,
                "bank_name": bank_name.strip(),
                "bank_account": account,
                "contact_name": (contact_name or "").strip(),
                "contact_phone": (contact_phone or "").strip(),
                "created_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action="developer.save",
            obj=developer,
            payload={"name": name, "credit_code": code, "created": created},
        )
    return developer


def _decimal(value, field: str, label: str, errors: list) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if number is None or not number.is_finite() or number <= 0:
        errors.append(field_error(field, _("%(l)s应为大于零的数字。") % {"l": label}))
        return None
    if number != number.quantize(Decimal("0.01")):
        errors.append(field_error(field, _("%(l)s最多保留两位小数。") % {"l": label}))
        return None
    return number


def listing_problems(
    *, name: str, area, ticket_price, cash_price, available
) -> tuple[dict, list[dict]]:
    """A listing's values checked: (the clean values, the field errors). Shared by the form
    and the spreadsheet import."""
    errors: list[dict] = []
    clean = {
        "name": (name or "").strip(),
        "area": _decimal(area, "area", _("面积"), errors),
        "ticket_price": _decimal(ticket_price, "ticket_price", _("房票价"), errors),
        "cash_price": _decimal(cash_price, "cash_price", _("现金价"), errors),
    }
    if not clean["name"]:
        errors.append(field_error("name", _("请填写楼盘/房源名称。")))
    try:
        clean["available"] = int(available)
        if clean["available"] < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(field_error("available", _("可售套数应为不小于零的整数。")))
    return clean, errors


def listing_save(
    *,
    actor,
    developer: Developer,
    project: Project,
    name: str,
    area,
    ticket_price,
    cash_price,
    available: int = 1,
    address: str = "",
) -> Listing:
    """Add a developer's listed home for the project's tickets, or update the one of this
    name."""
    require_permission(actor, "tickets.add_listing")
    require_project_access(actor, project)
    clean, errors = listing_problems(
        name=name, area=area, ticket_price=ticket_price, cash_price=cash_price, available=available
    )
    if errors:
        raise invalid_input(errors)
    if developer is None:
        raise RuleViolation("invalid_input", _("请选择开发企业。"))
    with transaction.atomic():
        values = {
            "address": (address or "").strip(),
            "area": clean["area"],
            "ticket_price": clean["ticket_price"],
            "cash_price": clean["cash_price"],
            "available": clean["available"],
        }
        listing, created = Listing.objects.select_for_update().update_or_create(
            project=project,
            developer=developer,
            name=clean["name"],
            defaults=values,
            create_defaults={**values, "created_by": actor},
        )
        audit_record(
            actor=actor,
            action="listing.save",
            obj=listing,
            payload={
                "project": project.code,
                "developer": developer.credit_code,
                "name": listing.name,
                "created": created,
                **values,
            },
        )
    return listing
