"""The one masking function for everything public (DESIGN §6).

Every public page, public PDF, public API response and public export passes personal data
through `mask` — nowhere else decides how much of a person to show:

- resident ID number: the first 2 and last 3 characters (``33*************12X``);
- phone number: the first 3 and last 4 digits (``138****5678``);
- name: the surname, the rest masked (``王**``; compound surnames such as 欧阳 are kept);
- address: only the community (村/社区) it is in.
"""

from __future__ import annotations

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


def mask(value: object, kind: Mask | str, *, community: str = "") -> str:
    """Return the public form of `value`. `community` is required for addresses."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    kind = Mask(kind)
    if kind is Mask.ID_NUMBER:
        return _keep_ends(text, 2, 3)
    if kind is Mask.PHONE:
        digits = "".join(ch for ch in text if ch.isdigit())
        return _keep_ends(digits, 3, 4)
    if kind is Mask.NAME:
        surname = text[:2] if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else text[:1]
        return surname + MASK * max(len(text) - len(surname), 1)
    return community  # Mask.ADDRESS: never more precise than the community


def _keep_ends(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        # Too short to show both ends without showing all of it: show only the head.
        return text[: min(head, max(len(text) - 1, 0))] + MASK * max(len(text) - head, 1)
    return text[:head] + MASK * (len(text) - head - tail) + text[-tail:]
