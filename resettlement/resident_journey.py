"""The sections of a resident's own page (/public/my/<code>/) that later stages fill in.

The resident's page belongs to the publicity app, which imports only households and
resettlement; the apartment, the lottery result, the statement, the agreement, the keys and
the defect reports live in later apps. As with the publicity kinds
(`resettlement.publicity_kinds`), each of those apps registers its sections here from its own
`publicity.py` module (found by `publicity` at start-up), and the publicity app asks for them.

A section builder takes the household's normalised lookup code and returns the facts to show
(or None when the household has nothing of that kind yet). It filters by the code, so a
known and an unknown code run the same queries. The facts are plain text; the publicity app
passes every value through the one masking function (`resettlement.masking.mask`, free-text
kind) before it reaches the page: a notice can be lost, so nothing on it is shown in full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class JourneySection:
    key: str
    title: str
    facts: list[Fact] = field(default_factory=list)
    # Rows of a small table (a household with several apartments, several defect reports):
    # `columns` are the headers, each row as many values.
    columns: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)
    link: str = ""  # a page of the household's own with more (its URL, with the code)
    link_label: str = ""
    # A URL the page also shows as a QR code, with a caption (a household's lottery receipt).
    qr: str = ""
    qr_caption: str = ""

    @property
    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each row's cells with their column's header (a phone shows them stacked)."""
        return [list(zip(self.columns, row, strict=False)) for row in self.rows]


SectionBuilder = Callable[[str], JourneySection | None]


@dataclass(frozen=True)
class _Registered:
    key: str
    order: int
    build: SectionBuilder


_SECTIONS: dict[str, _Registered] = {}


def register_section(key: str, build: SectionBuilder, *, order: int) -> None:
    """Declare a section of the resident's page; `order` places it (lower first)."""
    _SECTIONS[key] = _Registered(key, order, build)


def sections_for(lookup_code: str) -> list[JourneySection]:
    """Every registered section the household with this (normalised) code has, in order."""
    built = []
    for registered in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        section = registered.build(lookup_code)
        if section is not None:
            built.append(section)
    return built
