"""The publicity stage of the demo data (`seed_demo`), carried out through the services
after the registry stage (demo.households), as the demo users would:

- the earlier project YH2011's population and entitlement rosters ran their period long
  ago (published and closed);
- the leader sets the project's entitlement roster period (30 days, `PublicityPeriod`);
- `leader2` drafts and the leader publishes (four-eyes) the main project's registration
  results, resettlement population and entitlement rosters (for the whole project), with
  periods that began four months before the seeding (`demo.dates`), so that they have
  ended by the lottery day (the lottery gate, lottery.gates, asks it of every household
  drawn);
- residents object during the period (services.objection_file, as the public form does):
  one about a family member left off the population roster, one asking why another member
  was rejected, one about how entitlement areas are computed, and two still waiting for an
  answer (neither names a household: one naming a household would hold it out of the lottery),
  both past their answer deadline (filed about four months ago: the overdue objections);
- the reviewer answers the questions, the leader upholds the first objection: the household
  goes back to review, the reviewer passes the member with a written reason, the leader
  approves again, and the population and entitlement rosters are published as version 2
  (version 1 closes) ten days into the first period, so the corrected household's new
  entitlement has been public for its full period before the lottery;
- a clerk prints the rosters on the notice boards (each current version, one PDF per
  community, `roster_render_start`), so their sheets are there to download, and starts the
  publicity notices (公示通知书) of the first villager group, for door-to-door delivery.
  Celery renders them after the seeding commits (in the embedded setup, at once); only one
  group's notices, to keep `make run` quick: the other groups' batches are a click away on
  the notices page.

Choices come from a generator seeded by the seed, over rows in code order, so the same seed
gives the same publications and objections. Runs inside seed_demo's transaction.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from demo import dates
from demo import households as demo_households
from demo.households import EARLIER_PROJECT_CODE, MAIN_PROJECT_CODE, ready_users
from households.models import (
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from households.qualification import HUKOU_AFTER_CUTOFF
from households.services import review
from publicity import models
from publicity.models import Objection, Publication, RenderJob
from publicity.services import notices, publications, rendering
from publicity.services import objections as publicity_objections
from publicity.services import periods as period_services

# The correction the demo plays out: hukou moved in after the cut-off on the register, but
# the police station had accepted the move before it (a written exception the rules allow).
_CORRECTION_REASON = (
    "公示异议复核:经派出所出具证明,该成员户口迁移手续于截止日前已受理,"
    "符合在册人口安置条件;经安置工作领导小组研究,同意安置。"
)


# When the earlier project's rosters were publicised (its hukou cut-off was 2010-06-30).
EARLIER_PUBLICITY_STARTS = dt.date(2010, 9, 1)
# The main project's rosters began `dates.PUBLICITY_STARTS` days before the seeding (the
# entitlement roster's 30 days have ended by the lottery day); objections came in a few days
# into the period and the corrections were published `dates.CORRECTED_AFTER` days into it.
ENTITLEMENT_DAYS = 30
# Who prints the rosters for the notice boards.
PRINTER = "clerk"


@dataclass
class PublicitySummary:
    published: list[Publication]
    drafts: list[Publication]
    objections: int
    answered: int
    upheld: int
    closed: list[Publication] = field(default_factory=list)
    notices: RenderJob | None = None
    rosters: list[RenderJob] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"{MAIN_PROJECT_CODE} publicity"]
        lines += [
            f"  published v{p.version} {p.title}: {p.row_count} rows, "
            f"{p.starts_on}–{p.ends_on}, SHA-256 {p.content_hash[:16]}…"
            for p in self.published
        ]
        lines += [
            f"  draft v{p.version} {p.title} (for the leader to publish)" for p in self.drafts
        ]
        lines.append(
            f"  objections {self.objections}: answered {self.answered} "
            f"(upheld {self.upheld}), open {self.objections - self.answered}"
        )
        if self.rosters:
            lines.append(
                f"  roster PDFs: {len(self.rosters)} publications, "
                f"{sum(job.parts.count() for job in self.rosters)} community sheets, "
                "rendered by Celery after commit"
            )
        if self.notices is not None:
            parts = self.notices.parts.count()
            lines.append(
                f"  publicity notices: job #{self.notices.pk}, {parts} villager group(s), "
                "rendered by Celery after commit"
            )
        lines += [
            f"{EARLIER_PROJECT_CODE}: closed v{p.version} {p.title}: {p.row_count} rows"
            for p in self.closed
        ]
        return lines


def _publish(
    drafter, publisher, project: Project, kind: str, starts_on: dt.date | None = None
) -> Publication:
    """One drafts, another publishes (four-eyes on publicity)."""
    draft = publications.publication_create(
        actor=drafter, project=project, kind=kind, starts_on=starts_on
    )
    return publications.publication_publish(actor=publisher, publication=draft)


def _correct(drafter, publisher, publication: Publication, starts_on: dt.date) -> Publication:
    """A corrected version, drafted by one and published by another."""
    corrected = publications.publication_new_version(
        actor=drafter, publication=publication, starts_on=starts_on
    )
    return publications.publication_publish(actor=publisher, publication=corrected)


def _earlier_project_publicity(drafter, leader) -> list[Publication]:
    """The earlier project's rosters, publicised (and closed) long ago."""
    project = Project.objects.filter(code=EARLIER_PROJECT_CODE).first()
    if project is None:
        return []
    published = [
        _publish(drafter, leader, project, kind, EARLIER_PUBLICITY_STARTS)
        for kind in ("population", "entitlement")
    ]
    publications.publications_close_expired()
    return [Publication.objects.defer("rows").get(pk=p.pk) for p in published]


