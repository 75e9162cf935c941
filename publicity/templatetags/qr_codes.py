"""`{{ url|qr_data_uri }}`: a QR code of a URL as a PNG data URI (one pixel per module; the
page scales it with `image-rendering: pixelated`), as the printed notices make their
receipts' codes (a fixed mask: `publicity.pdf.notices.RECEIPT_MASK`)."""

from __future__ import annotations

from django import template

from publicity.pdf.notices import RECEIPT_MASK, qr_png_data_uri

register = template.Library()


@register.filter
def qr_data_uri(text: str) -> str:
    return qr_png_data_uri(str(text), RECEIPT_MASK) if text else ""
