"""Key handover and moving in: only a household with apartments from a signed lottery gets
keys; keys ≥ 1, readings non-negative, dates not in the future; recorded once (a correction
needs the change permission); moving in on or after the handover."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import Handover
from settlement.services import handover as settlement_handover
from settlement.services import statements
from tests.settlement.factories import HANDED_OVER_ON, hand_over, make_household, settle


def test_a_handover_records_keys_readings_and_who(settlement_project, household, clerk):
    handover = hand_over(household, clerk, gas_reading="7.25")
    assert handover.handed_over_on == HANDED_OVER_ON and handover.keys == 3
    assert handover.water_reading == Decimal("12.50")
    assert handover.electricity_reading == Decimal("305.00")
    assert handover.gas_reading == Decimal("7.25")
    assert handover.handed_over_by == clerk and handover.received_by == "王建国"
    assert handover.signature_record == "交房确认单第0001号"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"keys": 0}, "keys"),
        ({"keys": "两把"}, "keys"),
        ({"water_reading": "-1"}, "water_reading"),
        ({"electricity_reading": "abc"}, "electricity_reading"),
        ({"gas_reading": "-0.01"}, "gas_reading"),
        ({"water_reading": "1.234"}, "water_reading"),
        ({"received_by": " "}, "received_by"),
        ({"signature_record": ""}, "signature_record"),
        ({"on": "tomorrow"}, "handed_over_on"),
    ],
)
def test_bad_values_are_refused_on_their_field(
    settlement_project, household, clerk, overrides, field
):
    if overrides.get("on") == "tomorrow":  # computed when the test runs, not when collected
        overrides = {"on": timezone.localdate() + dt.timedelta(days=1)}
    with pytest.raises(RuleViolation) as refused:
        hand_over(household, clerk, **overrides)
    assert refused.value.code == "invalid_input"
    assert [d["field"] for d in refused.value.details] == [field]
    assert not Handover.objects.exists()


def test_no_apartment_no_keys(settlement_project, no_apartment, clerk):
    with pytest.raises(RuleViolation) as refused:
        hand_over(no_apartment, clerk)
    assert refused.value.code == "no_apartment"


def test_recorded_once_and_corrected_with_the_change_permission(
    settlement_project, handed_over, clerk, reviewer
):
    with pytest.raises(RuleViolation) as again:
        hand_over(handed_over, clerk, keys=4)
    assert again.value.code == "already_handed_over"
    corrected = hand_over(handed_over, clerk, keys=4, correct=True)
    assert corrected.keys == 4 and Handover.objects.count() == 1
    with pytest.raises(NotAllowed):
        hand_over(handed_over, reviewer, keys=5, correct=True)


def test_moving_in_on_or_after_the_handover(settlement_project, handed_over, household, clerk):
    with pytest.raises(RuleViolation) as early:
        settlement_handover.move_in_record(
            actor=clerk, household=household, moved_in_on=HANDED_OVER_ON - dt.timedelta(days=1)
        )
    assert early.value.details[0]["field"] == "moved_in_on"
    handover = settlement_handover.move_in_record(
        actor=clerk, household=household, moved_in_on=HANDED_OVER_ON
    )
    assert handover.moved_in_on == HANDED_OVER_ON
    # a correction may not move the handover after the move-in
    with pytest.raises(RuleViolation) as late:
        hand_over(household, clerk, on=HANDED_OVER_ON + dt.timedelta(days=2), correct=True)
    assert late.value.details[0]["field"] == "handed_over_on"


def test_moving_in_needs_a_handover(settlement_project, household, clerk):
    with pytest.raises(RuleViolation) as refused:
        settlement_handover.move_in_record(
            actor=clerk, household=household, moved_in_on=HANDED_OVER_ON
        )
    assert refused.value.code == "no_handover"


def test_outsiders_record_nothing(settlement_project, household, outsider):
    with pytest.raises(NotAllowed):
        hand_over(household, outsider)


def test_the_phone_form_records_a_handover(client, settlement_project, household, clerk):
    settle(household)
    client.force_login(clerk)
    url = reverse("settlement:handover-record", args=[household.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'inputmode="decimal"' in page.content.decode()
    refused = client.post(
        url,
        {
            "handed_over_on": "2026-01-10",
            "keys": "0",
            "water_reading": "1",
            "electricity_reading": "2",
            "received_by": "王建国",
            "signature_record": "确认单1",
        },
    )
    assert refused.status_code == 200 and "钥匙数量至少为1把" in refused.content.decode()
    done = client.post(
        url,
        {
            "handed_over_on": "2026-01-10",
            "keys": "2",
            "water_reading": "1",
            "electricity_reading": "2",
            "received_by": "王建国",
            "signature_record": "确认单1",
        },
    )
    assert done.status_code == 302
    assert Handover.objects.get(household=household).keys == 2
    moved = client.post(
        reverse("settlement:handover-move-in", args=[household.pk]), {"moved_in_on": "2026-01-12"}
    )
    assert moved.status_code == 302
    assert Handover.objects.get(household=household).moved_in_on == dt.date(2026, 1, 12)


def test_the_status_list_shows_each_group(client, settlement_project, handed_over, clerk, outsider):
    client.force_login(clerk)
    url = reverse("settlement:handover-list")
    page = client.get(url, {"project": settlement_project.project.code})
    body = page.content.decode()
    assert page.status_code == 200
    for group in settlement_project.groups:
        assert group.name in body
    assert handed_over.code in body and "2026-01-10" in body
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_keys_wait_for_the_settled_statement(settlement_project, household, clerk, finance_wu):
    statement = statements.statement_compute(actor=finance_wu, household=household)
    with pytest.raises(RuleViolation) as refused:
        hand_over(household, clerk, settled=False)
    assert refused.value.code == "not_settled" and household.code in refused.value.message
    settle(household)
    hand_over(household, clerk, settled=False)
    # The settled statement keeps its figures: the handover recomputes nothing.
    version = statement.version
    statement.refresh_from_db()
    assert statement.version == version and statement.status == "settled"


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_status_list_reads_every_group_in_the_same_few_queries(
    client, settlement_project, handed_over, clerk
):
    client.force_login(clerk)
    url = reverse("settlement:handover-list")
    project = settlement_project.project.code
    one_group = _queries(client, url, {"project": project, "group": handed_over.group_id})
    every_group = _queries(client, url, {"project": project})
    assert len(settlement_project.groups) > 1
    assert every_group == one_group


def _group_hint(body: str, group) -> str:
    """The counts line under a group's heading ("共 n 户:已签协议 …")."""
    section = body[body.index(f'id="group-{group.pk}"') :]
    return section[section.index('<p class="hint">') : section.index("</p>")]


