"""The staff review queue (/staff/review/) and household approval (/staff/approval/): filters,
evidence, decisions through the page with their audit entries, bulk approval after a
confirmation naming the count, four-eyes refusals, and another project's households."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import DocumentKind, HouseholdStatus, Member, ReviewStatus
from households.services import documents, review
from resettlement.models import AuditEntry
from tests.households.factories import VillagerGroupFactory, member_data
from tests.people import grant, make_user
from tests.reauth import recently_authenticated

pytestmark = pytest.mark.usefixtures("private_media")

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def upload_all(household, clerk) -> None:
    """Every document of the household's checklist (agreement, hukou book, ID cards)."""

    def put(kind, member=None):
        documents.document_upload(
            actor=clerk,
            household=household,
            kind=kind,
            member=member,
            upload=SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
        )

    put(DocumentKind.AGREEMENT)
    put(DocumentKind.HUKOU_BOOK)
    for member in household.members.all():
        put(DocumentKind.ID_CARD, member)


def reviewed_without_documents(household, reviewer):
    """Every member passed by the reviewer, no document handed in."""
    for member in household.members.all():
        review.member_review(actor=reviewer, member=member, decision=ReviewStatus.PASSED)
    household.refresh_from_db()
    return household


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


@pytest.fixture
def second_group(group):
    """Another community's group in the same project."""
    return VillagerGroupFactory(community__project=group.project, name="第二村民小组")


# -- the review queue -----------------------------------------------------------------------


def test_review_queue_filters_by_community_group_rule_documents_and_search(
    client, reviewer, clerk, register, register_in, group, second_group
):
    complete = register(code="A-001", members=[member_data(name="甲齐全")])
    upload_all(complete, clerk)
    late = register(
        code="A-002", members=[member_data(name="乙迟迁", hukou_moved_in=dt.date(2014, 1, 5))]
    )
    elsewhere = register_in(second_group, code="B-001", members=[member_data(name="丙二组")])
    client.force_login(reviewer)
    url = reverse("staff:review-queue")

    def names(**params) -> set[str]:
        page = client.get(url, params).content.decode()
        return {n for n in ("甲齐全", "乙迟迁", "丙二组") if n in page}

    assert names() == {"甲齐全", "乙迟迁", "丙二组"}
    assert names(community=second_group.community_id) == {"丙二组"}
    assert names(group=group.pk) == {"甲齐全", "乙迟迁"}
    assert names(rule="HUKOU_AFTER_CUTOFF") == {"乙迟迁"}
    assert names(missing="1") == {"乙迟迁", "丙二组"}
    assert names(q="B-001") == {"丙二组"}
    assert elsewhere.project == late.project


def test_review_queue_shows_the_evidence_of_each_rule_and_the_missing_documents(
    client, reviewer, register
):
    household = register(members=[member_data(name="乙迟迁", hukou_moved_in=dt.date(2014, 1, 5))])
    client.force_login(reviewer)
    page = client.get(reverse("staff:review-queue")).content.decode()
    member = household.members.get()
    assert "户口迁入时间" in page and "户口未迁出" in page  # each rule, named
    failed = next(c for c in member.verdict_checks if not c["passed"])
    assert failed["evidence"] in page  # with the evidence the verdict rests on
    assert "缺少材料" in page and "身份证" in page


def test_review_queue_defaults_to_the_latest_project_and_hides_other_projects(
    client, register_in, roles
):
    old = VillagerGroupFactory(community__project__code="OLD", community__project__name="旧项目")
    new = VillagerGroupFactory(community__project__code="NEW", community__project__name="新项目")
    register_in(old, members=[member_data(name="旧项目人")])
    register_in(new, members=[member_data(name="新项目人")])
    scoped = make_user("reviewer_old", "reviewer", all_projects=False)
    grant(scoped, old.project)
    district = make_user("reviewer_all", "reviewer")
    client.force_login(district)
    page = client.get(reverse("staff:review-queue")).content.decode()
    assert "新项目人" in page and "旧项目人" not in page  # the newest project first
    client.force_login(scoped)
    page = client.get(reverse("staff:review-queue")).content.decode()
    assert "旧项目人" in page and "新项目人" not in page
    assert client.get(reverse("staff:review-queue"), {"project": "NEW"}).status_code == 404


