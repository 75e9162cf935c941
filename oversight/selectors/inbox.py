"""The inbox (工作台): for one user, what waits for them, project by project.

Each line is one kind of decision the user may take — members to review, households to
approve, publications to publish, objections and complaints to answer, lottery sessions to
confirm or sign, statements at the approval step their role holds, payments to record,
defects to answer, stale statements to recompute, bank accounts to confirm — with how many
wait, the link that opens
the decision page (the oldest item's page, or the queue the decision is taken on) and, for
answers owed to the public, the days left before the most urgent one is due.

Only projects the user may see (`households.access.projects_q`), and only the lines their
permissions let them act on, with the four-eyes rules of the services applied as filters (a
clerk's own household never waits for their review; nobody publishes their own draft; nobody
takes two steps of one statement). The counts take a constant number of queries whatever the
number of households: one grouped aggregate per line kind (`tests/oversight/test_inbox.py`
and `python -m bench inbox` hold it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from households.access import projects_q, sees_all_projects
from households.models import Household, HouseholdStatus, Member, Project, ReviewStatus
from lottery.models import LotterySession, SessionStatus
from publicity.models import Complaint, Objection
from publicity.selectors import objections as answer_deadlines
from publicity.selectors.drafts import drafts_awaiting_publisher
from resettlement import periods
from settlement.models import (
    ApprovalStep,
    DefectStatus,
    DefectTicket,
    Statement,
    StatementApproval,
    StatementStatus,
    StepDirection,
)
from settlement.selectors.bank_accounts import accounts_waiting
from settlement.services.approvals import DEFAULT_CHAIN


def stale_statements_q(prefix: str = "") -> Q:
    """Statements in the chain or waiting for it whose basis moved under them: the household
    is no longer approved (sent back), or change control touched one of its entitlement facts
    after the statement was computed. A query, so the inbox can count them at once; the
    statement's page makes the full comparison (`settlement.selectors.statements`)."""
    return Q(**{f"{prefix}status__in": [StatementStatus.DRAFT, StatementStatus.APPROVING]}) & (
        ~Q(**{f"{prefix}household__status": HouseholdStatus.APPROVED})
        | Q(**{f"{prefix}household__facts_changed_at__gt": F(f"{prefix}computed_at")})
    )


@dataclass(frozen=True)
class InboxLine:
    """One kind of decision waiting in one project."""

    kind: str
    label: str
    count: int
    url: str
    list_url: str = ""
    due: periods.DaysLeft | None = None  # the most urgent deadline among them
    overdue: int = 0


@dataclass
class ProjectInbox:
    project: Project | None  # None: complaints that name no project
    lines: list[InboxLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.count for line in self.lines)


@dataclass(frozen=True)
class _Group:
    """One grouped row of a line's aggregate: a project, a count, the oldest item; for
    answers owed, how many are overdue and when the oldest was filed."""

    project_id: int | None
    count: int
    first: object
    overdue: int = 0
    oldest: dt.datetime | None = None


@dataclass(frozen=True)
class _Asking:
    """Who asks, on which day, seeing which projects: what every line's count reads."""

    user: object
    today: dt.date
    project_ids: list[int]


def _grouped(queryset: QuerySet, project: str, first: str = "pk") -> list[_Group]:
    rows = queryset.values(project).annotate(n=Count("pk"), first=Min(first)).order_by()
    return [_Group(row[project], row["n"], row["first"]) for row in rows]


def _grouped_answers(queryset: QuerySet, project: str, today: dt.date) -> list[_Group]:
    """As `_grouped`, with how many are past their answer deadline on `today` (one moment
    divides them: `publicity.selectors.objections.overdue_filed_before`) and the oldest
    filing, whose deadline is the most urgent."""
    late = Q(filed_at__lt=answer_deadlines.overdue_filed_before(today))
    rows = (
        queryset.values(project)
        .annotate(
            n=Count("pk"), late=Count("pk", filter=late), oldest=Min("filed_at"), first=Min("pk")
        )
        .order_by()
    )
    return [
        _Group(row[project], row["n"], row["first"], row["late"], row["oldest"]) for row in rows
    ]


