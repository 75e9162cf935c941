"""Qualification rules (DESIGN §2.2): each rule passing and failing, at its boundary dates.

The project used throughout has its hukou cut-off on 30 June 2013 and its natural-growth
deadline on 31 December 2013; both dates are inclusive.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from households import qualification
from households.models import HouseholdStatus, HousingWelfare, HukouNature, ReviewStatus
from households.qualification import (
    GROWTH_AFTER_DEADLINE,
    HOUSING_WELFARE_ENJOYED,
    HUKOU_AFTER_CUTOFF,
    HUKOU_MOVED_OUT,
    HUKOU_NATURE_INELIGIBLE,
    RESETTLED_ELSEWHERE,
    MemberFacts,
)
from households.services import members, review, verdicts
from households.validation import clean_member
from resettlement.errors import RuleViolation
from tests.households.factories import (
    ProjectFactory,
    VillagerGroupFactory,
    hand_in_documents,
    id_number,
    member_data,
)

CUTOFF = dt.date(2013, 6, 30)
GROWTH_DEADLINE = dt.date(2013, 12, 31)
ONE_DAY = dt.timedelta(days=1)


@pytest.fixture
def policy():
    """A project's policy, unsaved: the rules read it and nothing else."""
    return ProjectFactory.build(
        code="NGH2013",
        hukou_cutoff_date=CUTOFF,
        growth_deadline=GROWTH_DEADLINE,
        agricultural_eligible=True,
        non_agricultural_eligible=False,
        resident_eligible=True,
    )


def facts(**overrides) -> MemberFacts:
    """A villager born here in 1970, hukou never moved, no housing welfare."""
    values = {
        "birth_date": dt.date(1970, 3, 15),
        "hukou_nature": HukouNature.AGRICULTURAL,
        "hukou_moved_in": None,
        "hukou_moved_out": None,
        "special_status": "none",
        "housing_welfare": HousingWelfare.NONE,
    }
    values.update(overrides)
    return MemberFacts(**values)


def failures(policy, **overrides) -> list[str]:
    return qualification.evaluate(facts(**overrides), policy).failed_codes


def check(policy, rule: str, **overrides) -> qualification.Check:
    verdict = qualification.evaluate(facts(**overrides), policy)
    return next(c for c in verdict.checks if c.rule == rule)


def test_a_villager_born_here_who_never_left_qualifies_on_every_rule(policy):
    verdict = qualification.evaluate(facts(), policy)
    assert verdict.qualified
    assert [c.rule for c in verdict.checks] == [
        "hukou_arrival",
        "not_moved_out",
        "hukou_nature",
        "housing_welfare",
        "resettled_elsewhere",
    ]
    assert all(c.passed and c.code == "" and c.evidence for c in verdict.checks)
    assert verdict.failures_field() == ""


# Hukou arrival (户口迁入) and the cut-off date (户口截止日)


def test_moving_in_on_the_cutoff_date_qualifies(policy):
    assert failures(policy, hukou_moved_in=CUTOFF) == []


def test_moving_in_one_day_after_the_cutoff_fails(policy):
    assert failures(policy, hukou_moved_in=CUTOFF + ONE_DAY) == [HUKOU_AFTER_CUTOFF]


def test_the_evidence_names_the_arrival_and_the_cutoff(policy):
    evidence = check(policy, "hukou_arrival", hukou_moved_in=CUTOFF + ONE_DAY).evidence
    assert "2013-07-01" in evidence
    assert "2013-06-30" in evidence


def test_being_born_here_on_the_cutoff_date_qualifies_without_any_special_status(policy):
    assert failures(policy, birth_date=CUTOFF) == []


def test_a_child_born_after_the_cutoff_but_not_marked_newborn_fails(policy):
    assert failures(policy, birth_date=CUTOFF + ONE_DAY) == [HUKOU_AFTER_CUTOFF]


def test_a_relative_moving_in_after_the_cutoff_is_not_natural_growth(policy):
    assert failures(policy, hukou_moved_in=dt.date(2013, 9, 1), special_status="none") == [
        HUKOU_AFTER_CUTOFF
    ]