def test_a_decision_on_the_queue_changes_the_member_and_writes_the_audit_entry(
    client, reviewer, register
):
    household = register()
    member = household.members.get()
    client.force_login(reviewer)
    queue = reverse("staff:review-queue")
    response = client.post(
        reverse("staff:member-review", args=[member.pk]),
        {"decision": "passed", "reason": "", "next": queue},
        follow=True,
    )
    assert f"已记录对 {member.name}({household.code})的审核" in response.content.decode()
    member.refresh_from_db()
    assert member.review_status == ReviewStatus.PASSED and member.reviewed_by == reviewer
    assert "member.review" in audit_actions()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_an_override_needs_a_written_reason_and_is_recorded_as_one(client, reviewer, register):
    household = register(members=[member_data(hukou_moved_in=dt.date(2014, 1, 5))])
    member = household.members.get()
    url = reverse("staff:member-review", args=[member.pk])
    client.force_login(reviewer)
    refused = client.post(url, {"decision": "passed", "reason": ""})
    assert "必须填写书面理由" in refused.content.decode()
    assert Member.objects.get(pk=member.pk).review_status == ReviewStatus.PENDING
    assert "member.review" not in audit_actions()
    client.post(url, {"decision": "passed", "reason": "迁入日期系户籍录入错误,经派出所核实"})
    member.refresh_from_db()
    assert member.review_status == ReviewStatus.PASSED and member.review_overridden
    assert member.review_reason == "迁入日期系户籍录入错误,经派出所核实"


def test_the_four_eyes_refusal_on_the_queue_is_shown_once(client, all_hats, register):
    household = register(actor=all_hats)
    member = household.members.get()
    client.force_login(all_hats)
    queue = reverse("staff:review-queue")
    page = client.get(queue).content.decode()
    assert "四眼原则" in page and 'class="review-decision"' not in page  # no form offered
    page = client.get(reverse("staff:member-review", args=[member.pk])).content.decode()
    assert "四眼原则" in page and 'name="decision"' not in page
    response = client.post(  # posted anyway: refused, and said once
        reverse("staff:member-review", args=[member.pk]), {"decision": "passed", "reason": ""}
    )
    assert response.content.decode().count("四眼原则") == 1
    assert Member.objects.get(pk=member.pk).review_status == ReviewStatus.PENDING


