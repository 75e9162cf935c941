"""`{{ amount|money }}`: an amount as people read it, “256,096.00 元” (resettlement.money).

The one money filter of the site: every page and PDF writes amounts through it, never a raw
Decimal. Inside a sentence that already says 元 (“应付给安置户 {{ a }} 元”), write
`{{ amount|money:"figure" }}`: the same figure, “256,096.00”, without the unit.
"""

from __future__ import annotations

from django import template

from resettlement.money import money_figure, money_text

register = template.Library()


@register.filter
def money(value, form: str = "") -> str:
    if form == "figure":
        return money_figure(value)
    return money_text(value)
