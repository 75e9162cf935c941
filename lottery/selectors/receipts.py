"""Household receipts of signed sessions (docs/lottery.md §17): the Merkle tree of a
session's published allocation rows, its root and each household's receipt.

Built from the stored bundle, the very rows anyone can download and check; a session signed
before the root was part of the bundle gets the root computed from its rows the same way.
Rehearsals publish nothing and have no receipts.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from lottery import merkle
from lottery.models import Allocation, LotterySession, SessionStatus
from resettlement.household_receipts import HouseholdReceipt

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
    """The household's receipt of a published (signed, not rehearsal) session."""
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
    )


def receipts_of_households(household_ids: Sequence[int]) -> dict[int, list[HouseholdReceipt]]:
    """Each household's receipts: one per published session that allocated to it."""
    pairs = (
        Allocation.objects.filter(
            household_id__in=list(household_ids),
            binding=True,
            session__status=SessionStatus.SIGNED,
            session__rehearsal=False,
        )
        .values_list("household_id", "household__code", "session_id")
        .distinct()
        .order_by("household_id", "session_id")
    )
    pairs = list(pairs)
    sessions = LotterySession.objects.in_bulk({session_id for _h, _c, session_id in pairs})
    found: dict[int, list[HouseholdReceipt]] = {}
    for household_id, code, session_id in pairs:
        receipt = household_receipt(sessions[session_id], code)
        if receipt is not None:
            found.setdefault(household_id, []).append(receipt)
    return found
