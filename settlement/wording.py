"""A statement line and an approval step in words, in the reader's language.

A line is stored with its rule (“over_area_band_2”), the label it was computed with and its
inputs as strings ({"area": "7.83", "price": "6000.00", "band_from": "10.00", "band_to": None}).
People read neither the rule nor the keys: `line_label` names the line from its rule in the
language of the request (the stored label only for a rule this module does not know), and
`line_basis` says how the amount was reached — “7.83 ㎡ × 6,000.00 元/㎡(超出应安置面积
10.00 ㎡ 以上的部分)”. An approval step's stored name is translated when it is one of the
default names (`step_label`); a name a leader wrote stays as written.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from resettlement.money import money_figure

_BAND = re.compile(r"^over_area_band_(\d+)$")


def step_label(label: str) -> str:
    """An approval step's name as stored, in the reader's language when it is a default
    name (the catalogue has it); otherwise as the leader wrote it."""
    return _(label) if label else label


def line_label(rule: str, label: str, inputs: dict[str, Any]) -> str:
    """The line's name in the reader's language (see the module docstring)."""
    inputs = inputs or {}
    fixed = {
        "demolition": _("被拆迁房屋补偿"),
        "monetised": _("货币化安置(房票)"),
        "within_entitlement": _("应安置面积内购房款"),
        "unused_entitlement": _("未用安置面积补偿"),
    }
    if rule in fixed:
        return fixed[rule]
    if rule == "transition_subsidy":
        if "persons" in inputs:
            return _("临时安置补助费(按安置人口)")
        return _("临时安置补助费(按被拆迁面积)")
    if rule == "reward" and "reason" in inputs:
        return _("奖励:%(r)s") % {"r": inputs["reason"]}
    if rule == "deduction" and "reason" in inputs:
        return _("扣减:%(r)s") % {"r": inputs["reason"]}
    band = _BAND.match(rule or "")
    if band:
        return _("超面积购房款(第%(n)d档)") % {"n": int(band.group(1))}
    if rule == "tier_difference" and "apartment" in inputs:
        return _("楼层差价 %(code)s(%(tier)s档)") % {
            "code": inputs["apartment"],
            "tier": inputs.get("tier", ""),
        }
    return label


def _area_times_price(inputs: dict[str, Any]) -> str:
    return _("%(area)s ㎡ × %(price)s 元/㎡") % {
        "area": inputs.get("area", ""),
        "price": money_figure(inputs.get("price")),
    }


def line_basis(rule: str, inputs: dict[str, Any]) -> str:
    """How the line's amount was reached, in words and figures; "" when the label says it
    all (a reward or deduction: its reason is in the label)."""
    inputs = inputs or {}
    if rule in ("reward", "deduction"):
        return ""
    if rule in ("demolition", "monetised", "unused_entitlement"):
        return _area_times_price(inputs)
    if rule == "within_entitlement":
        return _("%(basis)s(安置房 %(apartment)s ㎡,应安置面积 %(entitlement)s ㎡,取较小者)") % {
            "basis": _area_times_price(inputs),
            "apartment": inputs.get("apartment_area", ""),
            "entitlement": inputs.get("entitlement_area", ""),
        }
    if _BAND.match(rule or ""):
        if inputs.get("band_to") is None:
            band = _("超出应安置面积 %(from)s ㎡ 以上的部分") % {
                "from": inputs.get("band_from", "")
            }
        else:
            band = _("超出应安置面积 %(from)s ㎡ 至 %(to)s ㎡ 的部分") % {
                "from": inputs.get("band_from", ""),
                "to": inputs["band_to"],
            }
        return _("%(basis)s(%(band)s)") % {"basis": _area_times_price(inputs), "band": band}
    if rule == "tier_difference":
        return _("%(basis)s × |%(coefficient)s − 1|(%(tier)s档楼层系数 %(coefficient)s)") % {
            "basis": _area_times_price(inputs),
            "coefficient": inputs.get("coefficient", ""),
            "tier": inputs.get("tier", ""),
        }
    if rule == "transition_subsidy":
        period = {
            "months": inputs.get("months", ""),
            "from": inputs.get("moved_out_on", ""),
            "until": inputs.get("until", ""),
            "rate": money_figure(inputs.get("rate")),
        }
        if "persons" in inputs:
            text = _(
                "%(persons)s 人 × %(rate)s 元/人·月 × %(months)s 个月(%(from)s 腾房,计至 %(until)s)"
            ) % {**period, "persons": inputs["persons"]}
        else:
            text = _(
                "%(area)s ㎡ × %(rate)s 元/㎡·月 × %(months)s 个月(%(from)s 腾房,计至 %(until)s)"
            ) % {**period, "area": inputs.get("area", "")}
        if "paid_months" in inputs:
            text += _(";共 %(all)s 个月,其中 %(paid)s 个月已由过渡费发放批次发放") % {
                "all": inputs.get("all_months", ""),
                "paid": inputs["paid_months"],
            }
        if "overdue_months" in inputs:
            text += _(";其中超期 %(n)s 个月按 %(m)s 倍计") % {
                "n": inputs["overdue_months"],
                "m": inputs.get("multiplier", ""),
            }
        return text
    return generic_basis(inputs)


def _input_labels() -> dict[str, str]:
    return {
        "area": _("面积(㎡)"),
        "price": _("单价(元/㎡)"),
        "apartment_area": _("安置房面积(㎡)"),
        "entitlement_area": _("应安置面积(㎡)"),
        "band_from": _("超出面积自(㎡)"),
        "band_to": _("至(㎡)"),
        "apartment": _("房号"),
        "tier": _("楼层档次"),
        "coefficient": _("楼层系数"),
        "rate": _("标准(元/月)"),
        "persons": _("人数"),
        "months": _("月数"),
        "moved_out_on": _("腾房日期"),
        "until": _("截止日期"),
        "reason": _("原因"),
    }


def generic_basis(inputs: dict[str, Any]) -> str:
    """Inputs of a rule this module does not word: “面积(㎡) 90.00;单价(元/㎡) 3000.00”."""
    labels = _input_labels()
    parts = []
    for key, value in inputs.items():
        if key == "reason":
            continue  # already in the label
        if value is None:
            value = _("以上全部")
        parts.append(f"{labels.get(key, key)} {value}")
    return ";".join(parts)
