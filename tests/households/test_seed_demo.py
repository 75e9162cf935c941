"""What `manage.py seed_demo` builds: checked on one demo database seeded once for the
module (and rolled back after it). The command's own behaviour is in
test_seed_demo_command.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.test import override_settings

from households import access, idnumbers, qualification
from households.models import (
    Community,
    Document,
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from tests.households.demo_seeding import HOUSEHOLDS, demo_settings, seed


@pytest.fixture(scope="module")
def demo_database(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        output = seed()
        yield output
        transaction.set_rollback(True)  # leave the database empty for the next module


@pytest.fixture
def seeded(demo_database, db) -> Project:
    return Project.objects.get(code="YH2013")


def test_seed_builds_twelve_communities_with_groups_and_households_of_one_to_seven(seeded):
    assert seeded.name == "余杭经济技术开发区农民多高层公寓安置"
    communities = Community.objects.filter(project=seeded)
    assert communities.count() == 12
    assert set(communities.values_list("name", flat=True)) >= {"南宫河社区", "上湾桥社区"}
    assert all(c.groups.count() >= 4 for c in communities)
    assert VillagerGroup.objects.filter(project=seeded, name="第一村民小组").count() == 12
    households = Household.objects.filter(project=seeded).annotate(size=Count("members"))
    assert households.count() == HOUSEHOLDS
    sizes = {h.size for h in households}
    assert sizes <= set(range(1, 8)) and len(sizes) >= 4
    assert all(h.address and h.phone and h.agreement_number for h in households)
    assert all(h.demolished_area > 0 for h in households)


def test_every_id_number_is_valid_and_unique_per_project(seeded):
    for project in Project.objects.all():
        numbers = list(Member.objects.filter(project=project).values_list("id_number", flat=True))
        assert len(numbers) == len(set(numbers))
        for member in Member.objects.filter(project=project):
            parsed = idnumbers.parse(member.id_number)
            assert (parsed.birth_date, parsed.sex) == (member.birth_date, member.sex)
            assert member.id_number.startswith("33")  # Zhejiang


def test_families_share_the_heads_surname_and_ages_fit_relations(seeded):
    for household in Household.objects.filter(project=seeded).prefetch_related("members"):
        members = list(household.members.all())
        head = next(m for m in members if m.relation == Relation.HEAD)
        for member in members:
            if member.relation in (Relation.CHILD, Relation.GRANDCHILD, Relation.SIBLING):
                assert member.name[0] == head.name[0], (household.code, member.name)
            if member.relation in (Relation.CHILD, Relation.GRANDCHILD):
                assert member.birth_date > head.birth_date, (household.code, member.name)
            if member.relation == Relation.PARENT:
                assert member.birth_date < head.birth_date, (household.code, member.name)


def test_every_reason_code_has_members_failing_it(seeded):
    members = Member.objects.filter(project=seeded)
    for code in qualification.REASON_LABELS:
        assert members.filter(verdict_failures__contains=f",{code},").exists(), code
    # Natural growth within the deadline and students or servicemen away still qualify.
    growth = members.filter(special_status__in=["newborn", "new_spouse"], verdict_qualified=True)
    assert growth.exists()
    away = members.filter(special_status__in=["student_away", "serviceman_away"])
    assert away.exists() and all(m.verdict_qualified for m in away)
    assert members.filter(one_child_certificate=True).exists()


def test_people_resettled_in_the_earlier_project_fail_in_the_new_one(seeded):
    earlier = Project.objects.get(code="YH2011")
    assert Household.objects.filter(project=earlier, status=HouseholdStatus.APPROVED).exists()
    flagged = Member.objects.filter(
        project=seeded, verdict_failures__contains=",RESETTLED_ELSEWHERE,"
    )
    for member in flagged:
        assert Member.objects.filter(
            project=earlier,
            id_number=member.id_number,
            name=member.name,
            review_status=ReviewStatus.PASSED,
            household__status=HouseholdStatus.APPROVED,
        ).exists()


def test_reviewers_and_approvers_are_never_the_registrars(seeded):
    reviewed = Member.objects.exclude(review_status=ReviewStatus.PENDING).select_related(
        "household", "reviewed_by", "entered_by"
    )
    assert reviewed.exists()
    for member in reviewed:
        assert member.reviewed_by_id not in (
            member.household.registered_by_id,
            member.entered_by_id,
        )
        assert member.reviewed_by.username in ("reviewer", "reviewer2")
    for household in Household.objects.filter(status=HouseholdStatus.APPROVED):
        people = {household.registered_by_id}
        for member in household.members.all():
            people |= {member.entered_by_id, member.reviewed_by_id}
        assert household.approved_by_id not in people
        assert household.approved_by.username == "leader"
    registrars = set(Household.objects.values_list("registered_by__username", flat=True))
    assert registrars <= {"clerk", "clerk2"}


def test_rejections_and_overrides_carry_a_written_reason(seeded):
    members = Member.objects.filter(project=seeded)
    rejected = members.filter(review_status=ReviewStatus.REJECTED)
    assert rejected.exists()
    assert all(m.review_reason.strip() for m in rejected)
    # A rejection of a member the rules failed quotes the rules' evidence.
    failed = rejected.filter(verdict_qualified=False, review_overridden=False).first()
    evidence = [c["evidence"] for c in failed.verdict_checks if not c["passed"]]
    assert evidence[0] in failed.review_reason
    overridden = members.filter(review_overridden=True)
    assert overridden.filter(review_status=ReviewStatus.PASSED, verdict_qualified=False).exists()
    assert overridden.filter(review_status=ReviewStatus.REJECTED, verdict_qualified=True).exists()
    assert all(m.review_reason.strip() for m in overridden)


def test_queue_has_work_and_approved_households_have_entitlements(seeded):
    households = Household.objects.filter(project=seeded)
    by_status = dict(households.values_list("status").annotate(n=Count("id")).order_by())
    assert by_status.get(HouseholdStatus.REGISTERED, 0) > 0
    assert by_status.get(HouseholdStatus.REVIEWED, 0) > 0
    assert by_status.get(HouseholdStatus.APPROVED, 0) > 0
    assert Member.objects.filter(project=seeded, review_status=ReviewStatus.PENDING).exists()
    for household in households.filter(status=HouseholdStatus.APPROVED):
        passed = household.members.filter(review_status=ReviewStatus.PASSED).count()
        assert household.resettlement_population == passed
        assert household.entitlement_area >= passed * seeded.area_per_person
    assert households.filter(status=HouseholdStatus.APPROVED, entitlement_area__gt=0).exists()


def test_some_households_have_their_documents_and_some_do_not(seeded):
    documents = Document.objects.filter(household__project=seeded)
    assert documents.filter(content_type="application/pdf", kind="agreement").exists()
    assert documents.filter(content_type="image/png").exists()
    with_documents = set(documents.values_list("household_id", flat=True))
    assert 0 < len(with_documents) < HOUSEHOLDS
    document = documents.first()
    assert document.size > 0 and len(document.sha256) == 64
    assert document.uploaded_by.username in ("clerk", "clerk2")
    with document.file.open("rb") as stored:
        assert stored.read(4) in (b"%PDF", b"\x89PNG")


def test_seed_creates_the_demo_users_it_needs(seeded):
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert usernames >= {"clerk", "clerk2", "reviewer", "reviewer2", "leader"}


def test_the_demo_clerk_of_one_project_sees_only_that_project(seeded):
    users = get_user_model().objects
    scoped = access.visible_projects(users.get(username="clerk2011"))
    assert list(scoped.values_list("code", flat=True)) == ["YH2011"]
    district = access.visible_projects(users.get(username="clerk"))
    assert set(district.values_list("code", flat=True)) == {"YH2011", "YH2013"}


def test_the_summary_names_statuses_and_failures_per_rule(demo_database):
    assert f"households {HOUSEHOLDS}" in demo_database
    for code, label in qualification.REASON_LABELS.items():
        assert code in demo_database and label in demo_database
    assert "已审批" in demo_database and "YH2011" in demo_database