def _edited_by(user, field: str) -> Q:
    """Rows whose JSON list of editors (`field`) holds `user`. PostgreSQL only (SQLite, for a
    quick local try, has no JSON containment: there only the service refuses the editor)."""
    if connection.vendor != "postgresql":
        return Q(pk__in=[])
    return Q(**{f"{field}__contains": [user.pk]})


def _handled_by(user, prefix: str = "") -> Q:
    """Rows of a household (at `prefix`) `user` registered or changed: four-eyes keeps them
    out of the user's review and approval (households.services.review._handled)."""
    return Q(**{f"{prefix}registered_by": user.pk}) | _edited_by(user, f"{prefix}editor_ids")


def members_to_review(asking: _Asking) -> list[_Group]:
    user = asking.user
    members = Member.objects.filter(projects_q(user), review_status=ReviewStatus.PENDING).exclude(
        Q(entered_by=user.pk) | _edited_by(user, "editor_ids") | _handled_by(user, "household__")
    )
    return _grouped(members, "project_id")


def households_to_approve(asking: _Asking) -> list[_Group]:
    user = asking.user
    handled_member = Member.objects.filter(household=OuterRef("pk")).filter(
        Q(entered_by=user.pk) | _edited_by(user, "editor_ids")
    )
    households = (
        Household.objects.filter(projects_q(user), status=HouseholdStatus.REVIEWED)
        .exclude(_handled_by(user))
        .exclude(Exists(handled_member))
    )
    return _grouped(households, "project_id")


def publications_to_publish(asking: _Asking) -> list[_Group]:
    return _grouped(drafts_awaiting_publisher(asking.user), "project_id")


def objections_to_answer(asking: _Asking) -> list[_Group]:
    objections = Objection.objects.filter(
        projects_q(asking.user, "publication__project"),
        status__in=answer_deadlines.OPEN_OBJECTION,
    )
    return _grouped_answers(objections, "publication__project_id", asking.today)


def complaints_to_answer(asking: _Asking) -> list[_Group]:
    complaints = Complaint.objects.filter(status__in=answer_deadlines.OPEN_COMPLAINT)
    if not sees_all_projects(asking.user):
        complaints = complaints.filter(projects_q(asking.user))
    return _grouped_answers(complaints, "project_id", asking.today)


def _sessions_to_witness(status: str) -> Callable[[_Asking], list[_Group]]:
    def sessions_to_witness(asking: _Asking) -> list[_Group]:
        sessions = LotterySession.objects.filter(projects_q(asking.user), status=status)
        return _grouped(sessions, "project_id", first="code")

    return sessions_to_witness


def _role_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# The statements of each direction (settlement.services.approvals.statement_direction) and the
# steps that apply to them (`step_applies`): by the sign of their net.
_DIRECTIONS = (
    (Q(net__gt=0), (StepDirection.BOTH, StepDirection.PAY)),
    (Q(net__lt=0), (StepDirection.BOTH, StepDirection.COLLECT)),
    (Q(net=0), (StepDirection.BOTH,)),
)


