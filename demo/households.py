"""Build the demo projects through the same services the office uses.

`demo.plan` decides who lives where and what happens to each household; this
module carries that out as the demo users would: a clerk registers each household and
uploads its papers, a reviewer decides on each member (with a written reason when rejecting
or overriding), and the leader approves. So the four-eyes rule, the qualification rules and
the document checks all hold for demo data exactly as for real data.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Sum, prefetch_related_objects
from PIL import Image, ImageDraw

from demo.plan import (
    DemoPlan,
    HouseholdPlan,
    Override,
    Paperwork,
    PersonPlan,
    ProjectPlan,
    Stage,
    plan_demo,
)
from households import qualification
from households.models import (
    Community,
    Document,
    DocumentKind,
    Household,
    HouseholdStatus,
    Member,
    Project,
    ProjectAccess,
    ReviewStatus,
    VillagerGroup,
)
from households.selectors.documents import document_checklist, required_missing
from households.services import configuration, registration, review
from households.services import documents as households_documents

MAIN_PROJECT_CODE = "YH2013"
EARLIER_PROJECT_CODE = "YH2011"

# Who the demo acts as, and the permission each one needs for their part.
DEMO_ACTORS = {
    "clerk": "households.add_household",
    "clerk2": "households.add_household",
    "reviewer": "households.review_member",
    "reviewer2": "households.review_member",
    "leader": "households.approve_household",
}


# The demo's clerk of one project: sees YH2011 and nothing of YH2013 (households.access).
PROJECT_SCOPED_DEMO_USERS = {"clerk2011": EARLIER_PROJECT_CODE}


def grant_project_scoped_demo_users() -> None:
    """Grant the project-scoped demo users their project, when both exist."""
    users = get_user_model().objects.filter(username__in=PROJECT_SCOPED_DEMO_USERS)
    for user in users:
        project = Project.objects.filter(code=PROJECT_SCOPED_DEMO_USERS[user.username]).first()
        if project is not None:
            ProjectAccess.objects.get_or_create(user=user, project=project)


class DemoUsersMissing(Exception):
    """The demo users are not there, or lack their roles."""


def existing_demo_projects() -> list[str]:
    return list(
        Project.objects.filter(code__in=[EARLIER_PROJECT_CODE, MAIN_PROJECT_CODE])
        .order_by("code")
        .values_list("code", flat=True)
    )


def missing_users(usernames: Iterable[str]) -> list[str]:
    """Which of these demo users do not exist yet (create_demo_users makes them)."""
    usernames = list(usernames)
    present = set(
        get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    return [username for username in usernames if username not in present]


def ready_users(roles: Mapping[str, str], *, also: Iterable[str] = ()) -> dict:
    """The users named in `roles` (and `also`) by username, each of `roles` active with the
    permission it names; raises DemoUsersMissing naming what is wrong. Each stage of the
    demo checks its own actors with this."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[*roles, *also])}
    problems = [f"{name} does not exist" for name in roles if name not in users]
    problems += [
        f"{name} lacks {perm}"
        for name, perm in roles.items()
        if name in users and not (users[name].is_active and users[name].has_perm(perm))
    ]
    if problems:
        raise DemoUsersMissing(
            "Demo users are not ready ("
            + "; ".join(problems)
            + "). Run `python manage.py create_demo_users` first."
        )
    return users


def missing_demo_users() -> list[str]:
    return missing_users(DEMO_ACTORS)


def demo_actors() -> dict:
    """The demo users by username; raises DemoUsersMissing naming what is wrong."""
    return ready_users(DEMO_ACTORS)


# --- documents ---------------------------------------------------------------------------


