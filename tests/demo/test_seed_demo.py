"""`manage.py seed_demo` (the demo app): what it builds, stage by stage, checked on one demo
database seeded once for the class (and rolled back after it), and the command's own
behaviour: idempotent with --if-empty, deterministic per seed, all-or-nothing whichever stage
fails, only for local demos, and a plan where an approved household has nobody qualified."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from allocation.models import Apartment, ApartmentStatus, AreaFit, Demand, DemandStatus
from demo import dates as demo_dates
from demo import households as demo_households
from demo import plan as demo_plan
from demo.lottery import hall_users
from demo.money_publicity import MONEY_KINDS
from demo.settlement import settlement_users
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
from households.services import review
from households.stages import Stage, stages_of
from lottery import merkle
from lottery.models import Allocation, CheckIn, LotterySession, SessionStatus
from lottery.selectors.receipts import household_receipt, session_merkle_root
from lottery.selectors.sessions import held_back_by_publicity
from lottery.verification import bundle_of, verify_bundle
from oversight.models import HouseholdAssignment, LedgerEntry, LedgerRun, ReturnPlan, WorkingTeam
from oversight.selectors.dashboard import project_progress
from publicity.models import (
    Objection,
    ObjectionStatus,
    Publication,
    PublicationStatus,
    RenderJob,
    RenderPart,
    RenderStatus,
)
from publicity.pdf.rosters import roster_communities
from publicity.selectors.drafts import drafts_awaiting_publisher
from publicity.selectors.objections import overdue_objections
from publicity.selectors.overview import project_overview
from publicity.services import objections as publicity_objections
from publicity.services.notices import notices_part_render
from publicity.services.rendering import roster_part_render
from publicity.snapshot import content_hash, hashed_document
from resettlement import periods
from settlement.models import (
    Adjustment,
    Agreement,
    DefectStatus,
    DefectTicket,
    Handover,
    Outcome,
    Payment,
    PaymentDirection,
    PriceRules,
    Statement,
    StatementCorrection,
    StatementStatus,
    Transition,
)
from settlement.selectors.groups import group_settlement
from tests.demo.seeding import HOUSEHOLDS, SEED, demo_settings, seed

# -- the command --------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    media = tmp_path / "media"
    for name, value in demo_settings(media).items():
        setattr(settings, name, value)
    return media


def roster() -> list[tuple[str, list[str]]]:
    return [
        (household.code, [m.name for m in household.members.order_by("id")])
        for household in Household.objects.filter(project__code="YH2013").order_by("code")
    ]


# The compensation results list each household's statement, whose apartment lines come
# from the lottery's draw: the draw's randomness is the notary's, not the demo seed's.
DRAWN_KINDS = ("compensation_results",)


def publicity() -> tuple[list, list]:
    publications = list(
        Publication.objects.exclude(kind__in=DRAWN_KINDS)
        .order_by("project__code", "kind", "version", "community__code", "status", "content_hash")
        .values_list("kind", "version", "status", "content_hash")
    )
    objections = list(
        Objection.objects.order_by("publication__kind", "household_code", "text").values_list(
            "publication__kind", "household_code", "status", "upheld", "text", "answer"
        )
    )
    return publications, objections


def test_if_empty_does_nothing_the_second_time(db, media):
    seed("--if-empty")
    before = (Household.objects.count(), Member.objects.count(), Document.objects.count())
    output = seed("--if-empty")
    assert "nothing to do" in output
    assert (Household.objects.count(), Member.objects.count(), Document.objects.count()) == before
    assert Project.objects.count() == 2


def test_seeding_an_existing_project_without_if_empty_fails_clearly(db, media):
    seed()
    with pytest.raises(CommandError, match="already exist"):
        seed()


def test_same_seed_gives_the_same_codes_names_publications_and_objections(db, media):
    # The first run is rolled back rather than deleted: published publicity (seed_demo's
    # second stage) can never be deleted.
    with transaction.atomic():
        seed()
        first = roster()
        first_publicity = publicity()
        transaction.set_rollback(True)
    assert len(first) == HOUSEHOLDS
    assert not Project.objects.exists()
    seed()
    assert roster() == first
    assert publicity() == first_publicity
    # YH2011's two rosters; YH2013's three, two corrected, one supplementary roster
    # published and one drafted; its rewards and progress boards (issue 14).
    assert len(first_publicity[0]) == 11 and len(first_publicity[1]) == 5


def test_a_different_seed_gives_different_people():
    plan_a = demo_plan.plan_demo(households=HOUSEHOLDS, seed=SEED)
    plan_b = demo_plan.plan_demo(households=HOUSEHOLDS, seed=SEED + 1)
    names = [[p.name for p in h.members] for h in plan_a.main.households]
    assert names != [[p.name for p in h.members] for h in plan_b.main.households]


def test_refused_when_debug_is_off(db, media, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local demos only"):
        seed()
    assert not Project.objects.exists()


def fail_at_the_fifth_approval(monkeypatch) -> None:
    """The registry stage fails half way (the demo leader approves through the households
    services)."""
    approvals = []
    real_approve = review.household_approve

    def approve_then_fail(**kwargs):
        approvals.append(kwargs["household"].code)
        if len(approvals) == 5:
            raise RuntimeError("the database went away")
        return real_approve(**kwargs)

    monkeypatch.setattr(review, "household_approve", approve_then_fail)


def fail_answering_objections(monkeypatch) -> None:
    """The publicity stage fails (its objections are answered through the services)."""

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(publicity_objections, "objection_answer", fail)


@pytest.mark.parametrize(
    "break_a_stage",
    [fail_at_the_fifth_approval, fail_answering_objections],
    ids=["registry", "publicity"],
)
def test_a_seed_that_fails_in_any_stage_leaves_no_rows_and_no_files(
    db, media, monkeypatch, break_a_stage
):
    break_a_stage(monkeypatch)
    with pytest.raises(RuntimeError):
        seed()
    assert not Project.objects.exists()
    assert not Household.objects.exists()
    assert not Publication.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_each_stage_names_the_demo_users_that_are_not_ready(db, media):
    call_command("create_demo_users", stdout=io.StringIO())
    users = get_user_model().objects
    users.filter(username="notary").delete()
    operator = users.get(username="operator")
    operator.groups.clear()
    operator.user_permissions.clear()
    users.filter(username="finance").update(is_active=False)

    with pytest.raises(demo_households.DemoUsersMissing) as hall:
        hall_users({})
    assert "operator lacks lottery.operate_session" in str(hall.value)
    assert "notary does not exist" in str(hall.value)
    with pytest.raises(demo_households.DemoUsersMissing) as money:
        settlement_users({})
    assert "finance lacks settlement.compute_statement" in str(money.value)
    # the registry's are ready
    assert set(demo_households.demo_actors()) == set(demo_households.DEMO_ACTORS)
    users.filter(username="finance").update(is_active=True)
    ready = settlement_users({"kept": None})
    assert {"kept", "finance", "leader2", "reviewer2"} <= set(ready)  # the approvers come too


# The smallest demo found whose plan approves a household where nobody qualified
# (ZQ-04-001: every member fails a rule). If the plan changes, `get` below says so.
NOBODY_QUALIFIED_HOUSEHOLDS, NOBODY_QUALIFIED_SEED = 12, 1


def test_a_household_where_nobody_qualified_is_not_drawn_and_is_paid_instead(db, tmp_path):
    """An approved household with nobody qualified (population 0, 0.00 ㎡, as
    docs/qualification.md allows) has nothing to choose, the lottery goes ahead without it,
    and settlement resettles it with money."""
    with override_settings(**demo_settings(tmp_path)):
        call_command(
            "seed_demo",
            "--households",
            str(NOBODY_QUALIFIED_HOUSEHOLDS),
            "--seed",
            str(NOBODY_QUALIFIED_SEED),
            stdout=io.StringIO(),
        )

    nobody = Household.objects.get(
        project__code="YH2013", status=HouseholdStatus.APPROVED, resettlement_population=0
    )
    assert nobody.entitlement_area == 0
    assert not Demand.objects.filter(household=nobody).exists()
    binding = LotterySession.objects.filter(project__code="YH2013", rehearsal=False)
    assert binding and all(s.status == SessionStatus.SIGNED for s in binding)
    codes = [p["code"] for s in binding for p in s.participants]
    assert codes and nobody.code not in codes
    assert Statement.objects.get(household=nobody).outcome == Outcome.MONETISED


# -- what it builds: one demo database for the class ----------------------------------------


@pytest.fixture(scope="class")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        output = seed()
        yield output
        transaction.set_rollback(True)  # leave the database empty for the next tests


@pytest.fixture
def main(demo_output, db) -> Project:
    return Project.objects.get(code="YH2013")


@pytest.fixture
def session(demo_output, db) -> LotterySession:
    return LotterySession.objects.get(code="YH2013-01")


@pytest.fixture
def v2_session(demo_output, db) -> LotterySession:
    return LotterySession.objects.get(code="YH2013-01B")


@pytest.fixture
def settled_group(main) -> VillagerGroup:
    # YH2013's one settled group (YH2011, the ticket project, is settled by its tickets).
    groups = VillagerGroup.objects.filter(project=main)
    settled = [g for g in groups if group_settlement(g).settled]
    assert len(settled) == 1
    return settled[0]


def publications(project: Project, kind: str) -> list[Publication]:
    """The project-wide versions of a roster (not a community's supplementary roster)."""
    return list(
        Publication.objects.filter(project=project, kind=kind, community=None).order_by("version")
    )


# What the command prints, stage by stage.
SUMMARY_LINES = [
    f"households {HOUSEHOLDS}",
    *[part for code, label in qualification.REASON_LABELS.items() for part in (code, label)],
    "已审批",
    "YH2011",
    "YH2013 publicity",
    "objections 5: answered 3 (upheld 1), open 2",
    "YH2013 housing and lottery",
    "estate E1:",
    "session YH2013-01: signed",
    "session YH2013-01B: signed, rs-lottery-v2",
    "result notices (分房结果通知书) started: YH2013-01 ",
    "session YH2013-02 refused:",
    "roster PDFs:",
    "rehearsal YH2013-R1: signed",
    "YH2013 settlement and handover",
]


class TestWhatItBuilds:
    """Every test here reads the one demo database (`demo_output`); those that change it do
    so inside their own rolled-back transaction (`db`)."""

    @pytest.mark.parametrize("line", SUMMARY_LINES)
    def test_the_summary_names_each_stage_s_results(self, demo_output, db, line):
        assert line in demo_output

    # -- the registry: projects, households, members, review, documents, users --
    def test_seed_builds_twelve_communities_with_groups_and_households_of_one_to_seven(self, main):
        assert main.name == "余杭经济技术开发区农民多高层公寓安置"
        communities = Community.objects.filter(project=main)
        assert communities.count() == 12
        assert set(communities.values_list("name", flat=True)) >= {"南宫河社区", "上湾桥社区"}
        assert all(c.groups.count() >= 4 for c in communities)
        assert VillagerGroup.objects.filter(project=main, name="第一村民小组").count() == 12
        households = Household.objects.filter(project=main).annotate(size=Count("members"))
        assert households.count() == HOUSEHOLDS
        sizes = {h.size for h in households}
        assert sizes <= set(range(1, 8)) and len(sizes) >= 4
        assert all(h.address and h.phone and h.agreement_number for h in households)
        assert all(h.demolished_area > 0 for h in households)

    def test_every_id_number_is_valid_and_unique_per_project(self, main):
        for project in Project.objects.all():
            numbers = list(
                Member.objects.filter(project=project).values_list("id_number", flat=True)
            )
            assert len(numbers) == len(set(numbers))
            for member in Member.objects.filter(project=project):
                parsed = idnumbers.parse(member.id_number)
                assert (parsed.birth_date, parsed.sex) == (member.birth_date, member.sex)
                assert member.id_number.startswith("33")  # Zhejiang

    def test_families_share_the_heads_surname_and_ages_fit_relations(self, main):
        for household in Household.objects.filter(project=main).prefetch_related("members"):
            members = list(household.members.all())
            head = next(m for m in members if m.relation == Relation.HEAD)
            for member in members:
                if member.relation in (Relation.CHILD, Relation.GRANDCHILD, Relation.SIBLING):
                    assert member.name[0] == head.name[0], (household.code, member.name)
                if member.relation in (Relation.CHILD, Relation.GRANDCHILD):
                    assert member.birth_date > head.birth_date, (household.code, member.name)
                if member.relation == Relation.PARENT:
                    assert member.birth_date < head.birth_date, (household.code, member.name)

    def test_every_reason_code_has_members_failing_it(self, main):
        members = Member.objects.filter(project=main)
        for code in qualification.REASON_LABELS:
            assert members.filter(verdict_failures__contains=f",{code},").exists(), code
        # Natural growth within the deadline and students or servicemen away still qualify.
        growth = members.filter(
            special_status__in=["newborn", "new_spouse"], verdict_qualified=True
        )
        assert growth.exists()
        away = members.filter(special_status__in=["student_away", "serviceman_away"])
        assert away.exists() and all(m.verdict_qualified for m in away)
        assert members.filter(one_child_certificate=True).exists()

    def test_people_resettled_in_the_earlier_project_fail_in_the_new_one(self, main):
        earlier = Project.objects.get(code="YH2011")
        assert Household.objects.filter(project=earlier, status=HouseholdStatus.APPROVED).exists()
        flagged = Member.objects.filter(
            project=main, verdict_failures__contains=",RESETTLED_ELSEWHERE,"
        )
        for member in flagged:
            assert Member.objects.filter(
                project=earlier,
                id_number=member.id_number,
                name=member.name,
                review_status=ReviewStatus.PASSED,
                household__status=HouseholdStatus.APPROVED,
            ).exists()

    def test_reviewers_and_approvers_are_never_the_registrars(self, main):
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

    def test_rejections_and_overrides_carry_a_written_reason(self, main):
        members = Member.objects.filter(project=main)
        rejected = members.filter(review_status=ReviewStatus.REJECTED)
        assert rejected.exists()
        assert all(m.review_reason.strip() for m in rejected)
        # A rejection of a member the rules failed quotes the rules' evidence.
        failed = rejected.filter(verdict_qualified=False, review_overridden=False).first()
        evidence = [c["evidence"] for c in failed.verdict_checks if not c["passed"]]
        assert evidence[0] in failed.review_reason
        overridden = members.filter(review_overridden=True)
        assert overridden.filter(
            review_status=ReviewStatus.PASSED, verdict_qualified=False
        ).exists()
        assert overridden.filter(
            review_status=ReviewStatus.REJECTED, verdict_qualified=True
        ).exists()
        assert all(m.review_reason.strip() for m in overridden)

    def test_queue_has_work_and_approved_households_have_entitlements(self, main):
        households = Household.objects.filter(project=main)
        by_status = dict(households.values_list("status").annotate(n=Count("id")).order_by())
        assert by_status.get(HouseholdStatus.REGISTERED, 0) > 0
        assert by_status.get(HouseholdStatus.REVIEWED, 0) > 0
        assert by_status.get(HouseholdStatus.APPROVED, 0) > 0
        assert Member.objects.filter(project=main, review_status=ReviewStatus.PENDING).exists()
        for household in households.filter(status=HouseholdStatus.APPROVED):
            passed = household.members.filter(review_status=ReviewStatus.PASSED).count()
            assert household.resettlement_population == passed
            assert household.entitlement_area >= passed * main.area_per_person
        assert households.filter(status=HouseholdStatus.APPROVED, entitlement_area__gt=0).exists()

    def test_some_households_have_their_documents_and_some_do_not(self, main):
        documents = Document.objects.filter(household__project=main)
        assert documents.filter(content_type="application/pdf", kind="agreement").exists()
        assert documents.filter(content_type="image/png").exists()
        with_documents = set(documents.values_list("household_id", flat=True))
        assert 0 < len(with_documents) < HOUSEHOLDS
        document = documents.first()
        assert document.size > 0 and len(document.sha256) == 64
        assert document.uploaded_by.username in ("clerk", "clerk2")
        with document.file.open("rb") as stored:
            assert stored.read(4) in (b"%PDF", b"\x89PNG")

    def test_seed_creates_the_demo_users_it_needs(self, main):
        usernames = set(get_user_model().objects.values_list("username", flat=True))
        assert usernames >= {"clerk", "clerk2", "reviewer", "reviewer2", "leader"}

    def test_the_demo_clerk_of_one_project_sees_only_that_project(self, main):
        users = get_user_model().objects
        scoped = access.visible_projects(users.get(username="clerk2011"))
        assert list(scoped.values_list("code", flat=True)) == ["YH2011"]
        district = access.visible_projects(users.get(username="clerk"))
        assert set(district.values_list("code", flat=True)) == {"YH2011", "YH2013"}

    # -- publicity: rosters published, objections filed and answered, notices started --

    def test_the_leader_published_registration_results_population_and_entitlement_rosters(
        self, main
    ):
        (registration,) = publications(main, "registration")
        population = publications(main, "population")
        entitlement = publications(main, "entitlement")
        assert registration.status == PublicationStatus.PUBLISHED
        assert registration.row_count == Household.objects.filter(project=main).count()
        assert [p.status for p in population] == [
            PublicationStatus.CLOSED,
            PublicationStatus.PUBLISHED,
        ]
        assert [p.status for p in entitlement] == [
            PublicationStatus.CLOSED,
            PublicationStatus.PUBLISHED,
        ]
        published = (
            Publication.objects.filter(project=main, community__isnull=True)
            .exclude(status=PublicationStatus.DRAFT)
            .exclude(kind__in=MONEY_KINDS)  # published after settlement: still open
        )
        for publication in published:
            # four-eyes: one leader drafts, the other publishes
            assert publication.created_by.username == "leader2"
            assert publication.published_by.username == "leader"
            # the periods have ended before the lottery day (lottery.gates)
            assert publication.ends_on < periods.today()
            assert publication.content_hash == content_hash(hashed_document(publication))
        assert (entitlement[0].ends_on - entitlement[0].starts_on).days == 30 - 1
        assert (population[1].ends_on - population[1].starts_on).days == 7 - 1

    def test_published_rows_are_masked(self, main):
        population = publications(main, "population")[-1]
        text = str(population.rows)
        for member in Member.objects.filter(project=main)[:50]:
            assert member.id_number not in text
        assert population.row_count == len(population.rows) > 0

    def test_objections_were_filed_and_answered_by_the_demo_reviewer_and_leader(self, main):
        objections = Objection.objects.filter(publication__project=main)
        answered = objections.filter(status=ObjectionStatus.ANSWERED)
        assert objections.count() == 5
        assert answered.count() == 3
        assert objections.filter(status=ObjectionStatus.OPEN).count() == 2
        assert {o.answered_by.username for o in answered} == {"leader", "reviewer"}
        assert all(o.answer for o in answered)

    def test_the_upheld_objection_was_corrected_in_version_2_of_the_population_roster(self, main):
        (upheld,) = Objection.objects.filter(publication__project=main, upheld=True)
        first, second = publications(main, "population")
        assert upheld.publication == first
        assert second.previous == first
        household = Household.objects.get(project=main, code=upheld.household_code)
        # Sent back, re-reviewed (the contested member passed with a written reason), approved.
        assert household.status == HouseholdStatus.APPROVED
        assert household.approved_at < second.published_at
        corrected = household.members.get(review_reason__startswith="公示异议复核")
        assert corrected.review_status == ReviewStatus.PASSED
        assert second.row_count == first.row_count + 1
        rows_of = [row for row in second.rows if row[0] == household.code]
        assert len(rows_of) == len([row for row in first.rows if row[0] == household.code]) + 1

    def test_the_earlier_project_s_rosters_are_closed(self, demo_output, db):
        earlier = Project.objects.get(code="YH2011")
        statuses = Publication.objects.filter(project=earlier).values_list("kind", "status")
        assert sorted(statuses) == [
            ("entitlement", PublicationStatus.CLOSED),
            ("population", PublicationStatus.CLOSED),
        ]

    def test_publicity_notices_were_started_for_a_villager_group(self, main):
        jobs = RenderJob.objects.filter(project=main, kind=RenderJob.Kind.NOTICES)
        (job,) = jobs.exclude(notice_type="result")  # the result notices: the lottery stage
        assert job.notice_type == "publicity"
        assert job.created_by.username == "clerk"
        # Rendered by Celery after commit; this module's transaction never commits.
        assert [part.status for part in job.parts.all()] == [RenderStatus.QUEUED]

    def test_the_overview_counts_the_published_households(self, main):
        """Every approved household was published, but the one corrected after settlement:
        approved again after the roster, it waits for a new version."""
        totals = project_overview(main).totals
        # All but three approved after every roster: two approved after the lottery day (one
        # waits for its lottery, the family of the other chose money), and the household
        # approved again after its correction after settlement.
        assert totals.published == totals.approved - 3 > 0
        assert totals.objections_open == 2

    def test_the_open_objections_are_past_their_answer_deadline(self, main, client):
        """Filed a few days into the period, months ago, and still unanswered: overdue, as
        the objection list says when the reviewer filters it so."""
        overdue = overdue_objections(Objection.objects.filter(publication__project=main))
        assert overdue.count() == 2
        assert all(periods.local_date(o.filed_at) < periods.today() for o in overdue)
        client.force_login(get_user_model().objects.get(username="reviewer"))
        page = client.get(reverse("objections:list"), {"project": "YH2013", "overdue": "1"})
        text = page.content.decode()
        assert text.count("已逾期") >= 2
        assert "公示栏上的名单字太小" in text

    def test_a_supplementary_roster_drafted_by_leader2_waits_for_the_leader(self, main):
        """The second household approved late: its roster is a draft, waiting in the
        leader's inbox (four-eyes), never in leader2's own."""
        leader, leader2 = (
            get_user_model().objects.filter(username__in=["leader", "leader2"]).order_by("username")
        )
        (draft,) = drafts_awaiting_publisher(leader).filter(project=main)
        assert draft.kind == "entitlement" and draft.community is not None
        assert "补充公示" in draft.title
        assert draft.created_by == leader2
        assert not drafts_awaiting_publisher(leader2).filter(pk=draft.pk).exists()

    def test_the_open_objections_can_be_answered(self, main):
        objection = Objection.objects.filter(
            publication__project=main, status=ObjectionStatus.OPEN
        ).first()
        reviewer = get_user_model().objects.get(username="reviewer")
        publicity_objections.objection_answer(
            actor=reviewer, objection=objection, answer="已核实。", upheld=False
        )
        objection.refresh_from_db()
        assert objection.status == ObjectionStatus.ANSWERED

    # -- housing and lottery: the estate, locked demands, a signed rehearsal and session --
    def test_every_approved_household_has_a_locked_demand_entered_and_locked_by_two_people(
        self, demo_output, db
    ):
        # Monetised households draw nothing; one switched to cash when overdue (issue 14)
        # drew its apartment first.
        approved = Household.objects.filter(
            project__code="YH2013", status=HouseholdStatus.APPROVED
        ).exclude(Q(statement__outcome=Outcome.MONETISED) & Q(overdue_cash_switch__isnull=True))
        demands = Demand.objects.filter(household__in=approved)
        assert demands.count() == approved.count() > 0
        assert not Demand.objects.exclude(household__in=approved).exists()
        assert all(d.status == DemandStatus.LOCKED for d in demands)
        assert all(d.chosen_by_id != d.locked_by_id for d in demands)
        fits = Counter(demands.values_list("area_fit", flat=True))
        assert fits[AreaFit.OVER] and fits[AreaFit.UNDER]

    def test_the_real_session_is_signed_and_its_bundle_verifies(self, session, tmp_path):
        assert session.status == SessionStatus.SIGNED and session.bundle
        assert verify_bundle(session.bundle) == []
        assert bundle_of(session) == session.bundle
        script = Path(settings.BASE_DIR, "docs", "verify_lottery.py")
        if script.exists():
            path = tmp_path / "bundle.json"
            path.write_text(json.dumps(session.bundle, ensure_ascii=False), encoding="utf-8")
            result = subprocess.run(  # noqa: S603
                [sys.executable, str(script), str(path)], capture_output=True, text=True
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert "VERIFIED" in result.stdout

    def test_every_household_of_the_signed_sessions_has_a_receipt_that_verifies(self, main):
        # Household receipts (docs/lottery.md §17), through the Python verifier.
        sessions = LotterySession.objects.filter(status=SessionStatus.SIGNED, rehearsal=False)
        assert sessions.exists()
        for signed in sessions:
            root = session_merkle_root(signed)
            assert root == signed.bundle["merkle_root"]
            rows = signed.bundle["allocation"]
            drawn = set(
                Allocation.objects.filter(session=signed).values_list("household__code", flat=True)
            )
            assert {row["household"] for row in rows} == drawn
            for row in rows:
                receipt = household_receipt(signed, row["household"])
                parsed = merkle.receipt_parse(receipt.url)
                merkle.receipt_verify(parsed, root=root, rows=len(rows), household=row["household"])
                assert parsed.apartments == row["apartments"]

    def test_each_signed_session_s_result_notices_were_started_for_a_villager_group(self, main):
        """The demo shows result notices (分房结果通知书): a batch for one villager group of
        each binding session, started by the clerk through the service."""
        sessions = LotterySession.objects.filter(status=SessionStatus.SIGNED, rehearsal=False)
        jobs = RenderJob.objects.filter(
            project=main, kind=RenderJob.Kind.NOTICES, notice_type="result"
        ).order_by("pk")
        assert jobs.count() == sessions.count() == 2
        groups = []
        for signed, job in zip(sessions.order_by("pk"), jobs, strict=True):
            assert job.created_by.username == "clerk"
            (part,) = job.parts.all()
            allocated = Allocation.objects.filter(session=signed, binding=True)
            assert allocated.filter(household__group=part.group).exists()
            groups.append(part.group_id)
        assert len(set(groups)) == 2
        # Celery renders the part after commit (this class's transaction never commits): run
        # here, one page per household of the group that the session gave apartments to.
        part = jobs.first().parts.get()
        notices_part_render(part_id=part.pk)
        part.refresh_from_db()
        drawn = (
            Allocation.objects.filter(binding=True, household__group=part.group)
            .values("household")
            .distinct()
            .count()
        )
        assert part.status == RenderStatus.DONE and part.pages == drawn >= 1
        with part.file.open("rb") as pdf:
            assert pdf.read(4) == b"%PDF"

    def test_most_households_checked_in_the_rest_drawn_by_proxy(self, session):
        participants = len(session.participants)
        check_ins = CheckIn.objects.filter(session=session).count()
        assert 0 < check_ins < participants
        proxies = set(
            Allocation.objects.filter(session=session, proxy=True).values_list(
                "household__code", flat=True
            )
        )
        checked = set(
            CheckIn.objects.filter(session=session).values_list("household__code", flat=True)
        )
        assert proxies and not proxies & checked
        assert len(proxies) + len(checked) == participants
        assert session.signed_by.username == "notary" and session.created_by.username == "leader"

    def test_every_demanded_apartment_is_allocated_and_some_are_spare(self, session, v2_session):
        demanded = 0
        for drawn in (session, v2_session):
            wanted = sum(sum(p["demand"].values()) for p in drawn.participants)
            assert Allocation.objects.filter(session=drawn, binding=True).count() == wanted
            demanded += wanted
        assert Apartment.objects.filter(status=ApartmentStatus.ALLOCATED).count() == demanded
        assert Apartment.objects.filter(status=ApartmentStatus.AVAILABLE).exists()
        tiers = set(Apartment.objects.values_list("tier", flat=True))
        assert tiers == {"A", "B", "C"}

    def test_a_second_session_binds_a_public_value_named_in_advance(self, session, v2_session):
        """rs-lottery-v2 (docs/lottery.md §13a): the smallest community is drawn after the
        first session, its commitment naming that evening's 福彩3D draw from the start."""
        assert v2_session.status == SessionStatus.SIGNED and v2_session.algorithm == "rs-lottery-v2"
        assert v2_session.created_at > session.closed_at
        record = v2_session.commitment_record
        assert record["public_source"]["kind"] == "welfare_lottery"
        assert record["public_source"]["game"] == "福彩3D"
        # named before it existed: drawn on the lottery day, not before the session
        created = timezone.localtime(v2_session.created_at).date().isoformat()
        assert record["public_source"]["date"] >= created
        assert v2_session.public_value_at > v2_session.entropy_at
        assert verify_bundle(v2_session.bundle) == []
        first = {p["community"] for p in session.participants}
        second = {p["community"] for p in v2_session.participants}
        assert len(second) == 1 and not first & second

    def test_a_rehearsal_ran_first_and_binds_nothing(self, session):
        rehearsal = LotterySession.objects.get(project__code="YH2013", rehearsal=True)
        assert rehearsal.status == SessionStatus.SIGNED
        assert rehearsal.closed_at < session.created_at
        assert not Allocation.objects.filter(session=rehearsal, binding=True).exists()
        assert Allocation.objects.filter(session=rehearsal).exists()

    # -- oversight: working teams, the return plan, the overdue ledger --
    def test_every_household_has_a_team_and_a_cadre(self, demo_output, db):
        households = Household.objects.filter(project__code="YH2013")
        assert WorkingTeam.objects.filter(project__code="YH2013").count() == 3
        assigned = HouseholdAssignment.objects.filter(household__in=households)
        assert assigned.count() == households.count()
        assert not HouseholdAssignment.objects.filter(cadre__isnull=True).exists()
        for assignment in HouseholdAssignment.objects.select_related("team", "cadre"):
            assert assignment.team.members.filter(pk=assignment.cadre_id).exists()
        assert "3 working teams" in demo_output

    def test_the_dashboard_shows_progress_past_registration(self, demo_output, db):
        from households.models import Project

        totals = project_progress(Project.objects.get(code="YH2013")).totals
        assert totals.registered > totals.qualified > 0
        assert totals.drawn > 0 and totals.signed > 0 and totals.handed_over > 0

    def test_a_return_plan_and_overdue_households_in_the_ledger(self, demo_output, db):
        plan = ReturnPlan.objects.get(project__code="YH2013")
        assert [t.share for t in plan.targets.order_by("year")] == [30, 60, 100]
        overdue = LedgerEntry.objects.filter(project__code="YH2013", months_overdue__gt=0)
        assert overdue.count() == 3
        assert all(e.subsidy_late and e.subsidy_owed > 0 for e in overdue)
        assert LedgerRun.objects.count() == 1
        assert "overdue for return" in demo_output

    # -- settlement and handover: one group through the seven steps, another mid-chain --
    def test_prices_transitions_and_every_approved_household_statement(self, demo_output, db):
        approved = Household.objects.filter(project__code="YH2013", status=HouseholdStatus.APPROVED)
        assert PriceRules.objects.filter(project__code="YH2013").exists()
        # But for the two approved late, whose choice waits for the next lottery session.
        waiting = [h.code for h in held_back_by_publicity(approved.first().project)]
        with_statements = approved.exclude(code__in=waiting)
        assert len(waiting) == 2
        assert Statement.objects.filter(household__in=approved).count() == with_statements.count()
        moved_out = list(Transition.objects.values_list("moved_out_on", flat=True))
        assert len(moved_out) == approved.count()
        assert any(d.month in (11, 12) for d in moved_out)
        kinds = set(Adjustment.objects.values_list("kind", flat=True))
        assert kinds == {"reward", "deduction"}
        assert all(Adjustment.objects.values_list("reason", flat=True))

    def test_one_group_is_settled_through_the_seven_steps_by_seven_people(self, settled_group):
        """A payment goes through the seven steps of seed 003; a collection through the
        first five and "确认收款入账" (no bank payment), each step by another person."""
        summary = group_settlement(settled_group)
        assert len(summary.households) >= 2
        for row in summary.households:
            statement = row.statement
            assert statement.status in (StatementStatus.APPROVED, StatementStatus.SETTLED)
            assert statement.status == StatementStatus.SETTLED
            # The round that approved it (a corrected statement went through a second one).
            approvals = list(
                statement.approvals.filter(round=statement.approval_round).order_by("position")
            )
            positions = [a.position for a in approvals]
            if statement.net < 0:
                assert positions == [1, 2, 3, 4, 5, 8]
                assert approvals[-1].label == "确认收款入账"
            elif statement.net > 0:
                assert positions == list(range(1, 8))
            else:
                assert positions == list(range(1, 6))
            assert len({a.actor_id for a in approvals}) == len(approvals)
            assert {a.actor.username for a in approvals} <= {
                "reviewer",
                "leader",
                "leader2",
                "finance",
                "finance2",
                "finance3",
                "finance4",
            }

    def test_payments_never_exceed_the_net_and_collections_come_first(self, settled_group):
        payments = Payment.objects.filter(statement__household__group=settled_group)
        assert payments.exists()
        for statement in Statement.objects.filter(household__group=settled_group):
            total = statement.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
            assert total <= abs(statement.net)
            assert total == abs(statement.net)  # settled: in full
            assert all(len(p.idempotency_key) > 0 for p in statement.payments.all())
        collections = payments.filter(direction=PaymentDirection.COLLECT)
        payouts = payments.filter(direction=PaymentDirection.PAY)
        if collections.exists() and payouts.exists():
            assert max(p.pk for p in collections) < min(p.pk for p in payouts)
        for statement in Statement.objects.filter(payments__isnull=False).distinct():
            paid = statement.payments.aggregate(total=Sum("amount"))["total"]
            assert paid <= abs(statement.net)

    def test_agreements_signed_and_keys_handed_over(self, settled_group):
        households = Household.objects.filter(
            group=settled_group, status=HouseholdStatus.APPROVED
        ).order_by("code")
        for household in households:
            agreement = Agreement.objects.get(household=household)
            assert agreement.signed_on and agreement.signer_name
        # The last household is settled but has not come for its keys yet.
        assert not Handover.objects.filter(household=households.last()).exists()
        for household in households[: len(households) - 1]:
            handover = Handover.objects.get(household=household)
            assert handover.keys >= 1 and handover.water_reading is not None
            assert handover.electricity_reading is not None and handover.received_by
        assert Handover.objects.filter(
            household__group=settled_group, moved_in_on__isnull=False
        ).exists()

    def test_a_resident_reported_defect_was_answered_and_one_is_still_open(self, settled_group):
        tickets = DefectTicket.objects.filter(household__group=settled_group)
        answered = tickets.get(reported_by_resident=True, status=DefectStatus.ANSWERED)
        assert answered.reported_by is None and answered.answer
        assert answered.answered_by.username == "clerk"
        assert tickets.filter(status=DefectStatus.OPEN, reported_by_resident=True).exists()
        assert tickets.filter(status=DefectStatus.CLOSED, reported_by__username="clerk2").exists()

    def test_another_group_waits_mid_chain(self, demo_output, db):
        approving = Statement.objects.filter(status=StatementStatus.APPROVING)
        assert approving.exists()
        for statement in approving:
            assert 1 <= statement.approvals.count() < 7

    def test_one_settled_household_was_corrected_after_settlement(self, settled_group):
        correction = StatementCorrection.objects.get()
        assert correction.household.group == settled_group and correction.reason
        statement = Statement.objects.get(household=correction.household)
        assert correction.opened_by.username == "leader" and correction.closed_at is not None
        household = correction.household
        # The area changed through the registry's change control, with the reason, and the
        # household was approved again before its new statement version.
        assert household.status == HouseholdStatus.APPROVED
        assert household.approved_at > correction.opened_at
        assert household.demolished_area == Decimal(statement.inputs["demolished_area"])
        assert statement.version > correction.settled_version
        assert statement.approval_round == correction.settled_round + 1
        assert statement.status == StatementStatus.SETTLED
        assert statement.inputs["demolished_area"] == str(correction.household.demolished_area)

    def test_the_summary_names_the_settled_group(self, demo_output, settled_group):
        assert f"group {settled_group.code}: settled" in demo_output

    # -- issue 13: the demo shows every stage, every public document and each gate --

    def test_households_are_at_every_stage_of_the_case(self, main):
        stages = stages_of(Household.objects.filter(project=main))
        assert set(stages.values()) == set(Stage)

    def test_every_roster_on_the_notice_boards_is_printed_one_pdf_per_community(self, main):
        shown = Publication.objects.filter(project=main, status=PublicationStatus.PUBLISHED)
        assert shown.filter(community__isnull=False).exists()  # the supplementary roster
        jobs = RenderJob.objects.filter(project=main, kind=RenderJob.Kind.ROSTER)
        assert sorted(jobs.values_list("publication_id", flat=True)) == sorted(
            shown.values_list("pk", flat=True)
        )
        for job in jobs:
            assert job.created_by.username == "clerk"
            labels = list(job.parts.order_by("pk").values_list("label", flat=True))
            assert labels == roster_communities(job.publication)
        # Celery renders the parts after commit (this class's transaction never commits): the
        # part's task, run here, leaves the community's PDF for the notice board.
        part = RenderPart.objects.filter(job__publication__kind="entitlement").first()
        roster_part_render(part_id=part.pk)
        part.refresh_from_db()
        assert part.status == RenderStatus.DONE and part.pages >= 1
        with part.file.open("rb") as pdf:
            assert pdf.read(4) == b"%PDF"

    def test_the_demo_s_dates_run_over_past_months_in_order(self, main):
        today = periods.today()
        first, corrected = publications(main, "entitlement")
        assert first.starts_on == demo_dates.days_ago(demo_dates.PUBLICITY_STARTS)
        assert (today - first.starts_on).days >= 90  # about four months ago
        signed = set(Agreement.objects.values_list("signed_on", flat=True))
        handed = set(Handover.objects.values_list("handed_over_on", flat=True))
        moved_in = set(
            Handover.objects.exclude(moved_in_on=None).values_list("moved_in_on", flat=True)
        )
        assert signed and handed and moved_in
        # publicity ended → (the lottery day) → agreements → keys → moving in → today
        assert corrected.ends_on < min(signed)
        assert max(signed) < min(handed) <= max(handed) < min(moved_in)
        assert max(moved_in) < today
        transitions = Transition.objects.values_list("moved_out_on", flat=True)
        assert max(transitions) < today

    def test_a_household_approved_late_is_refused_at_the_lottery_gate(
        self, demo_output, main, client
    ):
        held = {row.code: row for row in held_back_by_publicity(main)}
        assert len(held) == 2
        never, waiting = sorted(held.values(), key=lambda row: "从未" not in row.missing)
        assert "从未出现在已发布的安置面积公示中" in never.missing
        assert "尚未期满" in waiting.missing and "剩余" in waiting.missing
        # The demo's attempt to open a session for them, refused by the gate, naming them.
        refused = next(line for line in demo_output.splitlines() if "YH2013-02 refused" in line)
        assert "尚未完成公示" in refused
        assert never.code in refused and waiting.code in refused
        assert not LotterySession.objects.filter(code="YH2013-02").exists()
        stages = stages_of(Household.objects.filter(project=main, code__in=held))
        assert sorted(stages.values()) == sorted([Stage.APPROVED, Stage.PUBLISHED])
        # The new-session page lists them, with what they lack.
        client.force_login(get_user_model().objects.get(username="leader"))
        page = client.get("/staff/lottery/new/", {"project": "YH2013"}).content.decode()
        assert "待公示期满,暂不能参加正式摇号" in page
        assert never.code in page and waiting.code in page
        assert "从未出现在已发布的安置面积公示中" in page
