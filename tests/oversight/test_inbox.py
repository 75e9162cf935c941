"""The inbox (工作台, issue 13 item 5): for each user, what waits for them, by project, each
line opening the page where they decide; counts in a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Household, HouseholdStatus
from oversight.selectors.inbox import inbox
from publicity.models import Objection
from publicity.services.complaints import complaint_file
from publicity.services.objections import objection_file
from publicity.services.publications import publication_create
from resettlement import periods
from settlement.models import DefectTicket, StepDirection
from settlement.services.approvals import StepSpec, approval_chain_set
from tests.households.factories import VillagerGroupFactory, member_data, pass_all
from tests.people import grant, make_user
from tests.publicity.factories import publish
from tests.settlement.factories import approve_next, approve_through


def _lines(user, project=None) -> dict[str, object]:
    """The user's lines in `project` (the only project when None), by kind."""
    boxes = inbox(user)
    box = next(b for b in boxes if project is None or b.project == project)
    return {line.kind: line for line in box.lines}


def _family(register, clerk, group=None):
    members = [member_data(), member_data("spouse", name="李秀英", sex="F")]
    if group is not None:
        return register(group, actor=clerk, members=members)
    return register(actor=clerk, members=members)


def test_a_reviewer_sees_the_members_waiting_for_review_linked_to_the_review_queue(
    register, clerk, reviewer, project
):
    _family(register, clerk)
    line = _lines(reviewer)["members"]
    assert (line.label, line.count) == ("待审核成员", 2)
    assert line.url == reverse("staff:review-queue") + f"?project={project.code}"
    assert "members" not in _lines(clerk)  # a clerk does not review


def test_whoever_registered_a_household_does_not_find_its_members_to_review(
    register, all_hats, reviewer
):
    register(actor=all_hats)
    assert "members" not in _lines(all_hats)
    assert _lines(reviewer)["members"].count == 1


def test_a_reviewed_household_waits_for_a_leader_in_the_approval_queue(
    register, clerk, reviewer, leader, project
):
    household = pass_all(_family(register, clerk), reviewer=reviewer)
    assert household.status == HouseholdStatus.REVIEWED
    line = _lines(leader)["households"]
    assert (line.label, line.count) == ("待审批安置户", 1)
    assert line.url == reverse("staff:approval-queue") + f"?project={project.code}"
    assert "households" not in _lines(reviewer)


def test_a_draft_waits_for_a_leader_other_than_its_drafter(leader, leader2, project):
    publication = publication_create(actor=leader, project=project, kind="population")
    assert "publications" not in _lines(leader)
    line = _lines(leader2)["publications"]
    assert line.count == 1
    assert line.url == reverse("publicity_staff:publication-detail", args=[publication.pk])


def _objection(publication, *, filed_on: dt.date) -> Objection:
    objection = objection_file(
        publication=publication,
        contact_name="王建国",
        contact_phone="13800000000",
        text="我家人口数不对",
        today=publication.starts_on,
    )
    filed_at = dt.datetime.combine(filed_on, dt.time(10), tzinfo=periods.SHANGHAI)
    Objection.objects.filter(pk=objection.pk).update(filed_at=filed_at)
    return objection


def test_an_objection_unanswered_past_its_deadline_shows_overdue_with_the_days(
    leader, reviewer, project
):
    today = periods.today()
    publication = publish(leader, project, starts_on=today - dt.timedelta(days=29))
    late = _objection(publication, filed_on=today - dt.timedelta(days=28))
    _objection(publication, filed_on=today)
    line = _lines(reviewer)["objections"]
    assert (line.count, line.overdue) == (2, 1)
    assert line.due.overdue
    due = periods.add_working_days(today - dt.timedelta(days=28), settings.ANSWER_WORKING_DAYS)
    assert str(line.due) == f"已逾期 {(today - due).days} 天"
    assert line.url == reverse("objections:detail", args=[late.pk])


def test_an_objection_filed_today_shows_the_working_days_left(leader, reviewer, project):
    today = periods.today()
    publication = publish(leader, project, starts_on=today)
    _objection(publication, filed_on=today)
    line = _lines(reviewer)["objections"]
    assert (line.count, line.overdue) == (1, 0)
    assert str(line.due) == "剩余 5 个工作日"


def test_each_statement_waits_for_the_holder_of_its_next_step(money, chain, finance_wu):
    assert _lines(chain.reviewer)["approvals"].count == 4
    assert "approvals" not in _lines(chain.leader)
    approve_next(actor=chain.reviewer, statement=money.owed.statement)
    assert _lines(chain.reviewer)["approvals"].count == 3
    line = _lines(chain.leader)["approvals"]
    assert line.count == 1
    assert line.url == reverse("settlement:statement-detail", args=[money.owed.statement.pk])
    # Nobody takes two steps of one statement: the director may, the leader who took step 2 not.
    approve_next(actor=chain.leader, statement=money.owed.statement)
    assert "approvals" not in _lines(chain.leader)
    assert _lines(chain.director)["approvals"].count == 1
    assert "approvals" not in _lines(finance_wu)


def test_a_statement_waits_for_the_steps_of_its_direction(money, chain, leader, finance_wu):
    """A chain whose second step is the leader's for statements collecting money and
    finance's for those paying: after step 1 each statement waits for its own."""
    approval_chain_set(
        actor=leader,
        project=money.project,
        steps=[
            StepSpec("review", "补偿协议审核", "reviewer"),
            StepSpec("collect", "确认收款", "leader", StepDirection.COLLECT),
            StepSpec("pay", "拨付", "finance", StepDirection.PAY),
        ],
    )
    approve_next(actor=chain.reviewer, statement=money.owes.statement)  # net < 0
    approve_next(actor=chain.reviewer, statement=money.owed.statement)  # net > 0
    assert _lines(chain.director)["approvals"].url == reverse(
        "settlement:statement-detail", args=[money.owes.statement.pk]
    )
    assert _lines(chain.director)["approvals"].count == 1
    assert _lines(finance_wu)["approvals"].url == reverse(
        "settlement:statement-detail", args=[money.owed.statement.pk]
    )


