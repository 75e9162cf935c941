"""The receipts a household's printed notice carries for results of later stages.

A notice is printed by the publicity app, which imports only households and resettlement; the
lottery's receipts (docs/lottery.md §17: the household's allocation row and its Merkle proof)
live in a later app. As with the resident's page (`resettlement.resident_journey`), that app
registers a builder here from its `publicity.py` module and the publicity app asks for the
receipts of the households it prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class HouseholdReceipt:
    session: str  # the session's code
    household: str  # the household's code, as in the receipt's row
    apartments: tuple[str, ...]
    index: int  # the row's place (0-based) among `count` rows
    count: int
    root: str  # the session's published Merkle root (hex)
    compact: str  # the whole receipt as one string (row, place and proof)
    url: str  # the public page that checks it, with the receipt in the fragment


# Household ids -> each household's receipts.
ReceiptsBuilder = Callable[[Sequence[int]], Mapping[int, list[HouseholdReceipt]]]

_BUILDERS: dict[str, ReceiptsBuilder] = {}


def register_receipts(key: str, build: ReceiptsBuilder) -> None:
    _BUILDERS[key] = build


def receipts_for(household_ids: Sequence[int]) -> dict[int, list[HouseholdReceipt]]:
    """Every registered builder's receipts of these households (none: no entry)."""
    found: dict[int, list[HouseholdReceipt]] = {}
    for key in sorted(_BUILDERS):
        for household_id, receipts in _BUILDERS[key](household_ids).items():
            found.setdefault(household_id, []).extend(receipts)
    return found
