"""QR codes for the notices, the same modules as the qrcode library makes, made faster.

qrcode picks the mask pattern as the standard asks: it lays out the symbol eight times, once
per mask, and scores each with util.lost_point, in pure Python over lists of booleans — 3.5
ms a code, a sixth of a notice's cost (bench/notices.py). Here the data is laid out once,
as integers per row, in the order qrcode's map_data places it (kept per version), and each
mask is an XOR over the data modules (1.2 ms a code, most of it qrcode's error correction);
the four penalty rules are scored over rows and columns as strings and integers. The score
is qrcode's own (its test layout leaves the format bits light, and so does this), so the
chosen mask and the matrix are the same: tests/publicity/test_notice_rendering.py checks
that on many codes.
"""

from __future__ import annotations

import functools
import re

import qrcode
from qrcode import util

_RUNS = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")

# util.mask_func's eight patterns, (row, column) -> flips the module.
_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)


def _penalty(rows: list[str], values: list[int]) -> int:
    """util.lost_point of a symbol given as rows of "0"/"1" and the same rows as integers."""
    count = len(rows)
    # Rows and columns in one string, "2" between lines: no pattern crosses a line.
    lines = "2".join(rows + ["".join(column) for column in zip(*rows, strict=True)])
    # Rule 1: runs of five or more of one colour, (length - 2) points each.
    runs = _RUNS.findall(lines)
    points = sum(map(len, runs)) - 2 * len(runs)
    # Rule 2: 2x2 blocks of one colour, 3 points each.
    full = (1 << (count - 1)) - 1
    for upper, lower in zip(values, values[1:], strict=False):
        same_vertical = ~(upper ^ lower)
        same_pair = same_vertical & (same_vertical >> 1) & ~(upper ^ (upper >> 1)) & full
        points += 3 * same_pair.bit_count()
    # Rule 3: finder-like 1:1:3:1:1 patterns with four light modules on a side, 40 each.
    points += 40 * len(_FINDER_LIKE.findall(lines))
    # Rule 4: the share of dark modules away from half, 10 points per 5 %.
    dark = sum(value.bit_count() for value in values)
    percent = float(dark) / (count**2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


@functools.cache
def _layout(version: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple]:
    """A version's symbol before its data: per row as an integer (leftmost module highest)
    the dark modules of the function patterns, with the format and version information
    light as in qrcode's test layout; where the data bits go, in qrcode's map_data order, as
    (row, bit); and for each mask pattern, per row, the bits it flips (the data modules)."""
    code = qrcode.QRCode(version=version)
    code.makeImpl(True, 0)  # fills qrcode's blank symbol of this version
    size = code.modules_count
    code.modules = [row[:] for row in qrcode.main.precomputed_qr_blanks[version]]
    code.setup_type_info(True, 0)
    if version >= 7:
        code.setup_type_number(True)
    modules = code.modules
    base = tuple(int("".join("1" if m else "0" for m in row), 2) for row in modules)
    order = []
    row, step = size - 1, -1
    for column in range(size - 1, 0, -2):
        if column <= 6:
            column -= 1
        while True:
            for c in (column, column - 1):
                if modules[row][c] is None:
                    order.append((row, 1 << (size - 1 - c)))
            row += step
            if row < 0 or size <= row:
                row -= step
                step = -step
                break
    masks = []
    for mask in _MASKS:
        rows = [0] * size
        for r, bit in order:
            c = size - 1 - bit.bit_length() + 1
            if mask(r, c):
                rows[r] |= bit
        masks.append(tuple(rows))
    return base, tuple(order), tuple(masks)


def qr_matrix(text: str, border: int = 4) -> list[list[bool]]:
    """The modules of `text` with error correction M and a `border`-module quiet zone: the
    same as qrcode.QRCode(error_correction=M, border=border) with add_data and make."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(text)
    code.best_fit()
    base, order, masks = _layout(code.version)
    code.data_cache = util.create_data(code.version, code.error_correction, code.data_list)
    # The data laid out without a mask (what qrcode's map_data does, mask aside).
    plain = list(base)
    bits = "".join(format(byte, "08b") for byte in code.data_cache)
    for (row, bit), value in zip(order, bits, strict=False):
        if value == "1":
            plain[row] |= bit
    size = len(base)
    form = f"0{size}b"
    best, best_points = 0, -1
    for pattern, flips in enumerate(masks):
        values = [row ^ flip for row, flip in zip(plain, flips, strict=True)]
        points = _penalty([format(value, form) for value in values], values)
        if best_points < 0 or points < best_points:
            best, best_points = pattern, points
    # The chosen mask's layout, with the real format (and version) information: what
    # code.makeImpl(False, best) lays out again from the data.
    code.modules_count = size
    code.modules = [
        [bit == "1" for bit in format(row ^ flip, form)]
        for row, flip in zip(plain, masks[best], strict=True)
    ]
    code.setup_type_info(False, best)
    if code.version >= 7:
        code.setup_type_number(False)
    return code.get_matrix()
