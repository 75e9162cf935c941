"""Statutory periods of publicity: how long each kind of publication runs (30 days for the
entitlement roster by default, settable per kind in settings and per project), and the answer
deadlines of objections and reports (N working days on the Chinese holiday calendar), shown
on the lists with the working days left or the days overdue."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from households.publicity import ENTITLEMENT
from publicity.forms.publications import default_days_by_kind
from publicity.models import Complaint, Objection, PublicityPeriod
from publicity.selectors.objections import (
    answer_due,
    answer_time_left,
    overdue_complaints,
    overdue_objections,
    with_answer_overdue,
)
from publicity.services import complaints, objections, periods, publications
from resettlement.errors import RuleViolation
from tests.publicity.factories import drafter

pytestmark = pytest.mark.django_db

SHANGHAI_NOON = "+08:00"


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T10:00:00{SHANGHAI_NOON}")


# --- publication periods -----------------------------------------------------------------


def test_the_entitlement_roster_runs_30_days_and_the_others_7_by_default(approved_household):
    project = approved_household.project
    roster = publications.publication_create(
        actor=drafter(), project=project, kind="entitlement", starts_on=dt.date(2026, 3, 2)
    )
    population = publications.publication_create(
        actor=drafter(), project=project, kind="population", starts_on=dt.date(2026, 3, 2)
    )
    assert roster.ends_on == dt.date(2026, 3, 31)
    assert population.ends_on == dt.date(2026, 3, 8)


def test_a_setting_changes_a_kinds_default(approved_household, settings):
    settings.PUBLICITY_DAYS = {"population": 10}
    draft = publications.publication_create(
        actor=drafter(),
        project=approved_household.project,
        kind="population",
        starts_on=dt.date(2026, 3, 2),
    )
    assert draft.ends_on == dt.date(2026, 3, 11)


def test_a_leader_sets_a_projects_own_period_and_new_publications_follow_it(
    approved_household, leader
):
    project = approved_household.project
    periods.publicity_period_set(actor=leader, project=project, kind="entitlement", days=45)
    draft = publications.publication_create(
        actor=drafter(), project=project, kind="entitlement", starts_on=dt.date(2026, 3, 2)
    )
    assert draft.ends_on == dt.date(2026, 4, 15)
    assert PublicityPeriod.objects.get(project=project, kind="entitlement").changed_by == leader


def test_the_new_publication_form_hints_the_projects_own_periods_read_at_once(
    approved_household, leader, django_assert_num_queries
):
    project = approved_household.project
    periods.publicity_period_set(actor=leader, project=project, kind="entitlement", days=45)
    periods.publicity_period_set(actor=leader, project=project, kind="population", days=12)
    with django_assert_num_queries(1):
        hint = dict(default_days_by_kind(project))
    assert hint[str(ENTITLEMENT.label)] == 45
    assert hint["安置人口公示"] == 12
    assert hint["登记调查结果公示"] == 7


def test_a_period_too_short_or_by_a_clerk_is_refused(approved_household, leader, clerk):
    project = approved_household.project
    with pytest.raises(RuleViolation) as refused:
        periods.publicity_period_set(actor=leader, project=project, kind="entitlement", days=2)
    assert "公示天数应在 5 到 366 天之间" in refused.value.message
    with pytest.raises(RuleViolation):
        periods.publicity_period_set(actor=clerk, project=project, kind="entitlement", days=30)
    assert not PublicityPeriod.objects.exists()


def test_the_admin_sets_a_projects_period_through_the_service(client, approved_household, leader):
    client.force_login(leader)
    project = approved_household.project
    response = client.post(
        reverse("admin:publicity_publicityperiod_add"),
        {"project": project.pk, "kind": "population", "days": "15"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PublicityPeriod.objects.get(project=project, kind="population").days == 15


# --- answer deadlines --------------------------------------------------------------------


def _objection(publication, *, filed: dt.datetime) -> Objection:
    objection = objections.objection_file(
        publication=publication,
        contact_name="王某",
        contact_phone="13812345678",
        text="名单有误",
        today=publication.starts_on,
    )
    Objection.objects.filter(pk=objection.pk).update(filed_at=filed)
    objection.refresh_from_db()
    return objection


def test_an_objection_is_due_five_working_days_after_it_was_filed(published_population):
    # Filed on a Friday: due the next Friday.
    friday = _objection(published_population, filed=_at("2026-03-06"))
    assert answer_due(friday) == dt.date(2026, 3, 13)
    # Filed on the eve of Spring Festival 2026 (holiday 02-15 to 02-23, 02-14 and 02-28
    # worked): five working days after the holiday.
    eve = _objection(published_population, filed=_at("2026-02-13"))
    assert answer_due(eve) == dt.date(2026, 2, 27)


def test_working_days_left_then_overdue_and_nothing_once_answered(published_population, leader):
    objection = _objection(published_population, filed=_at("2026-03-06"))
    assert str(answer_time_left(objection, on=dt.date(2026, 3, 9))) == "剩余 4 个工作日"
    assert str(answer_time_left(objection, on=dt.date(2026, 3, 13))) == "今天截止"
    assert str(answer_time_left(objection, on=dt.date(2026, 3, 16))) == "已逾期 3 天"
    objections.objection_answer(actor=leader, objection=objection, answer="已核实", upheld=False)
    objection.refresh_from_db()
    assert answer_time_left(objection, on=dt.date(2026, 3, 16)) is None


def test_overdue_objections_are_found_by_one_query_as_answer_due_says(published_population):
    days = ["2026-02-13", "2026-03-02", "2026-03-05", "2026-03-06", "2026-03-09"]
    made = [_objection(published_population, filed=_at(day)) for day in days]
    on = dt.date(2026, 3, 13)
    expected = {o.pk for o in made if answer_due(o) < on}
    assert {o.pk for o in overdue_objections(on=on)} == expected
    annotated = {o.pk: o.answer_overdue for o in with_answer_overdue(Objection.objects, on=on)}
    assert annotated == {o.pk: o.pk in expected for o in made}
    assert expected == {made[0].pk, made[1].pk, made[2].pk}


def test_an_unanswered_report_is_overdue_too(db):
    complaint, _code = complaints.complaint_file(category="funds", text="补偿款被截留。")
    Complaint.objects.filter(pk=complaint.pk).update(filed_at=_at("2026-03-02"))
    complaint.refresh_from_db()
    assert answer_due(complaint) == dt.date(2026, 3, 9)
    assert list(overdue_complaints(on=dt.date(2026, 3, 10))) == [complaint]
    assert not overdue_complaints(on=dt.date(2026, 3, 9)).exists()


def test_the_objection_list_shows_the_days_left_and_the_overdue(client, roster, leader):
    late = _objection(roster, filed=_at("2026-02-26"))  # due 03-04 (02-28 is worked)
    fresh = _objection(roster, filed=_at("2026-03-03"))  # due 03-10
    assert (answer_due(late), answer_due(fresh)) == (dt.date(2026, 3, 4), dt.date(2026, 3, 10))
    client.force_login(leader)
    with time_machine.travel(_at("2026-03-09")):
        text = client.get(reverse("objections:list")).content.decode()
        overdue_only = client.get(reverse("objections:list") + "?overdue=1").content.decode()
    assert "答复期限 2026-03-04(已逾期 5 天)" in text
    assert "答复期限 2026-03-10(剩余 1 个工作日)" in text
    assert "2026-03-04(已逾期 5 天)" in overdue_only
    assert "2026-03-10" not in overdue_only


def test_the_objection_page_shows_its_answer_deadline(client, roster, leader):
    objection = _objection(roster, filed=_at("2026-03-03"))
    client.force_login(leader)
    with time_machine.travel(_at("2026-03-09")):
        text = client.get(reverse("objections:detail", args=[objection.pk])).content.decode()
    assert "2026-03-10(剩余 1 个工作日)" in text
