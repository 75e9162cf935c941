"""`{% page_counter %}`: "page x of y" for a PDF's page margin, translated as one phrase.

WeasyPrint numbers pages with CSS counters, so the phrase has to become the value of a
`content` property: the translated text is cut at its placeholders into CSS strings around
`counter(page)` and `counter(pages)`. Only translations reach the stylesheet, escaped as CSS
strings (quotes, backslashes, line breaks and "<", so no text can end the style element).
"""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_MARK = "\x00"
_PLACEHOLDER = re.compile(f"{_MARK}(page|pages){_MARK}")


def css_string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    )
    return f'"{escaped}"'


@register.simple_tag
def page_counter() -> SafeString:
    """E.g. `"第 " counter(page) " 页 / 共 " counter(pages) " 页"`; in English
    `"Page " counter(page) " of " counter(pages)`."""
    text = _("第 %(page)s 页 / 共 %(pages)s 页") % {
        "page": f"{_MARK}page{_MARK}",
        "pages": f"{_MARK}pages{_MARK}",
    }
    pieces = _PLACEHOLDER.split(text)
    parts = []
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece.replace(_MARK, "")))
    return mark_safe(" ".join(parts))  # noqa: S308 - every piece is escaped above
