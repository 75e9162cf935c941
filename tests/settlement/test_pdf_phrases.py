"""The settlement PDFs print whole phrases, each one translatable string with named
placeholders ("第{n}次计算", "{tier}档", "第 x 页 / 共 y 页"), so that a translation can put the
words in its own order. The page counter lives in the stylesheet: its translation is cut at
the placeholders into CSS strings around the page counters, escaped."""

from __future__ import annotations

import pytest

from resettlement.templatetags import pdf_pages
from settlement.pdf.statement import statement_pdf
from tests.pdf import pdf_pages as pages_of
from tests.pdf import squeezed
from tests.settlement.factories import statement_of


def test_the_page_counter_is_one_phrase_around_the_css_counters():
    assert pdf_pages.page_counter() == '"第 " counter(page) " 页 / 共 " counter(pages) " 页"'


def test_a_translation_may_reorder_the_counters_and_cannot_break_the_stylesheet(monkeypatch):
    monkeypatch.setattr(pdf_pages, "_", lambda text: 'Total %(pages)s, "page" %(page)s</style>\\')
    assert pdf_pages.page_counter() == (
        '"Total " counter(pages) ", \\"page\\" " counter(page) "\\3c /style>\\\\"'
    )


@pytest.mark.django_db
def test_the_statement_pdf_prints_its_phrases_whole(money):
    text = "".join(squeezed(page) for page in pages_of(statement_pdf(statement_of(money.owed))))
    assert "第1次计算" in text
    assert "第1页/共1页" in text
    assert "应付安置户:30,000.00元" in text