@pytest.mark.parametrize("status", ["student_away", "serviceman_away"])
def test_temporary_absence_does_not_excuse_arriving_after_the_cutoff(policy, status):
    assert failures(policy, hukou_moved_in=CUTOFF + ONE_DAY, special_status=status) == [
        HUKOU_AFTER_CUTOFF
    ]


# Natural growth (自然增长): births and marriages up to the growth deadline


def test_a_newborn_born_on_the_growth_deadline_qualifies_as_natural_growth(policy):
    arrival = check(policy, "hukou_arrival", birth_date=GROWTH_DEADLINE, special_status="newborn")
    assert arrival.passed
    assert "自然增长" in arrival.evidence


def test_a_newborn_born_one_day_after_the_growth_deadline_fails(policy):
    assert failures(policy, birth_date=GROWTH_DEADLINE + ONE_DAY, special_status="newborn") == [
        GROWTH_AFTER_DEADLINE
    ]


def test_a_newborn_born_the_day_after_the_cutoff_qualifies_as_natural_growth(policy):
    assert failures(policy, birth_date=CUTOFF + ONE_DAY, special_status="newborn") == []


def test_a_new_spouse_moving_in_after_the_cutoff_but_by_the_deadline_qualifies(policy):
    assert failures(policy, hukou_moved_in=dt.date(2013, 10, 1), special_status="new_spouse") == []


def test_a_new_spouse_moving_in_on_the_growth_deadline_qualifies(policy):
    assert failures(policy, hukou_moved_in=GROWTH_DEADLINE, special_status="new_spouse") == []


def test_a_new_spouse_moving_in_one_day_after_the_growth_deadline_fails(policy):
    assert failures(
        policy, hukou_moved_in=GROWTH_DEADLINE + ONE_DAY, special_status="new_spouse"
    ) == [GROWTH_AFTER_DEADLINE]


def test_a_new_spouse_who_moved_in_before_the_cutoff_qualifies_like_anyone_else(policy):
    assert failures(policy, hukou_moved_in=dt.date(2010, 5, 1), special_status="new_spouse") == []


# Not moved out (户口未迁出), and temporary absence


def test_a_member_whose_hukou_moved_out_fails(policy):
    assert failures(policy, hukou_moved_out=dt.date(2012, 9, 1)) == [HUKOU_MOVED_OUT]


@pytest.mark.parametrize("status", ["student_away", "serviceman_away"])
def test_a_student_or_serviceman_whose_hukou_is_temporarily_away_passes(policy, status):
    away = check(
        policy, "not_moved_out", hukou_moved_out=dt.date(2012, 9, 1), special_status=status
    )
    assert away.passed
    assert "视为未迁出" in away.evidence


@pytest.mark.parametrize("status", ["newborn", "new_spouse"])
def test_natural_growth_does_not_excuse_a_moved_out_hukou(policy, status):
    # Arrived after the cut-off as natural growth: judged as of the growth deadline.
    assert HUKOU_MOVED_OUT in failures(
        policy,
        hukou_moved_in=CUTOFF + ONE_DAY,
        hukou_moved_out=dt.date(2013, 11, 1),
        special_status=status,
    )


# Moves judged as of the cut-off (docs/qualification.md §2.3)


def test_a_hukou_that_moved_out_and_came_back_before_the_cutoff_is_in_the_village(policy):
    moved = check(
        policy,
        "not_moved_out",
        hukou_moved_out=dt.date(2008, 9, 1),
        hukou_moved_in=dt.date(2012, 7, 1),
    )

    assert moved.passed
    assert "2008-09-01" in moved.evidence and "2012-07-01" in moved.evidence
    # born here: the return is not an arrival after the cut-off
    assert failures(policy, hukou_moved_out=dt.date(2008, 9, 1), hukou_moved_in=CUTOFF) == []


