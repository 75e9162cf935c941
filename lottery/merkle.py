"""Household receipts: the allocation rows of a signed session as a SHA-256 Merkle tree
(docs/lottery.md §17).

A leaf is SHA-256(0x00 || canonical JSON of one allocation row of the bundle), a node
SHA-256(0x01 || left || right); the leaves are the bundle's allocation rows in the bundle's
order (household code); a level with an odd number of nodes carries its last node up
unchanged. The root is the bundle's `merkle_root`. A household's receipt is its row, its
position and the sibling hashes from its leaf to the root: with the published root alone
(not the whole bundle) anyone can check that the row is one of the session's rows, unchanged.

Plain functions over plain data, no database: `lottery.selectors.receipts` builds receipts of
sessions, the verifiers (`lottery.verification`, docs/verify_lottery.py and
static/lottery/verify/merkle.js) check roots and receipts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from lottery.algorithm import canonical_json

LEAF = b"\x00"
NODE = b"\x01"
# The receipt's compact form starts with its format's version (§17.4).
RECEIPT_VERSION = "1"


class ReceiptError(ValueError):
    """A receipt that cannot be read or does not verify; the message says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def row_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a bundle's allocation row that is hashed: its household and apartments,
    as the bundle lists them."""
    return {"household": row["household"], "apartments": list(row["apartments"])}


def leaf_hash(row: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(LEAF + canonical_json(row_of(row))).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, the root's level last."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        level = levels[-1]
        up = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            up.append(level[-1])  # the odd node is carried up unchanged
        levels.append(up)
    return levels


def merkle_root(rows: Sequence[Mapping[str, Any]]) -> str:
    """The hex root of these allocation rows (in the order given). No rows: SHA-256 of
    nothing."""
    if not rows:
        return hashlib.sha256(b"").hexdigest()
    return _levels([leaf_hash(row) for row in rows])[-1][0].hex()


@dataclass(frozen=True)
class Receipt:
    """One household's row of a session, where it stands and its inclusion proof."""

    row: dict[str, Any]
    index: int  # 0-based position of the row among the bundle's allocation rows
    count: int  # how many rows the bundle has
    proof: tuple[bytes, ...]  # sibling hashes from the leaf up

    @property
    def household(self) -> str:
        return str(self.row.get("household"))

    @property
    def apartments(self) -> list[str]:
        return [str(code) for code in self.row.get("apartments") or []]

    def compact(self) -> str:
        """The receipt as one URL-safe string: `1.<index>.<count>.<row>.<proof>`, the row as
        base64url of its canonical JSON, the proof as base64url of the concatenated hashes
        (no padding)."""
        return ".".join(
            (
                RECEIPT_VERSION,
                str(self.index),
                str(self.count),
                _b64(canonical_json(self.row)),
                _b64(b"".join(self.proof)),
            )
        )


class Tree:
    """The tree of one bundle's allocation rows, for the receipts of many households."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.rows = [row_of(row) for row in rows]
        self.index = {row["household"]: i for i, row in enumerate(self.rows)}
        self.levels = _levels([leaf_hash(row) for row in self.rows]) if self.rows else [[]]

    @property
    def root(self) -> str:
        return self.levels[-1][0].hex() if self.rows else merkle_root([])

    def receipt(self, household: str) -> Receipt | None:
        """The household's receipt, or None when it has no row."""
        index = self.index.get(household)
        if index is None:
            return None
        proof, i = [], index
        for level in self.levels[:-1]:
            sibling = i + 1 if i % 2 == 0 else i - 1
            if sibling < len(level):
                proof.append(level[sibling])
            i //= 2
        return Receipt(row=self.rows[index], index=index, count=len(self.rows), proof=tuple(proof))


def root_from_proof(row: Mapping[str, Any], index: int, count: int, proof: Sequence[bytes]) -> str:
    """The root that `row` at `index` of `count` rows leads to through `proof` (§17.3).
    Raises ReceiptError when the proof has the wrong number of hashes for that place."""
    if not 0 <= index < count:
        raise ReceiptError("malformed", _("回执中的行号不在 0 到行数之间。"))
    node, i, width, used = leaf_hash(row), index, count, 0
    while width > 1:
        if i % 2 or i + 1 < width:
            if used >= len(proof):
                raise ReceiptError("malformed", _("回执中的证明哈希个数不对。"))
            sibling = proof[used]
            used += 1
            node = node_hash(sibling, node) if i % 2 else node_hash(node, sibling)
        i, width = i // 2, (width + 1) // 2
    if used != len(proof):
        raise ReceiptError("malformed", _("回执中的证明哈希个数不对。"))
    return node.hex()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if any(
        c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text
    ):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def receipt_parse(text: str) -> Receipt:
    """A receipt from its compact form (or a URL whose fragment holds it as `r=`)."""
    text = (text or "").strip()
    if "#" in text:
        fragment = text.split("#", 1)[1]
        parts = dict(p.split("=", 1) for p in fragment.split("&") if "=" in p)
        text = parts.get("r", fragment)
    try:
        version, index, count, row_text, proof_text = text.split(".")
        if version != RECEIPT_VERSION or not index.isdigit() or not count.isdigit():
            raise ValueError("version or numbers")
        row = json.loads(_unb64(row_text).decode("utf-8"))
        proof = _unb64(proof_text)
        if len(proof) % 32 or not isinstance(row, dict):
            raise ValueError("proof length or row")
        if not isinstance(row.get("apartments"), list):
            raise ValueError("apartments")
        row = row_of(row)
        if not isinstance(row["household"], str) or not all(
            isinstance(code, str) for code in row["apartments"]
        ):
            raise ValueError("row fields")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ReceiptError("malformed", _("回执格式不正确,无法读取。")) from None
    return Receipt(
        row=row,
        index=int(index),
        count=int(count),
        proof=tuple(proof[i : i + 32] for i in range(0, len(proof), 32)),
    )


def receipt_verify(
    receipt: Receipt, *, root: str, rows: int | None = None, household: str | None = None
) -> None:
    """Raises ReceiptError unless the receipt leads to `root` (the published root of its
    session) from its place among `rows` rows (the published count: the root does not
    bind the count, §17.3) and, when `household` is given, is that household's."""
    wrong_count = rows is not None and receipt.count != rows
    if (
        wrong_count
        or root_from_proof(receipt.row, receipt.index, receipt.count, receipt.proof) != root
    ):
        raise ReceiptError(
            "root_mismatch",
            _("回执与本场次公布的默克尔根不符:这一行或它的证明被改动过,或者不是本场次的回执。"),
        )
    if household is not None and receipt.household != household:
        raise ReceiptError(
            "other_household",
            _("这张回执属于安置户 %(got)s,不是您的户 %(want)s。")
            % {"got": receipt.household, "want": household},
        )