def test_an_approved_statement_waits_for_its_payment(money, chain):
    approve_through(money.owes.statement, chain)
    line = _lines(chain.cashier)["payments"]
    assert line.count == 1
    assert line.url == reverse("settlement:statement-detail", args=[money.owes.statement.pk])


def test_a_statement_of_a_household_sent_back_is_stale_for_finance_not_approvable(money, chain):
    Household.objects.filter(pk=money.owed.pk).update(status=HouseholdStatus.REGISTERED)
    assert _lines(chain.cashier)["stale"].count == 1
    assert _lines(chain.reviewer)["approvals"].count == 3


def test_reports_wait_for_the_supervisor_those_naming_no_project_on_their_own(
    supervisor, reviewer, project
):
    complaint_file(category="funds", text="补偿款被截留。", project=project)
    anonymous, _code = complaint_file(category="conduct", text="收受好处费。")
    boxes = inbox(supervisor)
    assert [line.count for line in boxes[0].lines if line.kind == "complaints"] == [1]
    assert boxes[-1].project is None
    (line,) = boxes[-1].lines
    assert (line.kind, line.count, line.overdue, str(line.due)) == (
        "complaints",
        1,
        0,
        "剩余 5 个工作日",
    )
    assert line.url == reverse("complaints:detail", args=[anonymous.pk])
    assert all(line.kind != "complaints" for box in inbox(reviewer) for line in box.lines)


def test_an_open_defect_waits_for_the_clerk(money, clerk):
    ticket = DefectTicket.objects.create(
        household=money.owed, location="卫生间", description="漏水", reported_by=clerk
    )
    line = _lines(clerk)["defects"]
    assert line.count == 1
    assert line.url == reverse("settlement:defect-detail", args=[ticket.pk])


def test_a_committed_session_waits_for_the_notary_to_confirm(open_session, notary):
    line = _lines(notary)["sessions_confirm"]
    assert line.count == 1
    assert line.url == reverse("lottery:console", args=[open_session.code])
    assert "sessions_sign" not in _lines(notary)


def test_a_session_being_drawn_waits_for_the_notary_to_sign(drawing_session, notary):
    line = _lines(notary)["sessions_sign"]
    assert (line.label, line.count) == ("待签署摇号场次", 1)
    assert line.url == reverse("lottery:console", args=[drawing_session.code])
    assert line.list_url == (
        reverse("lottery:session-list") + f"?project={drawing_session.project.code}"
    )
    assert "sessions_confirm" not in _lines(notary)


def test_the_inbox_shows_only_the_projects_the_user_may_see(register_in, clerk, roles):
    mine, theirs = VillagerGroupFactory(), VillagerGroupFactory()
    register_in(mine)
    register_in(theirs)
    scoped = make_user("reviewer_scoped", "reviewer", all_projects=False)
    grant(scoped, mine.project)
    boxes = inbox(scoped)
    assert [b.project for b in boxes] == [mine.project]
    assert boxes[0].lines[0].count == 1


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        inbox(user)
    return len(captured)


def test_the_inbox_counts_in_the_same_number_of_queries_for_more_households(
    money, chain, clerk, leader, register, django_assert_num_queries
):
    """Every line present, then many more households of every kind: the same queries."""
    all_lines = make_user("everything", "clerk", "reviewer", "leader", "finance", "notary")
    approve_next(actor=chain.reviewer, statement=money.owed.statement)
    approve_through(money.owes.statement, chain)
    _family(register, clerk)
    publish(leader, money.project, starts_on=periods.today())
    inbox(all_lines)  # the user's permissions are read once, then cached on the user
    before = _queries(all_lines)
    assert before <= 14
    for _ in range(6):
        pass_all(_family(register, clerk), reviewer=chain.reviewer)
        _family(register, clerk)
    with django_assert_num_queries(before):
        boxes = inbox(all_lines)
    assert sum(box.total for box in boxes) > 20


# -- the pages ------------------------------------------------------------------------------


def test_the_staff_home_is_the_inbox(client, register, clerk, reviewer, project):
    _family(register, clerk)
    client.force_login(reviewer)
    page = client.get(reverse("staff:home")).content.decode()
    assert "工作台" in page
    assert "待审核成员" in page
    assert f'href="{reverse("staff:review-queue")}?project={project.code}"' in page
    assert client.get(reverse("oversight:inbox")).content.decode().count("待审核成员") == 1


def test_the_inbox_in_english(client, register, clerk, reviewer):
    _family(register, clerk)
    client.cookies["django_language"] = "en"
    client.force_login(reviewer)
    page = client.get(reverse("staff:home")).content.decode()
    assert "Members pending review" in page
    assert "Waiting for you: 2" in page


def test_the_dashboard_shows_overdue_objections(client, leader, project):
    today = periods.today()
    publication = publish(leader, project, starts_on=today - dt.timedelta(days=29))
    _objection(publication, filed_on=today - dt.timedelta(days=28))
    client.force_login(leader)
    page = client.get(reverse("oversight:dashboard"), {"project": project.code}).content
    page = page.decode()
    assert "待答复异议 1 件" in page
    assert "超过答复期限 1 件" in page


@pytest.mark.parametrize("who", ["clerk", "notary", "outsider"])
def test_every_role_opens_the_inbox(client, request, who, project):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    assert project.code in response.content.decode()
