"""PDF rendering with WeasyPrint, shared by every app that prints.

Chinese text needs a CJK font: Debian's fonts-noto-cjk ("Noto Sans CJK SC"), found through
fontconfig. Templates extend ``pdf/base.html``, whose stylesheet sets A4 pages, a fixed
table layout (WeasyPrint lays such tables out far faster) and a footer with
"page x of y" and whatever the document puts in its ``footer`` block (a content hash).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> tuple[bytes, int]:
    """Render a template to PDF; returns the bytes and the number of pages."""
    from weasyprint import HTML  # imported lazily: it is heavy and only workers need it

    html = render_to_string(template, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(), len(document.pages)


def warm_up() -> None:
    """Import WeasyPrint and load the CJK font once (a second or more), so that a worker
    process's first document does not wait for it."""
    from weasyprint import HTML

    HTML(string='<p style="font-family: Noto Sans CJK SC">预热 0-9</p>').write_pdf()


def document_language(language: str | None) -> str:
    """The language a printed document is in: Simplified Chinese — the official text that
    residents, notaries and notice boards read — unless another of the site's languages is
    asked for explicitly (an English copy for whoever works in English)."""
    known = {code for code, _name in settings.LANGUAGES}
    return language if language in known else settings.LANGUAGE_CODE