def print_rosters(actor, publications: list[Publication]) -> list[RenderJob]:
    """Print rosters for the notice boards as a clerk does from the publication page: one
    PDF per community, through the rendering service (Celery renders the parts after the
    seeding commits; in the embedded setup, at once)."""
    return [
        rendering.roster_render_start(actor=actor, publication=publication)
        for publication in publications
        if publication.row_count
    ]


def draft_supplement(household: Household, starts_on: dt.date) -> Publication:
    """A supplementary entitlement roster (补充公示) of the household's community, for a
    household approved after the project's roster, drafted by `leader2`: a draft waits in
    the leader's inbox (工作台) for the second pair of eyes. Its period runs from
    `starts_on`."""
    drafter = ready_users({"leader2": "publicity.add_publication"})["leader2"]
    spec_title = f"{household.project.name} {household.community.name} 安置面积补充公示"
    return publications.publication_create(
        actor=drafter,
        project=household.project,
        kind="entitlement",
        title=spec_title,
        community=household.community,
        starts_on=starts_on,
    )


def publish_supplement(
    users: dict, household: Household, starts_on: dt.date
) -> tuple[Publication, RenderJob | None]:
    """A supplementary entitlement roster of the household's community (`draft_supplement`),
    published by the leader (four-eyes), printed by the clerk."""
    draft = draft_supplement(household, starts_on)
    published = publications.publication_publish(actor=users["leader"], publication=draft)
    jobs = print_rosters(users[PRINTER], [published])
    return published, (jobs[0] if jobs else None)


def _start_notices(actor, project: Project) -> RenderJob | None:
    """Publicity notices for the first villager group with households."""
    first = (
        Household.objects.filter(project=project)
        .order_by("group__code")
        .values_list("group_id", flat=True)
        .first()
    )
    if first is None:
        return None
    groups = [VillagerGroup.objects.get(pk=first)]
    return notices.notices_render_start(
        actor=actor,
        project=project,
        notice_type=models.NoticeType.PUBLICITY,
        groups=groups,
    )


def _rejected_members(project: Project) -> list[Member]:
    """Rejected members of approved households, in code order."""
    return list(
        Member.objects.filter(
            project=project,
            household__status=HouseholdStatus.APPROVED,
            review_status=ReviewStatus.REJECTED,
        )
        .select_related("household")
        .order_by("household__code", "id")
    )


def _contestable(member: Member) -> bool:
    """Rejected only because the hukou moved in after the cut-off."""
    return member.verdict_failures.strip(",") == HUKOU_AFTER_CUTOFF


def _object(
    publication: Publication, household: Household | None, text: str, rng, *, name: str = ""
) -> Objection:
    """An objection as a resident files it on the public form, a few days into the period."""
    if household is not None:
        head = household.members.filter(relation=Relation.HEAD).first()
        name = head.name if head else "户主"
        phone = household.phone or f"139{rng.randrange(10**8):08d}"
        code = household.code
    else:
        name, phone, code = name or "陈女士", f"158{rng.randrange(10**8):08d}", ""
    filed_on = publication.starts_on + dt.timedelta(days=dates.OBJECTIONS_AFTER)
    objection = publicity_objections.objection_file(
        publication=publication,
        contact_name=name,
        contact_phone=phone,
        text=text,
        household_code=code,
        today=filed_on,
    )
    # The form stamps the moment it is sent; the demo's resident sent it on `filed_on`
    # (demo.dates), so those still unanswered are past their answer deadline (逾期).
    objection.filed_at = dates.moment_on(filed_on)
    objection.save(update_fields=["filed_at"])
    return objection