def test_a_hukou_that_came_back_only_after_the_cutoff_was_not_in_the_village(policy):
    assert failures(
        policy, hukou_moved_out=dt.date(2008, 9, 1), hukou_moved_in=CUTOFF + ONE_DAY
    ) == [HUKOU_MOVED_OUT]


def test_a_hukou_moved_out_on_the_cutoff_fails_and_the_day_after_passes(policy):
    assert failures(policy, hukou_moved_out=CUTOFF) == [HUKOU_MOVED_OUT]
    assert failures(policy, hukou_moved_out=CUTOFF + ONE_DAY) == []


def test_a_spouse_who_moved_in_and_out_again_before_the_cutoff_fails(policy):
    assert failures(
        policy, hukou_moved_in=dt.date(2005, 1, 1), hukou_moved_out=dt.date(2010, 1, 1)
    ) == [HUKOU_MOVED_OUT]


# Hukou nature (户口性质): which natures the project resettles


@pytest.mark.parametrize(
    ("nature", "flags", "qualifies"),
    [
        ("agricultural", {"agricultural_eligible": True}, True),
        ("agricultural", {"agricultural_eligible": False}, False),
        ("non_agricultural", {"non_agricultural_eligible": False}, False),
        ("non_agricultural", {"non_agricultural_eligible": True}, True),
        ("resident", {"resident_eligible": True}, True),
        ("resident", {"resident_eligible": False}, False),
    ],
)
def test_hukou_nature_follows_the_projects_flags(policy, nature, flags, qualifies):
    for flag, value in flags.items():
        setattr(policy, flag, value)
    expected = [] if qualifies else [HUKOU_NATURE_INELIGIBLE]
    assert failures(policy, hukou_nature=nature) == expected


def test_the_hukou_nature_evidence_names_the_nature_in_chinese(policy):
    assert "非农业" in check(policy, "hukou_nature", hukou_nature="non_agricultural").evidence


# Earlier housing welfare (住房福利)


@pytest.mark.parametrize(
    "welfare",
    [
        HousingWelfare.PUBLIC_HOUSING,  # 公房分配
        HousingWelfare.HOUSING_REFORM,  # 房改房
        HousingWelfare.AFFORDABLE,  # 经济适用房
        HousingWelfare.LOW_RENT,  # 廉租房
        HousingWelfare.MONETARY_SUBSIDY,  # 货币化分房补贴
    ],
)
def test_any_earlier_housing_welfare_fails(policy, welfare):
    assert failures(policy, housing_welfare=welfare) == [HOUSING_WELFARE_ENJOYED]
    assert str(welfare.label) in check(policy, "housing_welfare", housing_welfare=welfare).evidence


def test_every_kind_of_housing_welfare_is_covered_above():
    assert len(HousingWelfare.values) == 6  # "none" and the five kinds tested above


# Several failures at once


def test_every_failed_rule_is_reported_not_just_the_first(policy):
    verdict = qualification.evaluate(
        facts(
            hukou_moved_in=CUTOFF + ONE_DAY,
            hukou_moved_out=dt.date(2013, 9, 1),
            hukou_nature="non_agricultural",
            housing_welfare="low_rent",
        ),
        policy,
        resettled_in=("P-OTHER",),
    )
    assert not verdict.qualified
    assert verdict.failed_codes == [
        HUKOU_AFTER_CUTOFF,
        HUKOU_MOVED_OUT,
        HUKOU_NATURE_INELIGIBLE,
        HOUSING_WELFARE_ENJOYED,
        RESETTLED_ELSEWHERE,
    ]
    assert verdict.failures_field() == (
        ",HUKOU_AFTER_CUTOFF,HUKOU_MOVED_OUT,HUKOU_NATURE_INELIGIBLE,"
        "HOUSING_WELFARE_ENJOYED,RESETTLED_ELSEWHERE,"
    )


def test_every_reason_code_has_a_chinese_label():
    assert set(qualification.REASON_LABELS) == {
        HUKOU_AFTER_CUTOFF,
        GROWTH_AFTER_DEADLINE,
        HUKOU_MOVED_OUT,
        HUKOU_NATURE_INELIGIBLE,
        HOUSING_WELFARE_ENJOYED,
        RESETTLED_ELSEWHERE,
    }


