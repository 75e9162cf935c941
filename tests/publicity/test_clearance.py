"""Publication clearance (publicity.selectors.clearance): for each household not yet through
publicity, what is missing — never in a published entitlement roster, its period still
running (until when, days left), an open objection naming it, a change after publication."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from publicity.selectors.clearance import changed_households_by_code, publication_clearance
from publicity.services import objections, publications
from tests.households.factories import ApprovedHouseholdFactory, VillagerGroupFactory
from tests.publicity.factories import drafter, publish_roster_ended

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(clerk):
    group = VillagerGroupFactory()
    group.registrar = clerk
    return group


def _households(group, n: int, prefix: str = "K") -> list[Household]:
    """`n` approved households of the group (plain rows: the gate reads only their codes)."""
    return [
        ApprovedHouseholdFactory(
            group=group, code=f"{prefix}{i:04d}", registered_by=group.registrar
        )
        for i in range(n)
    ]


def test_households_in_an_ended_roster_are_cleared(group):
    households = _households(group, 3)
    publish_roster_ended(group.project)

    assert publication_clearance(group.project, households) == {}


def test_a_household_never_published_is_told_so(group):
    (household,) = _households(group, 1)
    assert publication_clearance(group.project, [household]) == {
        household.pk: "从未出现在已发布的安置面积公示中"
    }


def test_a_running_period_says_until_when_and_the_days_left(group, leader):
    (household,) = _households(group, 1)
    publish_roster_ended(group.project, days_ago=5)
    end = timezone.localdate() + dt.timedelta(days=24)

    (message,) = publication_clearance(group.project, [household]).values()

    assert f"公示期至 {end:%Y-%m-%d} 截止" in message
    assert "剩余 24 天" in message


def test_a_withdrawn_roster_does_not_count(group, leader):
    (household,) = _households(group, 1)
    roster = publish_roster_ended(group.project)
    publications.publication_withdraw(actor=leader, publication=roster, reason="数据有误")

    assert "从未出现" in publication_clearance(group.project, [household])[household.pk]


def test_an_open_objection_is_named_until_it_is_answered(group, leader):
    (household,) = _households(group, 1)
    roster = publish_roster_ended(group.project, days_ago=5)
    objection = objections.objection_file(
        publication=roster,
        contact_name="王某",
        contact_phone="13812345678",
        text="面积不对",
        household_code=household.code,
    )
    later = timezone.now() + dt.timedelta(days=30)
    with time_machine.travel(later):
        assert "异议尚未答复" in publication_clearance(group.project, [household])[household.pk]
    objections.objection_answer(
        actor=leader, objection=objection, answer="经核实无误", upheld=False
    )
    with time_machine.travel(later):
        assert publication_clearance(group.project, [household]) == {}


def test_a_change_after_publication_needs_the_new_versions_period_to_end(group, leader):
    (household,) = _households(group, 1)
    publish_roster_ended(group.project)
    Household.objects.filter(pk=household.pk).update(facts_changed_at=timezone.now())
    household.refresh_from_db()

    assert "须发布新版本" in publication_clearance(group.project, [household])[household.pk]
    assert household.code in changed_households_by_code(group.project, [household])

    publish_roster_ended(group.project, days_ago=0)
    assert "尚未期满" in publication_clearance(group.project, [household])[household.pk]
    assert changed_households_by_code(group.project, [household]) == {}
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert publication_clearance(group.project, [household]) == {}


def test_clearance_takes_the_same_number_of_queries_for_5_and_200_households(group):
    few = _households(group, 5, "A")
    many = _households(group, 200, "B")
    publish_roster_ended(group.project)

    counts = []
    for households in (few, many):
        with CaptureQueriesContext(connection) as queries:
            publication_clearance(group.project, households)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2


def test_the_roster_page_lists_the_households_changed_after_it_was_published(client, group, leader):
    (household,) = _households(group, 1)
    roster = publish_roster_ended(group.project)
    client.force_login(leader)
    page = client.get(reverse("publicity_staff:publication-detail", args=[roster.pk]))
    assert 'id="changed-after-publication"' not in page.content.decode()

    Household.objects.filter(pk=household.pk).update(facts_changed_at=timezone.now())
    text = client.get(
        reverse("publicity_staff:publication-detail", args=[roster.pk])
    ).content.decode()
    assert 'id="changed-after-publication"' in text
    assert "1 户在本公示发布后信息已变更" in text and household.code in text


def test_a_superseded_version_reads_corrected_with_a_link_to_the_new_one(client, group, leader):
    _households(group, 1)
    first = publish_roster_ended(group.project, days_ago=5)
    second = publications.publication_new_version(actor=drafter(), publication=first)
    client.force_login(leader)
    # a draft correction is not yet a correction
    text = client.get(reverse("publicity_staff:publication-detail", args=[first.pk])).content
    assert "已更正" not in text.decode()

    publications.publication_publish(actor=leader, publication=second)
    for url, link in (
        (reverse("publicity_staff:publication-detail", args=[first.pk]), "publicity_staff"),
        (reverse("public:publication-detail", args=[first.pk]), "public"),
    ):
        text = client.get(url).content.decode()
        assert "已更正,见第2版" in text, url
        target = reverse(f"{link}:publication-detail", args=[second.pk])
        assert f'href="{target}"' in text
        assert 'class="badge closed"' not in text
    listing = client.get(
        reverse("publicity_staff:publication-list") + f"?project={group.project.code}"
    ).content.decode()
    assert "已更正,见第2版" in listing


def test_publicity_pages_show_the_days_left_of_a_running_period(client, group, leader):
    _households(group, 1)
    roster = publish_roster_ended(group.project, days_ago=5)
    client.force_login(leader)
    for url in (
        reverse("publicity_staff:publication-detail", args=[roster.pk]),
        reverse("public:publication-detail", args=[roster.pk]),
        reverse("publicity_staff:publication-list") + f"?project={group.project.code}",
    ):
        assert "剩余 24 天" in client.get(url).content.decode(), url


def test_an_objection_about_a_changed_household_says_it_changed_after_publication(
    client, group, leader
):
    (household,) = _households(group, 1)
    roster = publish_roster_ended(group.project, days_ago=5)
    objection = objections.objection_file(
        publication=roster,
        contact_name="王某",
        contact_phone="13812345678",
        text="面积不对",
        household_code=household.code,
    )
    Household.objects.filter(pk=household.pk).update(facts_changed_at=timezone.now())
    client.force_login(leader)
    text = client.get(reverse("objections:detail", args=[objection.pk])).content.decode()
    assert 'id="changed-after-publication"' in text
    assert "第1版安置面积公示发布后信息已变更" in text


def test_the_embedded_databases_reading_finds_what_postgresqls_query_finds(group, leader):
    """SQLite (`make run`) has no JSON array functions: its reading of the frozen rows gives
    the same appearances — two versions, and a household in neither left out."""
    from publicity.selectors import clearance

    households = _households(group, 3)
    publish_roster_ended(group.project, days_ago=40)
    publish_roster_ended(group.project, days_ago=0)
    codes = sorted([h.code for h in households] + ["NOT-PUBLISHED"])

    in_sql = clearance.appearances(group.project, codes)
    assert sorted(in_sql) == sorted(h.code for h in households)
    assert [len(found) for found in in_sql.values()] == [2, 2, 2]
    index = clearance._household_column(clearance.ROSTER_KIND)
    in_python = clearance._appearances_read_in_python(
        group.project, codes, kind=clearance.ROSTER_KIND, index=index
    )
    assert in_python == in_sql
