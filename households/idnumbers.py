"""Resident identity numbers (GB 11643-1999): 17 digits and a check character.

The 18th character is computed from the first 17 with weights 2^(17-i) mod 11 and the
table below; the birth date is digits 7–14, and the 17th digit is odd for men, even for women.

The first six digits are the administrative division (region) code of the place where the
number was first issued. It must be a code that has existed (python-stdnum's `cn/loc` table
of GB/T 2260 codes, past and present) — but not necessarily on the holder's birth date: a
number carries the code of the office that issued it, which can be younger than its holder
(330110, 余杭区 since 2001, is on numbers of people born in 1985). So stdnum's own
`cn.ric.validate`, which requires the code to have existed in the birth year, is not used.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from stdnum import numdb

from resettlement.periods import today

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ASCII digits only: Python's \d also matches Arabic-Indic, Devanagari and other digits.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


class InvalidIDNumber(ValueError):
    """Carries a stable code and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParsedID:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def region_known(code: str) -> bool:
    """Has this six-digit division code ever existed (province and county known)?"""
    found = {key for _part, props in numdb.get("cn/loc").info(code) for key in props}
    return {"province", "county"} <= found


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalise(raw: object) -> str:
    """Strip spaces, turn full-width characters (a Chinese input method's １２３Ｘ) into ASCII
    and upper-case a trailing x: the ways people key it in. Without the full-width step the
    same person could be registered twice in a project under two spellings of one number."""
    return "".join(unicodedata.normalize("NFKC", str(raw)).split()).upper()


def parse(raw: object) -> ParsedID:
    """Validate an ID number and return its birth date and sex, or raise InvalidIDNumber."""
    number = normalise(raw)
    if not _SHAPE.match(number):
        raise InvalidIDNumber("id_shape", _("身份证号应为18位:17位数字加1位校验码(数字或X)。"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIDNumber("id_birth_date", _("身份证号中的出生日期不存在。")) from None
    if birth.year < 1900:
        raise InvalidIDNumber("id_birth_date", _("身份证号中的出生日期早于1900年。"))
    if birth > today():
        raise InvalidIDNumber(
            "id_birth_date", _("身份证号中的出生日期 %(d)s 晚于今天。") % {"d": birth.isoformat()}
        )
    if check_character(number[:17]) != number[17]:
        raise InvalidIDNumber("id_checksum", _("身份证号校验码错误,请核对是否录错。"))
    if not region_known(number[:6]):
        raise InvalidIDNumber(
            "id_region",
            _("身份证号前6位地区码 %(r)s 不是任何时期存在过的行政区划代码,请核对。")
            % {"r": number[:6]},
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ParsedID(number=number, birth_date=birth, sex=sex)


def make(region: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number for demo data and tests. `sequence` (0–499) picks digits 15–17."""
    sex_digit = (sequence % 5) * 2 + (1 if sex == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{sequence // 5 % 100:02d}{sex_digit}"
    return first17 + check_character(first17)
