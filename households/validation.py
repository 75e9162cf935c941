"""Checks on what people key in or import, shared by every way data enters the registry.

Each function returns a list of `FieldError` rather than raising, so an import can collect
every problem in a file and a form can show every problem at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from households import idnumbers
from households.models import (
    HousingWelfare,
    HukouNature,
    MaritalStatus,
    Relation,
    Sex,
    SpecialStatus,
)
from resettlement.text import TEXT_MAX_LENGTH, clean_text

HOUSEHOLD_FIELDS = ("code", "address", "phone", "agreement_number", "demolished_area", "notes")

MEMBER_FIELDS = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "relation",
    "hukou_nature",
    "hukou_moved_in",
    "hukou_moved_out",
    "marital_status",
    "special_status",
    "one_child_certificate",
    "housing_welfare",
)

_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


def _labels(member: Any) -> set[str]:
    """A choice's label in every language the system speaks (a roster may use either)."""
    labels = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.add(str(member.label))
    return labels


def _choice(value: Any, choices: type, field: str, errors: list[FieldError]) -> str | None:
    """Accept a choice's value or its label (Chinese or English), as rosters use either."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    for member in choices:
        if text == member.value or text in _labels(member):
            return member.value
    allowed = pgettext("list separator", "、").join(str(member.label) for member in choices)
    errors.append(
        FieldError(field, _("“%(v)s”不是有效选项,可选:%(a)s") % {"v": text, "a": allowed})
    )
    return None


def parse_date(value: Any, field: str, errors: list[FieldError]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        try:  # 2013-6-30, 2013/6/30 and 2013.6.30 as people write them
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            pass
    if re.fullmatch(r"\d{8}", text):
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    errors.append(
        FieldError(field, _("“%(v)s”不是有效日期,请写成 2013-06-30") % {"v": value}, "date")
    )
    return None


def parse_bool(value: Any, field: str, errors: list[FieldError]) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"是", "有", "y", "yes", "true", "1", "√"}:
        return True
    if text in {"否", "无", "n", "no", "false", "0"}:
        return False
    errors.append(FieldError(field, _("“%(v)s”应填“是”或“否”") % {"v": value}))
    return False


def parse_area(value: Any, field: str, errors: list[FieldError]) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    try:
        area = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(FieldError(field, _("“%(v)s”不是有效面积数字") % {"v": value}))
        return Decimal("0.00")
    if not area.is_finite() or area < 0 or area >= Decimal("100000000"):
        errors.append(FieldError(field, _("面积应为不小于0的数字")))
        return Decimal("0.00")
    if area != area.quantize(Decimal("0.01")):
        errors.append(FieldError(field, _("面积最多保留两位小数")))
    return area.quantize(Decimal("0.01"))


def clean_member(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate one member's fields. Returns cleaned values and every error found."""
    errors: list[FieldError] = []
    data: dict[str, Any] = {}

    name = clean_text(str(raw.get("name") or "")).strip()
    if not name:
        errors.append(FieldError("name", _("姓名不能为空"), "required"))
    elif len(name) > 50:
        errors.append(FieldError("name", _("姓名不能超过50个字")))
    data["name"] = name

    raw_id = raw.get("id_number")
    parsed = None
    if raw_id in (None, ""):
        errors.append(FieldError("id_number", _("身份证号不能为空"), "required"))
    else:
        try:
            parsed = idnumbers.parse(raw_id)
        except idnumbers.InvalidIDNumber as exc:
            errors.append(FieldError("id_number", str(exc), exc.code))
    data["id_number"] = parsed.number if parsed else idnumbers.normalise(raw_id or "")

    birth = parse_date(raw.get("birth_date"), "birth_date", errors)
    if parsed:
        if birth and birth != parsed.birth_date:
            errors.append(
                FieldError(
                    "birth_date",
                    _("出生日期 %(b)s 与身份证号中的 %(i)s 不一致")
                    % {"b": birth, "i": parsed.birth_date},
                    "birth_mismatch",
                )
            )
        birth = parsed.birth_date
    if birth and birth > timezone.localdate():
        errors.append(FieldError("birth_date", _("出生日期不能晚于今天")))
    data["birth_date"] = birth

    sex = _choice(raw.get("sex"), Sex, "sex", errors)
    if parsed:
        if sex and sex != parsed.sex:
            errors.append(
                FieldError(
                    "sex",
                    _("性别与身份证号第17位(%(s)s)不一致") % {"s": Sex(parsed.sex).label},
                    "sex_mismatch",
                )
            )
        sex = parsed.sex
    data["sex"] = sex

    data["relation"] = _choice(raw.get("relation"), Relation, "relation", errors)
    if data["relation"] is None and not any(e.field == "relation" for e in errors):
        errors.append(FieldError("relation", _("请填写与户主关系"), "required"))
    data["hukou_nature"] = _choice(raw.get("hukou_nature"), HukouNature, "hukou_nature", errors)
    if data["hukou_nature"] is None and not any(e.field == "hukou_nature" for e in errors):
        errors.append(FieldError("hukou_nature", _("请填写户口性质"), "required"))
    data["marital_status"] = (
        _choice(raw.get("marital_status"), MaritalStatus, "marital_status", errors)
        or MaritalStatus.UNMARRIED
    )
    data["special_status"] = (
        _choice(raw.get("special_status"), SpecialStatus, "special_status", errors)
        or SpecialStatus.NONE
    )
    data["housing_welfare"] = (
        _choice(raw.get("housing_welfare"), HousingWelfare, "housing_welfare", errors)
        or HousingWelfare.NONE
    )
    data["one_child_certificate"] = parse_bool(
        raw.get("one_child_certificate"), "one_child_certificate", errors
    )

    moved_in = parse_date(raw.get("hukou_moved_in"), "hukou_moved_in", errors)
    moved_out = parse_date(raw.get("hukou_moved_out"), "hukou_moved_out", errors)
    today = timezone.localdate()
    if moved_in and birth and moved_in < birth:
        errors.append(FieldError("hukou_moved_in", _("户口迁入日期不能早于出生日期")))
    if moved_in and moved_in > today:
        errors.append(FieldError("hukou_moved_in", _("户口迁入日期不能晚于今天")))
    # A moved-out date before the moved-in date is a hukou that moved out and came back
    # (households.qualification.came_back); one before the member's birth cannot be.
    if moved_out and birth and moved_out < birth:
        errors.append(FieldError("hukou_moved_out", _("户口迁出日期不能早于出生日期")))
    if moved_out and moved_out > today:
        errors.append(FieldError("hukou_moved_out", _("户口迁出日期不能晚于今天")))
    data["hukou_moved_in"] = moved_in
    data["hukou_moved_out"] = moved_out

    if (
        data["special_status"] == SpecialStatus.NEW_SPOUSE
        and data["marital_status"] != MaritalStatus.MARRIED
    ):
        errors.append(FieldError("marital_status", _("婚入配偶的婚姻状况应为“已婚”")))
    # A spouse who married in moved their hukou here; left blank, the rules would take the
    # birth date as the arrival and pass them as if born in the village.
    if (
        data["special_status"] == SpecialStatus.NEW_SPOUSE
        and moved_in is None
        and not any(e.field == "hukou_moved_in" for e in errors)
    ):
        errors.append(FieldError("hukou_moved_in", _("婚入配偶须填写户口迁入日期"), "required"))
    return data, errors


