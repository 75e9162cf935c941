"""QR codes for the notices and the public pages, made by zxing-cpp.

A code is the smallest version that holds the text (zxing-cpp mixes encoding modes, so often
a version below qrcode's) at error correction M (15 %: a creased or
smudged paper notice still reads), with the standard quiet zone of 4 modules, its mask
chosen by the standard's penalty rules — all in zxing-cpp's C++ encoder: 0.2 ms a code,
where the qrcode library takes 3.5 ms in pure Python (it lays the symbol out once per mask
pattern) and a faster pure-Python layout still 1.3 ms, a tenth of a notice's cost
(bench/notices.py). tests/publicity/test_notice_rendering.py reads the codes back and checks
that none is larger than qrcode's.
"""

from __future__ import annotations

import zxingcpp


def qr_matrix(text: str) -> list[list[bool]]:
    """The code's modules, quiet zone included, True where dark."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = zxingcpp.write_barcode_to_image(code, scale=1, add_quiet_zones=True)
    height, width = image.shape
    pixels = bytes(memoryview(image))
    return [
        [pixel == 0 for pixel in pixels[row * width : (row + 1) * width]] for row in range(height)
    ]