@functools.cache
def _png(label: str) -> bytes:
    """A small scan-like PNG: a pale card with a few grey lines."""
    image = Image.new("RGB", (120, 76), (244, 241, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 115, 71), outline=(150, 150, 150))
    for row, width in enumerate((70, 90, 60, 80)):
        draw.line((12, 16 + row * 13, 12 + width, 16 + row * 13), fill=(120, 120, 120), width=2)
    draw.text((80, 56), label[:6], fill=(90, 90, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _pdf(title: str) -> bytes:
    """A minimal one-page PDF with the byte offsets its cross-reference table needs."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 14 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# The agreement arrives as a scanned PDF, the other papers as phone photos.
_AS_PDF = {DocumentKind.AGREEMENT}


def _upload_for(kind: str, label: str, household: Household) -> SimpleUploadedFile:
    if kind in _AS_PDF:
        content = _pdf(f"Compensation agreement {household.agreement_number}")
        return SimpleUploadedFile(f"{label}.pdf", content, content_type="application/pdf")
    return SimpleUploadedFile(f"{label}.png", _png(kind), content_type="image/png")


def _upload_paperwork(
    plan: HouseholdPlan, household: Household, actor, rng: random.Random, uploaded: list[str]
) -> None:
    if plan.paperwork == Paperwork.NONE:
        return
    items = document_checklist(household)  # uses the prefetched members and documents
    if plan.paperwork == Paperwork.PARTIAL and len(items) > 1:
        # Something is always still missing: usually an ID card or a certificate.
        items = rng.sample(items, rng.randint(1, len(items) - 1))
    members = {member.pk: member for member in household.members.all()}
    for item in items:
        label = f"{item.label}-{item.member_name}" if item.member_name else str(item.label)
        document = households_documents.document_upload(
            actor=actor,
            household=household,
            kind=item.kind,
            member=members.get(item.member_id),
            upload=_upload_for(item.kind, label, household),
        )
        uploaded.append(document.file.name)


# --- review ------------------------------------------------------------------------------

# Said by the leader who approves a household whose scans are still incomplete (the approval
# gate asks for a written reason, households.gates).
DOCUMENTS_OVERRIDE_REASON = (
    "申请人已于入户核查时出示上述材料原件,经工作组核验无误并登记在案;扫描件由村委会补传。"
)


def approve(*, leader, household: Household, opinion: str = "同意按政策安置。") -> Household:
    """The leader approves: with the required documents on file, or, where a scan is still
    missing, with the written reason the approval gate asks for."""
    missing = required_missing(household)
    return review.household_approve(
        actor=leader,
        household=household,
        opinion=opinion,
        documents_override_reason=DOCUMENTS_OVERRIDE_REASON if missing else "",
    )


_PASS_OVERRIDE_REASONS = {
    qualification.HUKOU_AFTER_CUTOFF: (
        "经派出所核实,该成员户口迁移申请于截止日前已受理,迁入登记延后系户籍窗口原因;"
        "经安置工作领导小组研究,同意按在册人口安置。"
    ),
    qualification.HUKOU_MOVED_OUT: (
        "经派出所核实,该成员户口迁出系登记错误,现已更正恢复;经村民代表会议确认,同意安置。"
    ),
}
_REJECT_OVERRIDE_REASON = (
    "经村委会与派出所联合核查,该成员户口系挂靠落户,本人长期不在本村居住生活;"
    "经安置工作领导小组会议研究,不予安置。"
)


def _rejection_reason(member: Member) -> str:
    """The written reason for a rejection: the failed checks' evidence, in the verdict's words."""
    evidence = [check["evidence"] for check in member.verdict_checks if not check["passed"]]
    return "经审核不符合安置条件:" + ";".join(evidence) + "。"


def _decide(person: PersonPlan, member: Member) -> tuple[str, str]:
    if person.override == Override.PASS_DESPITE_VERDICT and not member.verdict_qualified:
        codes = [check["code"] for check in member.verdict_checks if not check["passed"]]
        reason = next((_PASS_OVERRIDE_REASONS[c] for c in codes if c in _PASS_OVERRIDE_REASONS), "")
        if reason:
            return ReviewStatus.PASSED, reason
    if person.override == Override.REJECT_DESPITE_VERDICT and member.verdict_qualified:
        return ReviewStatus.REJECTED, _REJECT_OVERRIDE_REASON
    if member.verdict_qualified:
        return ReviewStatus.PASSED, ""
    return ReviewStatus.REJECTED, _rejection_reason(member)


# --- carrying out a plan -----------------------------------------------------------------


@dataclass
class _Places:
    project: Project
    communities: list[Community]
    groups: list[list[VillagerGroup]]


def _create_project(plan: ProjectPlan, users: Mapping[str, Any]) -> _Places:
    """Project, communities and groups, as a leader and a clerk set them up in the admin:
    through the configuration services (each change audited)."""
    policy = plan.policy.model_fields()
    project = configuration.project_create(
        actor=users["leader"], code=policy.pop("code"), policy=policy
    )
    communities, groups = [], []
    for community_plan in plan.communities:
        community = configuration.community_create(
            actor=users["clerk"],
            project=project,
            code=community_plan.code,
            name=community_plan.name,
        )
        communities.append(community)
        groups.append(
            [
                configuration.villager_group_create(
                    actor=users["clerk"], community=community, code=code, name=name
                )
                for code, name in community_plan.groups
            ]
        )
    return _Places(project, communities, groups)


@dataclass
class _Run:
    """What every step of one seeding run needs."""

    users: dict
    seed: int
    progress: Callable[[str], None]
    uploaded: list[str] = field(default_factory=list)  # storage names, to undo on failure

    def carry_out(self, plan: ProjectPlan) -> Project:
        places = _create_project(plan, self.users)
        total = len(plan.households)
        step = max(100, total // 10)
        for done, household_plan in enumerate(plan.households, start=1):
            self.carry_out_household(household_plan, places)
            if done % step == 0 or done == total:
                self.progress(f"  {plan.policy.code}: {done}/{total} households")
        return places.project

    def carry_out_household(self, plan: HouseholdPlan, places: _Places) -> None:
        registrar = self.users[plan.registrar]
        household = registration.household_register(
            actor=registrar,
            project=places.project,
            community=places.communities[plan.community],
            group=places.groups[plan.community][plan.group],
            household=plan.household_data(),
            members=[person.member_data() for person in plan.members],
        )
        prefetch_related_objects([household], "members", "documents")
        members = {member.id_number: member for member in household.members.all()}
        # Choices made here come from their own generator, so the plan's stream stays the
        # same whatever the checklist holds on the day (it depends on members' ages today).
        rng = random.Random(f"{self.seed}:{places.project.code}:{plan.code}")
        _upload_paperwork(plan, household, registrar, rng, self.uploaded)
        if plan.stage == Stage.REGISTERED:
            return
        to_review = plan.members
        if plan.stage == Stage.PARTLY_REVIEWED:
            to_review = plan.members[: plan.reviewed_members]
        reviewer = self.users[plan.reviewer]
        for person in to_review:
            member = members[person.id_number]
            decision, reason = _decide(person, member)
            review.member_review(actor=reviewer, member=member, decision=decision, reason=reason)
        if plan.stage == Stage.APPROVED:
            household.refresh_from_db()
            approve(leader=self.users["leader"], household=household)


# --- summary -----------------------------------------------------------------------------


@dataclass
class ProjectSummary:
    code: str
    name: str
    communities: int
    groups: int
    households: int
    members: int
    households_by_status: dict[str, int]
    members_by_review: dict[str, int]
    failures_by_rule: dict[str, int]
    overrides: int
    documents: int
    households_missing_documents: int
    approved_population: int
    approved_area: Decimal

    def lines(self) -> list[str]:
        statuses = ", ".join(
            f"{HouseholdStatus(s).label} {self.households_by_status.get(s, 0)}"
            for s in HouseholdStatus.values
        )
        reviews = ", ".join(
            f"{ReviewStatus(s).label} {self.members_by_review.get(s, 0)}"
            for s in ReviewStatus.values
        )
        lines = [
            f"{self.code} {self.name}",
            f"  communities {self.communities}, villager groups {self.groups}",
            f"  households {self.households}: {statuses}",
            f"  members {self.members}: {reviews} (overrides {self.overrides})",
            f"  documents {self.documents}; "
            f"households with documents missing {self.households_missing_documents}",
            f"  approved: resettlement population {self.approved_population}, "
            f"entitlement area {self.approved_area:.2f} m²",
            "  members failing each rule:",
        ]
        lines += [
            f"    {code:24} {qualification.REASON_LABELS[code]}  {count}"
            for code, count in self.failures_by_rule.items()
        ]
        return lines


@dataclass
class DemoSummary:
    projects: list[ProjectSummary] = field(default_factory=list)
    later: list = field(default_factory=list)  # the later stages' summaries

    def lines(self) -> list[str]:
        parts = [*self.projects, *self.later]
        return [line for part in parts for line in part.lines()]


def summarise(project: Project) -> ProjectSummary:
    households = Household.objects.filter(project=project)
    members = Member.objects.filter(project=project)
    approved = households.filter(status=HouseholdStatus.APPROVED).aggregate(
        population=Sum("resettlement_population"), area=Sum("entitlement_area")
    )
    missing = 0
    for household in households.select_related("project").prefetch_related("members", "documents"):
        if any(not item.present for item in document_checklist(household)):
            missing += 1
    return ProjectSummary(
        code=project.code,
        name=project.name,
        communities=project.communities.count(),
        groups=project.groups.count(),
        households=households.count(),
        members=members.count(),
        households_by_status=dict(
            households.values_list("status").annotate(n=Count("id")).order_by()
        ),
        members_by_review=dict(
            members.values_list("review_status").annotate(n=Count("id")).order_by()
        ),
        failures_by_rule={
            code: members.filter(verdict_failures__contains=f",{code},").count()
            for code in qualification.REASON_LABELS
        },
        overrides=members.filter(review_overridden=True).count(),
        documents=Document.objects.filter(household__project=project).count(),
        households_missing_documents=missing,
        approved_population=approved["population"] or 0,
        approved_area=approved["area"] or Decimal("0.00"),
    )


def seed_demo(
    *,
    households: int,
    seed: int,
    users: dict,
    progress: Callable[[str], None] = lambda message: None,
    later_stages: Sequence[Callable[..., Any]] = (),
) -> DemoSummary:
    """Build the earlier project YH2011 and the main project YH2013 with `households`
    households, all in one transaction: a failure leaves the database and the document
    storage as they were.

    `later_stages` are the later apps' demo stages (publicity, …), each called as
    `stage(seed=, users=, progress=)` after the registry, in the same transaction, and
    returning a summary with `lines()`. The command hands them in: this app imports no
    later one.

    Precondition: neither project exists (see `existing_demo_projects`), and `users` is
    `demo_actors()`.
    """
    plan: DemoPlan = plan_demo(households=households, seed=seed)
    run = _Run(users=users, seed=seed, progress=progress)
    try:
        with transaction.atomic():
            # The earlier project goes first: its approvals are what make the people it
            # resettled fail RESETTLED_ELSEWHERE when registered again in the main one.
            earlier = run.carry_out(plan.earlier)
            main = run.carry_out(plan.main)
            later = [stage(seed=seed, users=users, progress=progress) for stage in later_stages]
    except BaseException:
        # document_upload stores each file before its row commits. The rows are rolled
        # back, so the files go too.
        storage = Document._meta.get_field("file").storage
        for name in run.uploaded:
            storage.delete(name)
        raise
    return DemoSummary(projects=[summarise(main), summarise(earlier)], later=later)
