"""The receipts a household's printed notice carries for results of later stages.

A notice is printed by the publicity app, which imports only households and resettlement; the
lottery's receipts (docs/lottery.md §17: the household's allocation row and its Merkle proof)
live in a later app. As with the resident's page (`resettlement.resident_journey`), that app
registers a builder here from its `publicity.py` module and the publicity app asks for the
receipts of the households it prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Home:
    """An allocated apartment as the result notice describes it (from the inventory)."""

    code: str
    estate: str
    building: str
    unit: str
    floor: int
    area: Decimal


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
    signed_on: dt.date | None = None  # the day the notary signed the session off
    homes: tuple[Home, ...] = ()  # the allocated apartments, in the order of `apartments`


# Household ids -> each household's receipts.
ReceiptsBuilder = Callable[[Sequence[int]], Mapping[int, list[HouseholdReceipt]]]

# Household ids -> those that have a receipt (one query, without building them).
ReceiptHolders = Callable[[Sequence[int]], set[int]]

_BUILDERS: dict[str, ReceiptsBuilder] = {}
_HOLDERS: dict[str, ReceiptHolders] = {}


def register_receipts(key: str, build: ReceiptsBuilder, holders: ReceiptHolders) -> None:
    _BUILDERS[key] = build
    _HOLDERS[key] = holders


def households_with_receipts(household_ids: Sequence[int]) -> set[int]:
    """The households among these that have a receipt: those a signed lottery session gave
    apartments to, who get a result notice (publicity.services.notices)."""
    found: set[int] = set()
    for key in sorted(_HOLDERS):
        found |= _HOLDERS[key](household_ids)
    return found


def receipts_for(household_ids: Sequence[int]) -> dict[int, list[HouseholdReceipt]]:
    """Every registered builder's receipts of these households (none: no entry)."""
    found: dict[int, list[HouseholdReceipt]] = {}
    for key in sorted(_BUILDERS):
        for household_id, receipts in _BUILDERS[key](household_ids).items():
            found.setdefault(household_id, []).extend(receipts)
    return found
