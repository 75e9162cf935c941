"""`{{ url|qr_data_uri }}`: a QR code of a URL as a PNG data URI (one pixel per module; the
page scales it with `image-rendering: pixelated`), made as the printed notices make their
codes (`publicity.pdf.notices.qr_png_data_uri`, the mask chosen as the standard asks)."""

from __future__ import annotations

from django import template

from publicity.pdf.notices import qr_png_data_uri

register = template.Library()


@register.filter
def qr_data_uri(text: str) -> str:
    return qr_png_data_uri(str(text)) if text else ""
