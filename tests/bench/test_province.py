"""The province benchmark (bench/province.py) at tiny size, so that it cannot rot: its
builder makes what it says, and its page measurements run and report whether each page's
number of queries stays the same on a bigger data set."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q
from django.test import override_settings

from bench import _province_build as province_build
from bench import province
from households.models import Household, HouseholdStatus, Member
from resettlement.roles import ensure_roles
from settlement.models import Handover, Transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    ensure_roles()
    return province.office_user()


def test_the_builder_makes_households_members_history_and_transitions(office):
    province_build.build(2, 50, actor=office, say=lambda *_: None)

    households = Household.objects.filter(project__code__in=["PV00", "PV01"])
    assert households.count() == 100
    assert households.values("project").distinct().count() == 2
    # 3.5 people a household: the sizes' pattern twice in each project
    members = Member.objects.filter(household__in=households)
    assert members.count() == 2 * 5 * sum(province_build.SIZES)
    heads = households.annotate(heads=Count("members", filter=Q(members__relation="head")))
    assert not heads.exclude(heads=1).exists()
    assert members.values("id_number").distinct().count() == members.count()
    # every household and member has its history row, as the app keeps
    assert Household.history.filter(id__in=households.values("id")).count() == 100
    assert Member.history.filter(id__in=members.values("id")).count() == members.count()
    # the approved households not handed over are in transition, overdue
    in_transition = households.filter(status=HouseholdStatus.APPROVED).exclude(
        pk__in=Handover.objects.values("household_id")
    )
    assert in_transition.exists()
    assert Transition.objects.filter(household__in=households).count() == in_transition.count()
    # approved households' members are passed; the others' wait for review
    assert not members.filter(household__status=HouseholdStatus.APPROVED).exclude(
        review_status="passed"
    )
    assert province_build.built(2, 50)
    assert not province_build.built(2, 60)


def test_the_measurements_run_and_report_the_flat_query_check(office):
    province_build.build(2, 10, actor=office, say=lambda *_: None)
    page_list = province.pages(province.probe("PV00"))
    small = province.measure_pages(office, page_list, runs=1)
    # four times the households, in two more projects
    province_build.build(2, 40, actor=office, first=2, say=lambda *_: None)
    large = province.measure_pages(office, province.pages(province.probe("PV02")), runs=1)

    # every staff list page and API list answered, searches included
    assert set(large) == {label for label, _ in page_list} == set(small)
    differing = province.flat_queries(small, large)
    report = province.Report()
    province.page_rows(report, large, "tiny")
    verdicts = {row.what: row.met for row in report.rows}
    assert len(report.rows) == 2 * len(large)
    for label in large:
        assert verdicts[f"{label}: queries 1k / tiny"] == (label not in differing)
    # the register's lists and searches are flat
    for label in (
        "households",
        "households ?q=name",
        "households ?q=ID number",
        "households ?q=household code",
        "API households ?search=name",
        "API households ?search=ID number",
        "API households ?search=code",
        # the pages paged since (issue 16 item 1): a page of rows, whole-project totals
        "ledger ?project",
        "handover list ?project",
        "settlement groups",
        "API settlement groups ?project",
        "API ledger ?project",
    ):
        assert label not in differing, (label, small[label].queries, large[label].queries)
    # the searches measured find the probe's household (by name, ID number and code)
    probe = province.probe("PV02")
    client = province._client(office)
    with override_settings(**province.test_client_settings()):
        for label in (
            "households ?q=name",
            "households ?q=ID number",
            "households ?q=household code",
        ):
            url = dict(province.pages(probe))[label]
            assert probe.household_code in province._get(client, url).content.decode(), label
