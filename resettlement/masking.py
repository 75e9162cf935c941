"""The one masking function (DESIGN §6).

Every public page, public PDF, public API response and public export passes personal data
through `mask`, and so does every staff surface for a role that does not see personal data
in full (`resettlement.personal_data`) — nowhere else decides how much of a person to show:

- resident ID number: the first 2 and last 3 characters (``33*************12X``);
- phone number: the first 3 and last 4 digits (``138****5678``);
- name: the surname, the rest masked (``王**``; compound surnames such as 欧阳 are kept);
- address: only the community (村/社区) it is in;
- bank account number: only its last 4 digits, after a fixed ``**** **** **** `` whatever its
  length (``**** **** **** 0018``), so neither the bank's prefix nor the length shows;
- free text (an objection, an answer, a report, a defect): every number in it that could be
  an ID number or a phone number, however it is written, masked as one (see `_mask_text`).
"""

from __future__ import annotations

import re
from enum import StrEnum

MASK = "*"

# Two-character surnames, so 欧阳修 becomes 欧阳* and not 欧**.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "万俟",
        "申屠",
        "太史",
        "闻人",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
    }
)


class Mask(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    TEXT = "text"
    BANK_ACCOUNT = "bank_account"


def mask(value: object, kind: Mask | str, *, community: str = "") -> str:
    """Return the public form of `value`. `community` is required for addresses."""
    kind = Mask(kind)
    if kind is Mask.TEXT:
        return "" if value is None else _mask_text(str(value))
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if kind is Mask.ID_NUMBER:
        return _keep_ends(text, 2, 3)
    if kind is Mask.PHONE:
        digits = "".join(ch for ch in text if ch.isdigit())
        return _keep_ends(digits, 3, 4)
    if kind is Mask.BANK_ACCOUNT:
        digits = "".join(ch for ch in text if ch.isdigit())
        tail = digits[-4:] if len(digits) > 4 else ""
        return f"{MASK * 4} {MASK * 4} {MASK * 4} {tail}".rstrip() if tail else MASK * 4
    if kind is Mask.NAME:
        surname = text[:2] if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else text[:1]
        return surname + MASK * max(len(text) - len(surname), 1)
    return community  # Mask.ADDRESS: never more precise than the community


def _keep_ends(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        # Too short to show both ends without showing all of it: show only the head.
        return text[: min(head, max(len(text) - 1, 0))] + MASK * max(len(text) - head, 1)
    return text[:head] + MASK * (len(text) - head - tail) + text[-tail:]


# -- numbers in free text ------------------------------------------------------------------
#
# People write numbers as they read them out: "330125 19800101 1234", "138-1234-5678",
# "ID330125198001011234", "身份证号:33012519800101123X". A number here is a run of digits
# in which up to three separator characters (spaces of any width, dashes, dots, invisible
# and direction marks) may stand between two digits, optionally ending in the X check
# character; letters next to it do not stop it. Each run is judged by its digits alone:
#
# - 15 digits or more (a resident ID, 15 or 18 digits, or two numbers run together):
#   masked as an ID number, so at most 5 of its characters remain (2 + 3);
# - a mainland mobile (11 digits from 13x to 19x, also after +86 / 0086) or a number with an
#   area code (0 and 10 to 12 digits): masked as a phone;
# - anything else keeps its separators, and each unbroken stretch of 7 or more digits in it
#   is masked as a phone (a landline without its area code, an account number); dates and
#   amounts such as "2013-06-30" or "12.5" stay readable.
#
# The whole run is replaced by the masked digits, separators dropped: "330125 19800101 1234"
# becomes "33*************234".
_SEPARATORS = (
    r"\s\-\.\u00b7\u2010-\u2015\u2212\ufe58\ufe63\uff0d\uff0e\u3002"  # spaces, dashes, dots
    r"\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069\u00ad"  # invisible, direction marks
)
_NUMBER = re.compile(rf"\d(?:[{_SEPARATORS}]{{0,3}}\d)*(?:[{_SEPARATORS}]{{0,3}}[XxＸｘ])?")
_STRETCH = re.compile(r"\d{7,}")
_MOBILE = re.compile(r"(?:0{0,2}86)?(1[3-9]\d{9})")


def _mask_text(text: str) -> str:
    return _NUMBER.sub(_mask_number, text)


def _mask_number(match: re.Match[str]) -> str:
    run = match.group()
    digits = "".join(ch for ch in run if ch.isdigit())
    check = run[-1] if not run[-1].isdigit() else ""
    if len(digits) >= 15:
        return mask(digits + check, Mask.ID_NUMBER)
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        return mask(mobile.group(1), Mask.PHONE)
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return mask(digits, Mask.PHONE)
    return _STRETCH.sub(lambda stretch: mask(stretch.group(), Mask.PHONE), run)
