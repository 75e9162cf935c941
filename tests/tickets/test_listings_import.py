"""The listings file (房源表): all or nothing, every problem named by row and column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from resettlement.imports.base import ImportRejected
from tests.tickets.factories import CREDIT_CODES
from tests.xlsx import workbook
from tickets.models import Listing
from tickets.services.imports import HEADERS, listings_import

pytestmark = pytest.mark.django_db


def row(**overrides) -> list:
    values = {
        "credit_code": CREDIT_CODES[0],
        "name": "润园2-201",
        "address": "华中路1号",
        "area": "95.20",
        "ticket_price": "8800",
        "cash_price": "8300",
        "available": 3,
        **overrides,
    }
    return list(values.values())


def test_a_valid_file_adds_every_listing(tp, finance_wu):
    data = workbook(HEADERS, [row(), row(name="润园2-202", available=1)])

    assert listings_import(actor=finance_wu, project=tp.project, data=data, name="房源.xlsx") == 2

    listing = Listing.objects.get(project=tp.project, name="润园2-201")
    assert (listing.ticket_price, listing.cash_price, listing.available) == (
        Decimal("8800.00"),
        Decimal("8300.00"),
        3,
    )


def test_one_wrong_row_and_nothing_is_written_with_each_problem_named(tp, finance_wu):
    data = workbook(
        HEADERS,
        [
            row(),
            row(name="润园2-202", area="-1"),
            row(name="润园2-203", credit_code="91330000MA27U8QX43"),
            row(),
        ],
    )
    with pytest.raises(ImportRejected) as caught:
        listings_import(actor=finance_wu, project=tp.project, data=data, name="房源.xlsx")

    problems = [str(p) for p in caught.value.details]
    assert any(p.startswith("第 3 行“面积(㎡)”列") for p in problems)
    assert any(p.startswith("第 4 行“开发企业统一社会信用代码”列") for p in problems)
    assert any(p.startswith("第 5 行“楼盘/房源”列") and "第 2 行" in p for p in problems)
    assert not Listing.objects.filter(name__startswith="润园2-").exists()


def test_the_listings_page_shows_the_problems_of_an_upload(client, tp, finance_wu):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(finance_wu)
    upload = SimpleUploadedFile("房源.xlsx", workbook(HEADERS, [row(cash_price="abc")]))
    response = client.post(
        reverse("tickets:listings-import", args=[tp.project.code]), {"file": upload}
    )
    assert response.status_code == 400
    assert "第 2 行“现金价(元/㎡)”列" in response.content.decode()