def test_review_export_is_a_workbook_of_the_filtered_queue(
    client, reviewer, register, register_in, group
):
    formula = VillagerGroupFactory(community__project=group.project, community__name="=1+1")
    register_in(formula, code="X-001", members=[member_data(name="导出人")])
    register(members=[member_data(name="不在筛选内")])
    client.force_login(reviewer)
    response = client.get(reverse("staff:review-export"), {"q": "X-001"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:2] == ("户编号", "姓名")
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [("X-001", "导出人", "'=1+1")]
    assert "身份证" in rows[1][8]  # the documents the household still lacks


# -- household approval ---------------------------------------------------------------------


def test_approval_queue_lists_reviewed_households_with_their_missing_documents(
    client, leader, reviewer, register, pass_all
):
    complete = pass_all(register(code="A-001"))
    lacking = reviewed_without_documents(register(code="A-002"), reviewer)
    pending = register(code="A-003")
    client.force_login(leader)
    url = reverse("staff:approval-queue")
    page = client.get(url).content.decode()
    assert complete.code in page and lacking.code in page and pending.code not in page
    assert "待审批 2 户" in page
    missing = client.get(url, {"missing": "1"}).content.decode()
    assert lacking.code in missing and complete.code not in missing
    assert client.get(url, {"q": "A-001"}).content.decode().count("A-002") == 0


def test_one_household_is_approved_with_its_opinion_and_the_audit_entry(
    client, leader, register, pass_all
):
    household = pass_all(register())
    client.force_login(leader)
    recently_authenticated(client)
    page = reverse("staff:household-approval", args=[household.pk])
    assert "应安置面积" in client.get(page).content.decode()
    response = client.post(page, {"opinion": "符合安置条件,同意"}, follow=True)
    assert f"已审批 {household.code} 户" in response.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED and household.approved_by == leader
    assert household.approval_opinion == "符合安置条件,同意"
    entry = AuditEntry.objects.get(action="household.approve")
    assert entry.payload["household"] == household.code
    assert entry.payload["opinion"] == "符合安置条件,同意"


def test_missing_documents_are_shown_and_approval_needs_a_written_override(
    client, leader, reviewer, register
):
    household = reviewed_without_documents(register(), reviewer)
    client.force_login(leader)
    recently_authenticated(client)
    page = reverse("staff:household-approval", args=[household.pk])
    shown = client.get(page).content.decode()
    assert "缺少" in shown and "身份证" in shown and "缺少材料仍予审批的理由" in shown
    refused = client.post(page, {"opinion": "同意"}, follow=True).content.decode()
    assert household.code in refused and "身份证" in refused
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED
    client.post(page, {"opinion": "同意", "documents_override_reason": "原件已核验,扫描件补交"})
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    assert household.documents_override_reason == "原件已核验,扫描件补交"


def test_bulk_approval_asks_to_confirm_the_count_and_approves_exactly_those(
    client, leader, register, pass_all
):
    chosen = [pass_all(register(code=f"A-00{n}")) for n in (1, 2)]
    left = pass_all(register(code="A-003"))
    client.force_login(leader)
    recently_authenticated(client)
    bulk = reverse("staff:approval-bulk")
    project = chosen[0].project.code
    confirm = client.post(
        bulk,
        {"project": project, "household": [h.pk for h in chosen], "opinion": "同意"},
    )
    page = confirm.content.decode()
    assert "确认审批 2 户?" in page
    assert "A-001" in page and "A-002" in page and "A-003" not in page
    assert all(
        h.status == HouseholdStatus.REVIEWED
        for h in type(left).objects.filter(pk__in=[h.pk for h in chosen])
    )  # nothing approved before the confirmation
    ids = ",".join(str(h.pk) for h in chosen)
    response = client.post(
        bulk,
        {"project": project, "households": ids, "opinion": "同意", "confirmed": "1"},
        follow=True,
    )
    assert "已审批 2 户" in response.content.decode()
    statuses = dict(type(left).objects.values_list("code", "status"))
    assert statuses == {"A-001": "approved", "A-002": "approved", "A-003": "reviewed"}
    assert audit_actions().count("household.approve") == 2


def test_bulk_approval_lists_the_household_refused_for_missing_documents(
    client, leader, reviewer, register, pass_all
):
    ready = pass_all(register(code="A-001"))
    lacking = reviewed_without_documents(register(code="A-002"), reviewer)
    client.force_login(leader)
    recently_authenticated(client)
    response = client.post(
        reverse("staff:approval-bulk"),
        {"project": ready.project.code, "households": f"{ready.pk},{lacking.pk}", "confirmed": "1"},
        follow=True,
    )
    page = response.content.decode()
    assert "已审批 1 户" in page and "A-002" in page and "身份证" in page
    lacking.refresh_from_db()
    assert lacking.status == HouseholdStatus.REVIEWED


def test_bulk_approval_of_the_whole_filter_names_its_count(
    client, leader, register, pass_all, second_group, register_in
):
    for n in (1, 2, 3):
        pass_all(register(code=f"A-00{n}"))
    pass_all(register_in(second_group, code="B-001"))
    client.force_login(leader)
    recently_authenticated(client)
    page = client.post(
        reverse("staff:approval-bulk"),
        {"project": second_group.project.code, "all": "1", "group": second_group.pk},
    ).content.decode()
    assert "确认审批 1 户?" in page and "B-001" in page and "A-001" not in page


def test_another_projects_household_is_invisible_to_a_project_leader(
    client, register_in, pass_all, roles
):
    mine = VillagerGroupFactory(community__project__code="PA")
    theirs = VillagerGroupFactory(community__project__code="PB")
    own = pass_all(register_in(mine, code="HA001"))
    other = pass_all(register_in(theirs, code="HB001"))
    leader_a = make_user("leader_a", "leader", all_projects=False)
    grant(leader_a, mine.project)
    client.force_login(leader_a)
    recently_authenticated(client)
    queue = client.get(reverse("staff:approval-queue")).content.decode()
    assert own.code in queue and other.code not in queue
    assert client.get(reverse("staff:household-approval", args=[other.pk])).status_code == 404
    assert client.post(reverse("staff:household-approval", args=[other.pk])).status_code == 404
    client.post(
        reverse("staff:approval-bulk"),
        {"project": "PA", "households": f"{own.pk},{other.pk}", "confirmed": "1"},
    )
    other.refresh_from_db()
    assert other.status == HouseholdStatus.REVIEWED


def test_a_leader_who_reviewed_sees_why_instead_of_an_approval_form(
    client, register, pass_all, roles
):
    reviewing_leader = make_user("reviewing_leader", "reviewer", "leader")
    household = pass_all(register(), actor=reviewing_leader)
    client.force_login(reviewing_leader)
    page = client.get(reverse("staff:household-approval", args=[household.pk])).content.decode()
    assert "四眼原则:您审核过" in page and 'id="approval-form"' not in page


def test_approval_export_lists_the_queue(client, leader, reviewer, register, pass_all):
    complete = pass_all(register(code="A-001"))
    reviewed_without_documents(register(code="A-002"), reviewer)
    register(code="A-003")  # still under review: not in the approval queue
    client.force_login(leader)
    response = client.get(reverse("staff:approval-export"))
    assert f"approval-{complete.project.code}-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "户编号" and rows[0][6] == "应安置面积(㎡)"
    assert [r[0] for r in rows[1:]] == ["A-001", "A-002"]
    population, area = review.entitlement_for(complete.project, list(complete.members.all()))
    head = complete.members.get(relation="head").name
    assert rows[1][1] == head and rows[1][4:7] == (1, population, float(area))
    assert not rows[1][8] and "身份证" in rows[2][8]


def test_the_staff_menu_links_the_review_and_approval_queues(client, all_hats, register):
    household = register()
    client.force_login(all_hats)
    page = client.get(reverse("staff:household-detail", args=[household.pk])).content.decode()
    assert reverse("staff:review-queue") in page and reverse("staff:approval-queue") in page
    assert reverse("staff:member-review", args=[household.members.get().pk]) in page


def test_the_queues_read_in_english(client, leader, reviewer, register, pass_all, settings):
    pass_all(register(code="A-001"))
    register(code="A-002")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(reviewer)
    assert "1 member awaiting review" in client.get(reverse("staff:review-queue")).content.decode()
    client.force_login(leader)
    recently_authenticated(client)
    page = client.get(reverse("staff:approval-queue")).content.decode()
    assert "1 household awaiting approval" in page


def test_the_queues_take_the_same_number_of_queries_for_more_rows(
    client, reviewer, leader, register, pass_all
):
    def counts() -> tuple[int, int]:
        client.force_login(reviewer)
        with CaptureQueriesContext(connection) as review_queries:
            client.get(reverse("staff:review-queue"))
        client.force_login(leader)
        with CaptureQueriesContext(connection) as approval_queries:
            client.get(reverse("staff:approval-queue"))
        return len(review_queries), len(approval_queries)

    register()
    pass_all(register())
    few = counts()
    for _ in range(4):
        register(members=[member_data(), member_data("spouse", sex="F")])
        pass_all(register())
    assert counts() == few
