"""The resident's own page (/public/my/<code>/) shows the household's whole journey — its
stage, the apartment and lottery result, the statement, the agreement, the keys and the
defect reports — with nothing unmasked."""

from __future__ import annotations

import re

import pytest

from tests.households.factories import ApprovedHouseholdFactory, VillagerGroupFactory

pytestmark = pytest.mark.django_db


def _section(html: str, key: str) -> str:
    pattern = rf'<section class="card journey" id="journey-{key}">(.*?)</section>'
    match = re.search(pattern, html, re.S)
    assert match, f"no {key} section"
    return match.group(1)


def test_the_residents_page_shows_the_whole_journey(client, walked):
    html = client.get(f"/public/my/{walked.lookup_code}/").content.decode()
    assert "已入住" in html  # the stage
    assert "两室一厅×1" in _section(html, "choice")
    lottery = _section(html, "lottery")
    apartment = walked.allocations.get().apartment
    assert "S1" in lottery and apartment.code in lottery and f"{apartment.area:.2f}" in lottery
    statement = _section(html, "statement")
    assert "实物安置" in statement and "已结清" in statement
    assert re.search(r"应付给本户 [\d,]+\.\d\d 元", statement)
    net = walked.statement.net
    assert f"{net:,.2f} 元" in statement
    agreement = _section(html, "agreement")
    assert walked.agreement.number in agreement and "2026-01-05" in agreement
    handover = _section(html, "handover")
    assert "2026-01-10" in handover and "2026-01-20" in handover
    defects = _section(html, "defects")
    assert "卫生间" in defects and "/public/aftercare/" in defects


def test_nothing_on_the_journey_is_unmasked(client, walked):
    html = client.get(f"/public/my/{walked.lookup_code}/").content.decode()
    assert "13900001111" not in html  # the phone number written into the defect report
    assert "13812345678" not in html
    for member in walked.members.all():
        assert member.id_number not in html


def test_a_household_without_later_records_has_no_journey_sections(client, clerk):
    household = ApprovedHouseholdFactory(group=VillagerGroupFactory(), registered_by=clerk)
    html = client.get(f"/public/my/{household.lookup_code}/").content.decode()
    assert 'class="card journey"' not in html
    assert "已审批" in html