# Verdicts stored at registration, where "today" matters


def test_registration_stores_the_verdict_and_its_evidence_on_the_member(register):
    household = register(members=[member_data(hukou_moved_in=CUTOFF + ONE_DAY)])
    head = household.members.get()
    assert head.verdict_qualified is False
    assert head.verdict_failures == ",HUKOU_AFTER_CUTOFF,"
    arrival = next(c for c in head.verdict_checks if c["rule"] == "hukou_arrival")
    assert arrival["code"] == HUKOU_AFTER_CUTOFF
    assert "2013-07-01" in arrival["evidence"]


@time_machine.travel(dt.datetime(2013, 12, 31, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_a_baby_born_this_morning_on_the_growth_deadline_is_registered_as_qualified(register):
    household = register(
        members=[
            member_data(),
            member_data(
                relation="child",
                name="张小宝",
                birth_date=GROWTH_DEADLINE,
                marital_status="unmarried",
                special_status="newborn",
            ),
        ]
    )
    baby = household.members.get(name="张小宝")
    assert baby.verdict_qualified
    assert baby.verdict_failures == ""


@time_machine.travel(dt.datetime(2014, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_a_baby_born_on_new_years_day_after_the_deadline_is_flagged(register):
    household = register(
        members=[
            member_data(),
            member_data(
                relation="child",
                name="张小宝",
                birth_date=GROWTH_DEADLINE + ONE_DAY,
                marital_status="unmarried",
                special_status="newborn",
            ),
        ]
    )
    assert household.members.get(name="张小宝").verdict_failures == ",GROWTH_AFTER_DEADLINE,"


@time_machine.travel(dt.datetime(2013, 12, 31, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_a_birth_date_after_today_is_refused_at_registration(register):
    with pytest.raises(RuleViolation) as error:
        register(
            members=[
                member_data(),
                member_data(
                    relation="child",
                    birth_date=GROWTH_DEADLINE + ONE_DAY,
                    marital_status="unmarried",
                    special_status="newborn",
                ),
            ]
        )
    # the ID number carries the same future birth date, and is refused for it too
    assert {(d["member"], d["field"]) for d in error.value.details} == {
        (1, "birth_date"),
        (1, "id_number"),
    }


# Resettled elsewhere (已在其他项目安置): the same ID number approved in another project


@pytest.fixture
def project_a_group(db):
    return VillagerGroupFactory(community__project__code="A2013")


@pytest.fixture
def project_b_group(db):
    return VillagerGroupFactory(community__project__code="B2015")


@pytest.fixture
def person():
    """One villager, as entered in any project."""
    birth = dt.date(1970, 3, 15)
    number = id_number(birth)
    return lambda: member_data(name="王五", id_number=number, birth_date=birth)


def test_a_person_approved_in_another_project_is_flagged_at_registration(
    register_in, approve, project_a_group, project_b_group, person
):
    approve(register_in(project_a_group, members=[person()]))

    again = register_in(project_b_group, members=[person()]).members.get()

    assert again.verdict_failures == ",RESETTLED_ELSEWHERE,"
    resettled = next(c for c in again.verdict_checks if c["rule"] == "resettled_elsewhere")
    assert "A2013" in resettled["evidence"]


def test_a_person_still_under_review_in_another_project_is_not_flagged(
    register_in, pass_all, project_a_group, project_b_group, person
):
    pass_all(register_in(project_a_group, members=[person()]))  # reviewed, not yet approved

    again = register_in(project_b_group, members=[person()]).members.get()

    assert again.verdict_qualified


def test_a_person_rejected_in_an_approved_household_elsewhere_is_not_flagged(
    register_in, reviewer, leader, project_a_group, project_b_group, person
):
    household = register_in(
        project_a_group, members=[member_data(), person() | {"relation": "child"}]
    )
    head, wang = household.members.order_by("id")
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    review.member_review(
        actor=reviewer, member=wang, decision=ReviewStatus.REJECTED, reason="户口已迁往外地"
    )
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)

    again = register_in(project_b_group, members=[person()]).members.get()

    assert again.verdict_qualified


def test_approving_in_one_project_flags_the_same_person_pending_in_another(
    register_in, approve, project_a_group, project_b_group, person
):
    waiting = register_in(project_b_group, members=[person()]).members.get()
    assert waiting.verdict_qualified

    approve(register_in(project_a_group, members=[person()]))

    waiting.refresh_from_db()
    assert waiting.verdict_failures == ",RESETTLED_ELSEWHERE,"
    assert waiting.review_status == ReviewStatus.PENDING
    assert waiting.history.first().history_change_reason == "已在其他项目安置,重新判定"


def test_a_pass_given_before_the_person_was_resettled_elsewhere_goes_back_to_review(
    register_in, pass_all, approve, leader, project_a_group, project_b_group, person
):
    # Project B's reviewer passed the person while the verdict was clean; then project A
    # approved the same person. B's leader must not be able to approve on the stale pass.
    in_b = pass_all(register_in(project_b_group, members=[person()]))
    assert in_b.status == HouseholdStatus.REVIEWED

    approve(register_in(project_a_group, members=[person()]))

    in_b.refresh_from_db()
    member_in_b = in_b.members.get()
    assert member_in_b.verdict_failures == ",RESETTLED_ELSEWHERE,"
    assert member_in_b.review_status == ReviewStatus.PENDING
    assert member_in_b.reviewed_by is None
    assert in_b.status == HouseholdStatus.REGISTERED
    assert "A2013" in in_b.history.first().history_change_reason
    with pytest.raises(RuleViolation) as error:
        review.household_approve(actor=leader, household=in_b)
    assert error.value.code == "not_reviewed"


def test_a_person_approved_in_one_project_cannot_be_approved_in_another(
    register_in, approve, pass_all, leader, project_a_group, project_b_group, person
):
    first = approve(register_in(project_a_group, members=[person()]))
    # B's reviewer overrides the RESETTLED_ELSEWHERE flag; B's leader must still be refused.
    second = pass_all(register_in(project_b_group, members=[person()]))

    with pytest.raises(RuleViolation) as error:
        review.household_approve(actor=leader, household=second)

    assert error.value.code == "resettled_elsewhere"
    assert second.code in error.value.message and "A2013" in error.value.message
    first.refresh_from_db()
    assert first.status == HouseholdStatus.APPROVED


def test_sending_back_the_first_approval_clears_the_flag_in_the_other_project(
    register_in, approve, leader, project_a_group, project_b_group, person
):
    first = approve(register_in(project_a_group, members=[person()]))
    waiting = register_in(project_b_group, members=[person()]).members.get()
    assert waiting.verdict_failures == ",RESETTLED_ELSEWHERE,"

    review.household_send_back(actor=leader, household=first, reason="异议成立,重新审核")

    waiting.refresh_from_db()
    assert waiting.verdict_qualified
    assert waiting.history.first().history_change_reason == "其他项目的安置已撤回,重新判定"
    # and now B may take the person through to approval
    approve(waiting.household)
    waiting.household.refresh_from_db()
    assert waiting.household.status == HouseholdStatus.APPROVED


def test_removing_the_person_from_the_approved_household_clears_the_flag_elsewhere(
    register_in, approve, other_clerk, project_a_group, project_b_group, person
):
    first = approve(
        register_in(project_a_group, members=[member_data(), person() | {"relation": "child"}])
    )
    waiting = register_in(project_b_group, members=[person()]).members.get()
    assert not waiting.verdict_qualified

    members.member_remove(
        actor=other_clerk, member=first.members.get(name="王五"), reason="户口已迁出"
    )

    waiting.refresh_from_db()
    assert waiting.verdict_qualified


# A policy change recomputes verdicts that are still open


def test_recomputing_after_a_policy_change_updates_open_verdicts_only(
    register, approve, project, leader
):
    project.non_agricultural_eligible = False
    project.save()
    open_case = register(members=[member_data(hukou_nature="non_agricultural")])
    closed_case = approve(register(members=[member_data(hukou_nature="non_agricultural")]))
    assert open_case.members.get().verdict_failures == ",HUKOU_NATURE_INELIGIBLE,"

    project.non_agricultural_eligible = True
    project.save()
    recomputed = verdicts.project_recompute_verdicts(project=project)

    assert recomputed == 1
    assert open_case.members.get().verdict_qualified
    assert closed_case.members.get().verdict_failures == ",HUKOU_NATURE_INELIGIBLE,"


def test_a_pass_the_new_policy_contradicts_goes_back_to_review(register, pass_all, leader, project):
    household = pass_all(register(members=[member_data(hukou_nature="resident")]))
    assert household.status == HouseholdStatus.REVIEWED

    project.resident_eligible = False
    project.save()
    verdicts.project_recompute_verdicts(project=project)

    household.refresh_from_db()
    member = household.members.get()
    assert member.verdict_failures == ",HUKOU_NATURE_INELIGIBLE,"
    assert member.review_status == ReviewStatus.PENDING
    assert "政策调整" in member.history.first().history_change_reason
    assert household.status == HouseholdStatus.REGISTERED
    with pytest.raises(RuleViolation) as error:
        review.household_approve(actor=leader, household=household)
    assert error.value.code == "not_reviewed"


def test_an_override_with_a_written_reason_survives_a_policy_change(register, pass_all, project):
    household = pass_all(register(members=[member_data(hukou_moved_in=CUTOFF + ONE_DAY)]))
    project.resident_eligible = False
    project.save()

    verdicts.project_recompute_verdicts(project=project)

    member = household.members.get()
    assert (member.review_status, member.review_overridden) == (ReviewStatus.PASSED, True)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_a_pass_the_reviewer_explained_in_writing_survives_a_policy_change(
    register, reviewer, project
):
    household = register(members=[member_data(hukou_nature="resident")])
    review.member_review(
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.PASSED,
        reason="居民户口系村集体经济组织成员,经村民代表会议确认",
    )
    project.resident_eligible = False
    project.save()

    verdicts.project_recompute_verdicts(project=project)

    member = household.members.get()
    assert member.verdict_failures == ",HUKOU_NATURE_INELIGIBLE,"
    assert member.review_status == ReviewStatus.PASSED
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_an_override_stays_when_the_policy_agrees_and_then_disagrees_again(
    register, pass_all, project
):
    household = pass_all(register(members=[member_data(hukou_nature="resident")]))
    project.resident_eligible = False
    project.save()
    verdicts.project_recompute_verdicts(project=project)  # plain pass withdrawn
    household = pass_all(household)  # passed again, now an override with a reason
    project.resident_eligible = True
    project.save()
    verdicts.project_recompute_verdicts(project=project)
    project.resident_eligible = False
    project.save()

    verdicts.project_recompute_verdicts(project=project)

    assert household.members.get().review_status == ReviewStatus.PASSED


# Recording the moves (households.validation.clean_member)


def test_a_moved_out_date_before_the_moved_in_date_is_recorded_as_a_return():
    data, errors = clean_member(
        member_data(hukou_moved_out=dt.date(2008, 9, 1), hukou_moved_in=dt.date(2012, 7, 1))
    )

    assert errors == []
    assert (data["hukou_moved_out"], data["hukou_moved_in"]) == (
        dt.date(2008, 9, 1),
        dt.date(2012, 7, 1),
    )


def test_a_moved_out_date_before_the_members_birth_is_refused():
    _, errors = clean_member(
        member_data(birth_date=dt.date(1990, 5, 1), hukou_moved_out=dt.date(1989, 1, 1))
    )

    assert [(e.field, str(e.message)) for e in errors] == [
        ("hukou_moved_out", "户口迁出日期不能早于出生日期")
    ]
