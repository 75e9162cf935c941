"""The lottery gate (lottery.gates): a binding session takes only households that have been
through publicity — shown in an entitlement roster whose period has ended, with no open
objection naming them and no change since that publication."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from allocation.models import AreaFit, Demand, DemandItem, DemandStatus
from households.models import Household
from households.resources import roster_import
from lottery.gates import SHOWN_IN_MESSAGE, require_publicity_cleared
from lottery.models import LotterySession
from publicity.services import objections
from resettlement.errors import RuleViolation
from resettlement.imports.files import read_roster
from tests.households.factories import approve
from tests.lottery.factories import (
    build_lottery_project,
    create_session,
    public_source_form_fields,
)
from tests.publicity.factories import publish_roster_ended
from tests.xlsx import household_rows, roster_xlsx

pytestmark = pytest.mark.django_db


def _import_and_approve(lp, code, *, clerk, reviewer, leader) -> Household:
    """A household imported from Excel into group G11, approved, its choice locked."""
    data = roster_xlsx(household_rows(code, community="C1", group="G11"))
    report = roster_import(actor=clerk, project=lp.project, dataset=read_roster(data, "xlsx"))
    assert report.ok, report.problems
    household = approve(
        Household.objects.get(project=lp.project, code=code), reviewer=reviewer, leader=leader
    )
    demand = {"T60": 1, "T90": 1}
    chosen = sum((lp.types[t].nominal_area * n for t, n in demand.items()), Decimal("0"))
    made = Demand.objects.create(
        household=household,
        project=lp.project,
        status=DemandStatus.LOCKED,
        entitlement_area=household.entitlement_area,
        chosen_area=chosen,
        area_difference=chosen - household.entitlement_area,
        area_fit=AreaFit.WITHIN,
        chosen_by=clerk,
        chosen_at=timezone.now(),
        locked_by=clerk,
        locked_at=timezone.now(),
    )
    for type_code, count in demand.items():
        DemandItem.objects.create(demand=made, apartment_type=lp.types[type_code], count=count)
    return household


def test_an_imported_and_approved_household_is_refused_before_its_publication_period_ends(
    lottery_project, clerk, reviewer, leader
):
    _import_and_approve(lottery_project, "H9001", clerk=clerk, reviewer=reviewer, leader=leader)
    # The community's roster, published 10 days ago for 30 days: open 19 days more.
    c1 = lottery_project.communities[0]
    publish_roster_ended(lottery_project.project, community=c1, days_ago=10)

    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader)

    message = refused.value.message
    assert refused.value.code == "not_cleared_by_publicity"
    assert "H9001:“" in message
    assert "第1版公示期至" in message and "尚未期满(剩余 19 天)" in message
    named = [d["household"] for d in refused.value.details if "household" in d]
    assert "H9001" in named
    # the other community's households stand on the ended project roster: not named
    assert not [code for code in named if code.startswith("H2")]
    assert not LotterySession.objects.exists()


def test_a_household_approved_after_the_roster_was_published_is_refused_as_never_published(
    lottery_project, clerk, reviewer, leader
):
    _import_and_approve(lottery_project, "H9002", clerk=clerk, reviewer=reviewer, leader=leader)

    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader)

    assert "H9002:从未出现在已发布的安置面积公示中" in refused.value.message


def test_once_the_new_roster_period_has_ended_the_session_is_created(
    lottery_project, clerk, reviewer, leader
):
    _import_and_approve(lottery_project, "H9003", clerk=clerk, reviewer=reviewer, leader=leader)
    publish_roster_ended(lottery_project.project, days_ago=10)

    with time_machine.travel(timezone.now() + dt.timedelta(days=21)):
        session = create_session(lottery_project, leader)

    assert "H9003" in {p["code"] for p in session.participants}


def test_an_open_objection_naming_a_household_keeps_it_out(lottery_project, leader):
    roster = publish_roster_ended(lottery_project.project, days_ago=10)
    objections.objection_file(
        publication=roster,
        contact_name="王某",
        contact_phone="13812345678",
        text="面积算错了",
        household_code="H1102",
    )
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=21)),
        pytest.raises(RuleViolation) as refused,
    ):
        create_session(lottery_project, leader)

    assert "H1102:" in refused.value.message
    assert "异议尚未答复" in refused.value.message
    assert [d["household"] for d in refused.value.details if "household" in d] == ["H1102"]


def test_a_household_changed_after_publication_waits_for_a_new_version(lottery_project, leader):
    Household.objects.filter(project=lottery_project.project, code="H2101").update(
        facts_changed_at=timezone.now()
    )

    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader)

    assert "H2101:" in refused.value.message
    assert "须发布新版本并待其公示期满" in refused.value.message

    publish_roster_ended(lottery_project.project, days_ago=0)  # published now: period open
    with pytest.raises(RuleViolation) as still:
        create_session(lottery_project, leader)
    assert "尚未期满" in still.value.message

    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert create_session(lottery_project, leader).participants


def test_a_rehearsal_is_practice_and_not_held_back_by_publicity(clerk, leader):
    from tests.lottery.factories import build_lottery_project

    unpublished = build_lottery_project(clerk, published=False)
    with pytest.raises(RuleViolation):
        create_session(unpublished, leader)
    assert create_session(unpublished, leader, code="R1", rehearsal=True).rehearsal


def test_the_new_session_page_names_each_household_and_what_it_lacks(
    client, lottery_project, clerk, reviewer, leader
):
    _import_and_approve(lottery_project, "H9004", clerk=clerk, reviewer=reviewer, leader=leader)
    client.force_login(leader)
    url = f"/staff/lottery/new/?project={lottery_project.project.code}"
    response = client.post(
        url,
        {
            "project": lottery_project.project.code,
            "code": "2024-01",
            "title": "一期摇号",
            "estate": lottery_project.estate.pk,
            "communities": [c.pk for c in lottery_project.communities],
            "mode": "direct",
            **public_source_form_fields(),
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "以下 1 户尚未完成公示,不能参加摇号" in text
    assert "H9004:从未出现在已发布的安置面积公示中" in text
    assert text.count("H9004:") == 1
    assert not LotterySession.objects.exists()


def test_the_new_session_page_lists_the_households_publicity_holds_back_before_anyone_tries(
    client, lottery_project, clerk, reviewer, leader
):
    _import_and_approve(lottery_project, "H9005", clerk=clerk, reviewer=reviewer, leader=leader)
    client.force_login(leader)
    page = client.get(f"/staff/lottery/new/?project={lottery_project.project.code}")
    text = page.content.decode()
    held_back = text[text.index('id="held-back"') :]
    assert "待公示期满,暂不能参加正式摇号" in held_back
    assert "<td>H9005</td>" in held_back and "从未出现在已发布的安置面积公示中" in held_back
    # the households standing on the ended project roster are not held back
    assert "<td>H2" not in held_back and "<td>H1" not in held_back


def test_a_refusal_of_many_households_names_the_first_twenty_and_counts_them_all(clerk):
    lp = build_lottery_project(clerk, households_per_group=6, published=False)
    codes = sorted(Household.objects.filter(project=lp.project).values_list("code", flat=True))
    assert len(codes) == 24 > SHOWN_IN_MESSAGE
    with pytest.raises(RuleViolation) as refused:
        require_publicity_cleared(lp.project, codes)
    message = str(refused.value.message)
    assert "以下 24 户尚未完成公示" in message and "……等共 24 户" in message
    assert codes[SHOWN_IN_MESSAGE - 1] in message and codes[-1] not in message
    # The form shows every household line by line.
    assert [d.get("household") for d in refused.value.details[1:]] == codes