def clean_household(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate the household's own fields (not its members, not its community/group)."""
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    code = str(raw.get("code") or "").strip()
    if not code:
        errors.append(FieldError("code", _("户编号不能为空"), "required"))
    elif not _CODE.match(code):
        errors.append(FieldError("code", _("户编号只能由字母、数字、-和_组成,最长32位")))
    data["code"] = code
    data["address"] = clean_text(str(raw.get("address") or "")).strip()[:200]
    phone = str(raw.get("phone") or "").strip().replace(" ", "")
    if phone and not _PHONE.match(phone):
        errors.append(FieldError("phone", _("“%(v)s”不是有效的手机号或座机号") % {"v": phone}))
    data["phone"] = phone
    data["agreement_number"] = clean_text(str(raw.get("agreement_number") or "")).strip()[:64]
    data["demolished_area"] = parse_area(raw.get("demolished_area"), "demolished_area", errors)
    notes = clean_text(str(raw.get("notes") or "")).strip()
    if len(notes) > TEXT_MAX_LENGTH:
        errors.append(
            FieldError("notes", _("备注不能超过 %(n)d 个字") % {"n": TEXT_MAX_LENGTH}, "max_length")
        )
    data["notes"] = notes
    return data, errors


def household_member_errors(members: list[Mapping[str, Any]]) -> list[tuple[int, FieldError]]:
    """Rules across a household's members: exactly one head, no ID number twice."""
    errors: list[tuple[int, FieldError]] = []
    heads = [i for i, m in enumerate(members) if m.get("relation") == Relation.HEAD]
    if not heads:
        errors.append((0, FieldError("relation", _("每户必须有且只有一名户主,本户没有户主"))))
    for i in heads[1:]:
        errors.append((i, FieldError("relation", _("每户只能有一名户主,本户有多名户主"))))
    seen: dict[str, int] = {}
    for i, member in enumerate(members):
        number = member.get("id_number")
        if not number:
            continue
        if number in seen:
            errors.append((i, FieldError("id_number", _("身份证号在本户中重复"), "duplicate_id")))
        seen.setdefault(number, i)
    return errors
