"""How an amount of money is written for people: two decimals, thousands separators, 元.

The one rule for every page, PDF and export text (the `money` template filter in
`resettlement/templatetags/money.py` calls `money_text`). Spreadsheets keep amounts as numbers
with the number format `XLSX_MONEY_FORMAT`, so they still add up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
XLSX_MONEY_FORMAT = "#,##0.00"


def money_figure(value) -> str:
    """“256,096.00”: rounded half up to the cent, thousands separated; "" for None or text
    that is not a number."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f}"


def money_text(value) -> str:
    """“256,096.00 元” (English: “256,096.00 yuan”); "" for None."""
    figure = money_figure(value)
    if not figure:
        return ""
    return _("%(a)s 元") % {"a": figure}