def statements_at_my_step(asking: _Asking) -> list[_Group]:
    """Statements whose next approval step is one the user's role holds and who has taken no
    other step of this round (the rules of `settlement.services.approvals.statement_approve`,
    as one query): a statement goes through the steps of its project's chain that apply to
    its direction (paid, collected, or nothing owed), in order, so one with k steps taken
    this round waits for the (k+1)-th of them. Projects without a saved chain use the
    default one. Stale statements are left to finance's recompute line."""
    user, project_ids = asking.user, asking.project_ids
    roles = _role_names(user)
    if not roles or not project_ids:
        return []
    chains: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for project_id, role, applies_to in (
        ApprovalStep.objects.filter(project_id__in=project_ids)
        .order_by("project_id", "position")
        .values_list("project_id", "role", "applies_to")
    ):
        chains[project_id].append((role, applies_to or StepDirection.BOTH))
    default = [(role, applies_to) for _code, _label, role, applies_to in DEFAULT_CHAIN]
    waiting = Q()
    for project_id in project_ids:
        chain = chains.get(project_id) or default
        for direction, applying in _DIRECTIONS:
            steps = [role for role, applies_to in chain if applies_to in applying]
            held = [i for i, role in enumerate(steps) if role in roles]
            if held:
                waiting |= Q(project_id=project_id, taken__in=held) & direction
    if not waiting:
        return []
    this_round = StatementApproval.objects.filter(
        statement=OuterRef("pk"), round=OuterRef("approval_round")
    )
    taken = this_round.order_by().values("statement").annotate(c=Count("pk")).values("c")[:1]
    statements = (
        Statement.objects.filter(status__in=[StatementStatus.DRAFT, StatementStatus.APPROVING])
        .annotate(taken=Coalesce(Subquery(taken, output_field=IntegerField()), 0))
        .filter(waiting)
        .exclude(Exists(this_round.filter(actor=user.pk)))
        .exclude(stale_statements_q())
    )
    return _grouped(statements, "project_id")


def payments_to_record(asking: _Asking) -> list[_Group]:
    """Approved statements not yet settled, of households still approved (the payment gate
    refuses the others)."""
    statements = Statement.objects.filter(
        projects_q(asking.user),
        status=StatementStatus.APPROVED,
        household__status=HouseholdStatus.APPROVED,
    )
    return _grouped(statements, "project_id")


def stale_statements(asking: _Asking) -> list[_Group]:
    return _grouped(
        Statement.objects.filter(projects_q(asking.user)).filter(stale_statements_q()),
        "project_id",
    )


def defects_to_answer(asking: _Asking) -> list[_Group]:
    defects = DefectTicket.objects.filter(
        projects_q(asking.user, "household__project"), status=DefectStatus.OPEN
    )
    return _grouped(defects, "household__project_id")


def bank_accounts_to_confirm(asking: _Asking) -> list[_Group]:
    """Bank accounts (or changes) recorded by someone else, waiting for a second person."""
    return _grouped(accounts_waiting(asking.user), "household__project_id", "household_id")


# -- the lines -----------------------------------------------------------------------------


def _due(group: _Group, today: dt.date) -> periods.DaysLeft:
    """How the most urgent answer of `group` (its oldest filing) stands on `today`."""
    filed_on = periods.local_date(group.oldest)
    deadline = periods.add_working_days(filed_on, answer_deadlines.answer_days())
    return periods.working_days_left(deadline, on=today)


@dataclass(frozen=True)
class _Kind:
    """A line kind: who sees it, how it is counted, how it is labelled and linked."""

    kind: str
    permission: str
    label: Callable[[], str]
    groups: Callable[[_Asking], list[_Group]]
    url: Callable[[_Group, Project | None], str]
    list_url: Callable[[Project | None], str] = lambda project: ""
    deadline: bool = False


def _q(project: Project | None) -> str:
    return f"?project={project.code}" if project is not None else ""


def _statement_page(group: _Group, project: Project | None) -> str:
    return reverse("settlement:statement-detail", args=[group.first])


def _project_groups(project: Project | None) -> str:
    return reverse("settlement:project-groups", args=[project.code]) if project else ""


def _session_console(group: _Group, project: Project | None) -> str:
    return reverse("lottery:console", args=[group.first])


def _session_list(project: Project | None) -> str:
    return reverse("lottery:session-list") + _q(project)


