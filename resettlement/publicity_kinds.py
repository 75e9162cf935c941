"""The registry of publicity kinds (公示类型).

Each app that owns data publicised in a publication registers its kinds here from its own
`publicity.py` module (found by `publicity` at start-up); the app never imports the publicity
app, so stages keep importing only earlier ones. A kind says which columns a roster has, how
each column is masked for the public, and how to build the rows for a project (optionally
limited to one community). Rows carry full data; the publicity app masks them once, with
`resettlement.masking.mask`, when it freezes a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from resettlement.masking import Mask


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # lazily translated label
    mask: Mask | None = None


@dataclass(frozen=True)
class PublicityKind:
    code: str
    label: str
    columns: tuple[Column, ...]
    # build_rows(project, community_or_None) -> list of dicts with every column key, plus
    # "community" (the community's name, used for address masking and per-community PDFs)
    # and "household" (the household code, so objections can point at a row).
    build_rows: Callable[[Any, Any], list[dict[str, Any]]]
    default_days: int = 7


# The columns of a per-household row, labelled (and the head's name masked) alike on every
# roster whichever app builds it; `household_cells` fills them.
HOUSEHOLD = Column("household", _("户编号"))
HEAD = Column("head", _("户主"), Mask.NAME)
COMMUNITY = Column("community", _("村/社区"))
GROUP = Column("group", _("村民小组"))
# The two orders the household columns stand in: the head's name right after the code, or
# after the community and group.
HOUSEHOLD_HEAD_FIRST = (HOUSEHOLD, HEAD, COMMUNITY, GROUP)
HOUSEHOLD_HEAD_LAST = (HOUSEHOLD, COMMUNITY, GROUP, HEAD)


def household_cells(household: Any, *, head: str | None = None) -> dict[str, Any]:
    """The cells a per-household row starts with: the household's code, its community's and
    villager group's names (the caller's query has them select_related) and its head's name
    (from the caller's annotation; blank when the household has no head)."""
    return {
        "household": household.code,
        "community": household.community.name,
        "group": household.group.name,
        "head": head or "",
    }


_KINDS: dict[str, PublicityKind] = {}


def register(
    code: str,
    label: str,
    columns: tuple[Column, ...],
    build_rows: Callable[[Any, Any], list[dict[str, Any]]],
    *,
    default_days: int = 7,
) -> PublicityKind:
    """Declare a kind and make it known to the publicity app."""
    kind = PublicityKind(code, label, columns, build_rows, default_days)
    _KINDS[kind.code] = kind
    return kind


def get(code: str) -> PublicityKind:
    return _KINDS[code]


def label_of(code: str) -> str:
    """The kind's label, or the code itself for a kind no longer registered (a publication
    outlives its kind)."""
    kind = _KINDS.get(code)
    return str(kind.label) if kind is not None else code


def all_kinds() -> list[PublicityKind]:
    return list(_KINDS.values())


def choices() -> list[tuple[str, str]]:
    return [(kind.code, kind.label) for kind in _KINDS.values()]