def _uphold_and_correct(
    *, objection: Objection, household: Household, member: Member, users: dict
) -> None:
    """The leader upholds the objection, which sends the household back to review; the
    reviewer passes the contested member with a written reason and repeats everyone
    else's finding; the leader approves again."""
    findings = {m.pk: (m.review_status, m.review_reason) for m in household.members.all()}
    findings[member.pk] = (ReviewStatus.PASSED, _CORRECTION_REASON)
    publicity_objections.objection_answer(
        actor=users["leader"],
        objection=objection,
        answer="经核实派出所出具的证明,异议成立。该户退回重新审核,"
        "更正结果将在安置人口公示的新版本中公布。",
        upheld=True,
    )
    for other in household.members.order_by("id"):
        decision, reason = findings[other.pk]
        review.member_review(
            actor=users["reviewer"], member=other, decision=decision, reason=reason
        )
    demo_households.approve(leader=users["leader"], household=household)


def seed_publicity(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> PublicitySummary:
    """Publish the main demo project's rosters and play out the objections (see the module
    docstring). Precondition: demo.households has seeded the project in this transaction."""
    rng = random.Random(f"{seed}:publicity")
    leader, reviewer = users["leader"], users["reviewer"]
    drafter = ready_users({"leader2": "publicity.add_publication"})["leader2"]
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    closed = _earlier_project_publicity(drafter, leader)

    # The leader records the project's statutory period for the entitlement roster (a
    # compensation and resettlement plan: 30 days), as the project's own setting.
    period_services.publicity_period_set(
        actor=leader, project=project, kind="entitlement", days=ENTITLEMENT_DAYS
    )
    starts_on = dates.days_ago(dates.PUBLICITY_STARTS)
    registration = _publish(drafter, leader, project, "registration", starts_on)
    population = _publish(drafter, leader, project, "population", starts_on)
    entitlement = _publish(drafter, leader, project, "entitlement", starts_on)

    rejected = _rejected_members(project)
    contestable = [m for m in rejected if _contestable(m)]
    contested = rng.choice(contestable) if contestable else None
    others = [m for m in rejected if contested is None or m.household_id != contested.household_id]
    questioned = rng.choice(others) if others else None

    objections: list[Objection] = []
    answered = upheld = 0
    if contested is not None:
        household = contested.household
        objection = _object(
            population,
            household,
            f"我家{contested.get_relation_display()}没有列入安置人口名单。"
            "户口迁移手续在截止日前已经在派出所办理,只是登记时间晚了,有派出所证明。"
            "请重新审核。",
            rng,
        )
        _uphold_and_correct(objection=objection, household=household, member=contested, users=users)
        objections.append(objection)
        answered += 1
        upheld += 1
    if questioned is not None:
        objection = _object(
            population,
            questioned.household,
            f"请问我家{questioned.get_relation_display()}为什么不在安置人口名单上?",
            rng,
        )
        publicity_objections.objection_answer(
            actor=reviewer,
            objection=objection,
            answer="经复核,维持原审核结果。" + questioned.review_reason,
            upheld=False,
        )
        objections.append(objection)
        answered += 1
    objection = _object(
        entitlement, None, "应安置面积是按什么标准计算的?单身的老人是不是少算了?", rng
    )
    publicity_objections.objection_answer(
        actor=leader,
        objection=objection,
        answer=(
            f"按本项目安置政策,应安置面积按安置人口每人{project.area_per_person:.0f}㎡计算;"
            f"持独生子女证的家庭增加{project.one_child_bonus_area:.0f}㎡;"
            f"只有一人符合安置条件的,增加{project.single_person_bonus_area:.0f}㎡。"
            "单身老人户已按规定增加面积,计算无误。"
        ),
        upheld=False,
    )
    objections.append(objection)
    answered += 1
    objections.append(
        _object(
            population,
            None,
            "我家户主的村民小组登记错了,应为第三村民小组,请核实。",
            rng,
            name="王先生",
        )
    )
    objections.append(
        _object(registration, None, "公示栏上的名单字太小,能否在社区办公室提供纸质名册查阅?", rng)
    )

    published = [registration, population, entitlement]
    drafts = []
    if upheld:
        corrected_on = starts_on + dt.timedelta(days=dates.CORRECTED_AFTER)
        published[1] = _correct(drafter, leader, population, corrected_on)
        published[2] = _correct(drafter, leader, entitlement, corrected_on)
    # The versions on the notice boards now (a closed first version prints from its page).
    printed = Publication.objects.filter(
        project=project, status=models.PublicationStatus.PUBLISHED
    ).order_by("kind", "version")
    rosters = print_rosters(users[PRINTER], list(printed))
    job = _start_notices(users["clerk"], project)
    progress(f"  {MAIN_PROJECT_CODE}: publicity published, {len(objections)} objections")
    return PublicitySummary(
        published=published,
        drafts=drafts,
        objections=len(objections),
        answered=answered,
        upheld=upheld,
        closed=closed,
        notices=job,
        rosters=rosters,
    )
