"""Household receipts of signed sessions (docs/lottery.md §17): the Merkle tree of a
session's published allocation rows, its root and each household's receipt.

Built from the stored bundle, the very rows anyone can download and check; a session signed
before the root was part of the bundle gets the root computed from its rows the same way.
Rehearsals publish nothing and have no receipts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from lottery import merkle
from lottery.models import Allocation, LotterySession, SessionStatus
from resettlement.household_receipts import Home, HouseholdReceipt

# Trees by bundle hash: a batch of notices (or the hall's screen) asks for the same session
# many times; a signed bundle never changes.
_TREES: dict[str, merkle.Tree] = {}
_TREES_KEPT = 16


def session_tree(session: LotterySession) -> merkle.Tree | None:
    """The tree of a signed session's allocation rows; None before it is signed."""
    if session.status != SessionStatus.SIGNED or not session.bundle:
        return None
    tree = _TREES.get(session.bundle_sha256)
    if tree is None:
        tree = merkle.Tree(session.bundle.get("allocation") or [])
        if len(_TREES) >= _TREES_KEPT:
            _TREES.clear()
        _TREES[session.bundle_sha256] = tree
    return tree


def session_merkle_root(session: LotterySession) -> str | None:
    """The root the session published (in its bundle); for a bundle from before roots were
    published, the root of its rows. None before the session is signed."""
    if session.status != SessionStatus.SIGNED or not session.bundle:
        return None
    published = session.bundle.get("merkle_root")
    if published:
        return published
    tree = session_tree(session)
    return tree.root if tree else None


def receipt_path(session_code: str, receipt: merkle.Receipt) -> str:
    """The phone page that checks the receipt, with the household and the receipt in the
    fragment (a fragment never reaches the server)."""
    fragment = urlencode({"h": receipt.household, "r": receipt.compact()})
    return f"{reverse('lottery-public:receipt', args=[session_code])}#{fragment}"


def household_receipt(session: LotterySession, household_code: str) -> HouseholdReceipt | None:
    """The household's receipt of a published (signed, not rehearsal) session (without the
    apartments' descriptions: `receipts_of_households` adds them)."""
    if session.rehearsal:
        return None
    tree = session_tree(session)
    receipt = tree.receipt(household_code) if tree else None
    if receipt is None:
        return None
    return HouseholdReceipt(
        session=session.code,
        household=receipt.household,
        apartments=tuple(receipt.apartments),
        index=receipt.index,
        count=receipt.count,
        root=session_merkle_root(session) or "",
        compact=receipt.compact(),
        url=settings.PUBLIC_BASE_URL + receipt_path(session.code, receipt),
        signed_on=timezone.localdate(session.closed_at) if session.closed_at else None,
    )


def _published(household_ids: Sequence[int]):
    return Allocation.objects.filter(
        household_id__in=list(household_ids),
        binding=True,
        session__status=SessionStatus.SIGNED,
        session__rehearsal=False,
    )


def households_with_receipts(household_ids: Sequence[int]) -> set[int]:
    """The households among these that a published session allocated apartments to."""
    return set(_published(household_ids).values_list("household_id", flat=True).distinct())


def receipts_of_households(household_ids: Sequence[int]) -> dict[int, list[HouseholdReceipt]]:
    """Each household's receipts: one per published session that allocated to it, with the
    allocated apartments as the inventory describes them."""
    allocations = (
        _published(household_ids)
        .select_related("household", "apartment__estate", "apartment__building", "apartment__stair")
        .order_by("household_id", "session_id", "apartment__code")
    )
    homes: dict[tuple[int, int], dict[str, Home]] = {}
    codes: dict[int, str] = {}
    for allocation in allocations:
        apartment = allocation.apartment
        codes[allocation.household_id] = allocation.household.code
        homes.setdefault((allocation.household_id, allocation.session_id), {})[apartment.code] = (
            Home(
                code=apartment.code,
                estate=apartment.estate.name,
                building=apartment.building.code,
                unit=apartment.stair.code,
                floor=apartment.floor,
                area=apartment.area,
            )
        )
    sessions = LotterySession.objects.in_bulk({session_id for _h, session_id in homes})
    found: dict[int, list[HouseholdReceipt]] = {}
    for (household_id, session_id), by_code in homes.items():
        receipt = household_receipt(sessions[session_id], codes[household_id])
        if receipt is not None:
            ordered = tuple(by_code[c] for c in receipt.apartments if c in by_code)
            found.setdefault(household_id, []).append(dataclasses.replace(receipt, homes=ordered))
    return found
