"""The project's settlement prices and over-area bands (`price_rules_set`); setting them
recomputes every draft statement of the project (`services.statements.statement_refresh`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.access import require_project_access
from households.models import Household, Project
from resettlement.audit import audit_record
from resettlement.errors import field_error, invalid_input
from resettlement.roles import require_permission
from settlement import calculation
from settlement.calculation import BandInput
from settlement.models import (
    OverAreaBand,
    PriceRules,
    StatementStatus,
    SubsidyBasis,
)
from settlement.services.statements import _decimal, statement_refresh

COEFFICIENT_PLACES = Decimal("0.0001")


# -- price rules -------------------------------------------------------------------------------

PRICE_FIELDS = {
    "base_price": gettext_lazy("安置价"),
    "unused_area_price": gettext_lazy("未用面积补偿价"),
    "demolition_price": gettext_lazy("被拆迁房屋补偿价"),
    "monetised_price": gettext_lazy("货币化安置价"),
    "subsidy_rate": gettext_lazy("过渡费标准"),
}
COEFFICIENT_FIELDS = {
    "tier_a_coefficient": gettext_lazy("A档楼层系数"),
    "tier_b_coefficient": gettext_lazy("B档楼层系数"),
    "tier_c_coefficient": gettext_lazy("C档楼层系数"),
}


@transaction.atomic
def price_rules_set(
    *,
    actor,
    project: Project,
    base_price: Any,
    unused_area_price: Any,
    monetised_price: Any,
    subsidy_rate: Any,
    demolition_price: Any = "0",
    tier_a_coefficient: Any = "1",
    tier_b_coefficient: Any = "1",
    tier_c_coefficient: Any = "1",
    subsidy_basis: str = SubsidyBasis.PERSONS,
    bands: Sequence[tuple[Any, Any]],
) -> PriceRules:
    """Set the project's prices and over-area bands (replacing the bands), then recompute
    every draft statement of the project. Approved (frozen) statements keep their numbers.

    `bands`: [(up_to ㎡ or None, price)], in order; see `calculation.band_problems`."""
    require_permission(actor, "settlement.change_pricerules")
    require_project_access(actor, project)
    given = {
        "base_price": base_price,
        "unused_area_price": unused_area_price,
        "demolition_price": demolition_price,
        "monetised_price": monetised_price,
        "subsidy_rate": subsidy_rate,
    }
    coefficients = {
        "tier_a_coefficient": tier_a_coefficient,
        "tier_b_coefficient": tier_b_coefficient,
        "tier_c_coefficient": tier_c_coefficient,
    }
    values: dict[str, Any] = {}
    errors: list[dict] = []
    for name, value in given.items():
        values[name], problems = _decimal(value, name, PRICE_FIELDS[name])
        errors += problems
    for name, value in coefficients.items():
        values[name], problems = _decimal(
            value, name, COEFFICIENT_FIELDS[name], places=COEFFICIENT_PLACES, positive=True
        )
        errors += problems
    if subsidy_basis not in SubsidyBasis.values:
        errors.append(
            field_error("subsidy_basis", _("过渡费计算方式只能是按安置人口或按被拆迁面积"))
        )
    made_bands: list[BandInput] = []
    for number, band in enumerate(bands, start=1):
        try:
            up_to, price = band
        except (TypeError, ValueError):
            errors.append(field_error(f"bands[{number}]", _("第%(n)d档的格式有误") % {"n": number}))
            continue
        label = _("第%(n)d档") % {"n": number}
        parsed_up_to = None
        if up_to not in (None, ""):
            parsed_up_to, problems = _decimal(
                up_to, f"bands[{number}].up_to", label + _("上限"), positive=True
            )
            errors += problems
        parsed_price, problems = _decimal(price, f"bands[{number}].price", label + _("价格"))
        errors += problems
        made_bands.append(BandInput(parsed_up_to, parsed_price or Decimal("0")))
    if not errors:
        errors += [field_error(f, m) for f, m in calculation.band_problems(made_bands)]
    if errors:
        raise invalid_input(errors, "bad_price_rules")

    rules, _created = PriceRules.objects.select_for_update().update_or_create(
        project=project, defaults={**values, "subsidy_basis": subsidy_basis, "updated_by": actor}
    )
    OverAreaBand.objects.filter(project=project).delete()
    OverAreaBand.objects.bulk_create(
        OverAreaBand(project=project, position=number, up_to=band.up_to, price=band.price)
        for number, band in enumerate(made_bands, start=1)
    )
    drafts = Household.objects.filter(
        statement__project=project, statement__status=StatementStatus.DRAFT
    )
    for household in drafts:
        statement_refresh(household)
    audit_record(
        actor=actor,
        action="price_rules.set",
        obj=rules,
        payload={
            "project": project.code,
            **values,
            "subsidy_basis": subsidy_basis,
            "bands": [[band.up_to, band.price] for band in made_bands],
            "drafts_recomputed": len(drafts),
        },
    )
    return rules