_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "members",
        "households.review_member",
        lambda: _("待审核成员"),
        members_to_review,
        lambda g, p: reverse("staff:review-queue") + _q(p),
    ),
    _Kind(
        "households",
        "households.approve_household",
        lambda: _("待审批安置户"),
        households_to_approve,
        lambda g, p: reverse("staff:approval-queue") + _q(p),
    ),
    _Kind(
        "publications",
        "publicity.publish_publication",
        lambda: _("待发布公示(他人起草)"),
        publications_to_publish,
        lambda g, p: reverse("publicity_staff:publication-detail", args=[g.first]),
        lambda p: reverse("publicity_staff:publication-list") + _q(p) + "&status=draft",
    ),
    _Kind(
        "objections",
        "publicity.answer_objection",
        lambda: _("待答复异议"),
        objections_to_answer,
        lambda g, p: reverse("objections:detail", args=[g.first]),
        lambda p: reverse("objections:list") + _q(p),
        deadline=True,
    ),
    _Kind(
        "complaints",
        "publicity.handle_complaint",
        lambda: _("待办理举报投诉"),
        complaints_to_answer,
        lambda g, p: reverse("complaints:detail", args=[g.first]),
        lambda p: reverse("complaints:list") + _q(p),
        deadline=True,
    ),
    _Kind(
        "sessions_confirm",
        "lottery.witness_session",
        lambda: _("待确认摇号场次(名单与房源)"),
        _sessions_to_witness(SessionStatus.COMMITTED),
        _session_console,
        _session_list,
    ),
    _Kind(
        "sessions_sign",
        "lottery.witness_session",
        lambda: _("待签署摇号场次"),
        _sessions_to_witness(SessionStatus.DRAWING),
        _session_console,
        _session_list,
    ),
    _Kind(
        "approvals",
        "settlement.approve_statement",
        lambda: _("待我审批的结算单"),
        statements_at_my_step,
        _statement_page,
        _project_groups,
    ),
    _Kind(
        "payments",
        "settlement.record_payment",
        lambda: _("待登记收付款"),
        payments_to_record,
        _statement_page,
        _project_groups,
    ),
    _Kind(
        "stale",
        "settlement.compute_statement",
        lambda: _("待重新计算的结算单(依据已变更)"),
        stale_statements,
        _statement_page,
        _project_groups,
    ),
    _Kind(
        "bank_accounts",
        "settlement.confirm_bank_account",
        lambda: _("待我复核的银行账户变更"),
        bank_accounts_to_confirm,
        lambda g, p: reverse("settlement:household-settlement", args=[g.first]) + "#bank-accounts",
    ),
    _Kind(
        "defects",
        "settlement.answer_defect",
        lambda: _("待答复报修"),
        defects_to_answer,
        lambda g, p: reverse("settlement:defect-detail", args=[g.first]),
        lambda p: reverse("settlement:defect-list") + "?status=open",
    ),
)


def inbox(user, *, today: dt.date | None = None) -> list[ProjectInbox]:
    """What waits for `user`, by project: every project they may see, newest first (with no
    lines when nothing waits there), then complaints naming no project."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    today = today or periods.today()
    projects = list(Project.objects.filter(projects_q(user, "pk")).order_by("-created_at", "-id"))
    by_id = {project.pk: project for project in projects}
    lines: dict[int | None, list[InboxLine]] = defaultdict(list)
    asking = _Asking(user, today, list(by_id))
    for kind in _KINDS:
        if not user.has_perm(kind.permission):
            continue
        for group in kind.groups(asking):
            project = by_id.get(group.project_id)
            if project is None and group.project_id is not None:
                continue  # complaints naming no project are shown on their own
            lines[group.project_id].append(
                InboxLine(
                    kind.kind,
                    kind.label(),
                    group.count,
                    kind.url(group, project),
                    kind.list_url(project),
                    _due(group, today) if kind.deadline else None,
                    group.overdue,
                )
            )
    result = [ProjectInbox(project, lines[project.pk]) for project in projects]
    if lines[None]:
        result.append(ProjectInbox(None, lines[None]))
    return result


def objections_waiting(project: Project, *, today: dt.date | None = None) -> tuple[int, int]:
    """(open objections, of which past their answer deadline) in `project`: the dashboard's."""
    groups = _grouped_answers(
        Objection.objects.filter(
            publication__project=project, status__in=answer_deadlines.OPEN_OBJECTION
        ),
        "publication__project_id",
        today or periods.today(),
    )
    return (groups[0].count, groups[0].overdue) if groups else (0, 0)