def test_the_status_list_is_paged_with_each_groups_counts_over_all_its_households(
    client, settlement_project, handed_over, clerk
):
    client.force_login(clerk)
    url = reverse("settlement:handover-list")
    project = settlement_project.project.code
    group = handed_over.group
    few = _queries(client, url, {"project": project})
    for n in range(60):
        make_household(group, actor=clerk, code=f"Z{n:03d}")
    many = _queries(client, url, {"project": project})
    assert many == few  # a page of 50 rows, whatever the project's size
    first = client.get(url, {"project": project}).content.decode()
    second = client.get(url, {"project": project, "page": 2}).content.decode()
    codes = sorted(
        Household.objects.filter(project=settlement_project.project, status="approved")
        .order_by("community__code", "group__code", "code")
        .values_list("code", flat=True),
        key=lambda c: c,
    )
    shown_first = [c for c in codes if f">{c}</a>" in first]
    shown_second = [c for c in codes if f">{c}</a>" in second]
    assert len(shown_first) == 50
    assert shown_second and not set(shown_first) & set(shown_second)
    assert len(shown_first) + len(shown_second) == len(codes)
    assert "第 2 / 2 页" in second and "page=2" in first
    # The group's counts are over all its households, the same on both pages.
    counted = Household.objects.filter(group=group, status="approved").count()
    assert counted > 50  # more than a page: its heading and counts are on both pages
    assert _group_hint(first, group) == _group_hint(second, group)
    assert f"共 {counted} 户" in _group_hint(first, group)
    assert "已交房 1 户" in _group_hint(first, group)
    # The group filter keeps to its group on every page.
    filtered = client.get(url, {"project": project, "group": group.pk, "page": 2})
    assert f"group={group.pk}" in filtered.content.decode()
