"""The inbox (工作台, /staff/) for 5,000 households against 100.

Builds two projects in bulk (bench._progress_setup: households at every stage), then gives
every kind of inbox line work in proportion to the households: a member waiting for review in
every registered household, every fifth approved household back at "reviewed" (waiting for
approval), statements in the approval chain, approved and waiting for payment, or stale
(household sent back), open defects after handover, open objections on the publication
(some overdue), a draft publication by someone else and a committed lottery session. A user
holding every role that has inbox lines (clerk, reviewer, leader, finance, notary,
supervisor), granted one project, opens the inbox of each; the queries are counted (selector,
view and template, warmed up once). Target (issue 13 item 5): the same number of queries for
5,000 households as for 100. The render time ratio is printed for information.

    python -m bench inbox
"""

from __future__ import annotations

import datetime as dt
import os
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory, override_settings
from django.utils import timezone

from bench._progress_setup import build_progress_project, measure_page, spread
from households.models import Household, HouseholdStatus, Member, ProjectAccess
from lottery.models import LotterySession, SessionMode
from oversight.selectors.inbox import inbox
from oversight.views import inbox as inbox_views
from publicity.models import Objection, Publication, PublicationStatus
from resettlement.roles import ensure_roles
from settlement.models import DefectTicket, Handover, Statement, StatementStatus

LARGE = int(os.environ.get("BENCH_INBOX_HOUSEHOLDS", "5000"))
SMALL = 100
RUNS = 5
ROLES = ("clerk", "reviewer", "leader", "finance", "notary", "supervisor")


def _user(username: str, project):
    user = get_user_model().objects.create_user(username=username, is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=ROLES))
    ProjectAccess.objects.create(user=user, project=project)
    return get_user_model().objects.get(pk=user.pk)


def _work(project, office, drafter) -> None:
    """Work of every line kind, in proportion to the project's households."""
    households = list(Household.objects.filter(project=project).order_by("pk"))
    registered = [h for h in households if h.status == HouseholdStatus.REGISTERED]
    Member.objects.bulk_create(
        [
            Member(
                project=project,
                household=h,
                name="王建国",
                id_number=f"330110197001{i:06d}",
                sex="M",
                birth_date=dt.date(1970, 1, 1),
                relation="head",
                hukou_nature="agricultural",
                hukou_moved_in=dt.date(1990, 1, 1),
                entered_by=office,
            )
            for i, h in enumerate(registered)
        ],
        batch_size=1000,
    )
    approved = [h.pk for h in households if h.status == HouseholdStatus.APPROVED]
    Household.objects.filter(pk__in=approved[::5]).update(status=HouseholdStatus.REVIEWED)
    statements = list(Statement.objects.filter(project=project).order_by("pk"))
    for status, share in ((StatementStatus.DRAFT, 0), (StatementStatus.APPROVED, 1)):
        Statement.objects.filter(pk__in=[s.pk for s in statements[share::3]]).update(
            status=status, settled_at=None
        )
    moved_in = Handover.objects.filter(household__project=project).values_list(
        "household_id", flat=True
    )
    DefectTicket.objects.bulk_create(
        [
            DefectTicket(household_id=h, location="卫生间", description="漏水", reported_by=office)
            for h in list(moved_in)[::2]
        ],
        batch_size=1000,
    )
    publication = Publication.objects.filter(project=project).first()
    now = timezone.now()
    Objection.objects.bulk_create(
        [
            Objection(
                publication=publication,
                contact_name="王建国",
                contact_phone="13800000000",
                text="人口数不对",
            )
            for _ in range(max(1, len(households) // 50))
        ]
    )
    filed = list(Objection.objects.filter(publication=publication).values_list("pk", flat=True))
    Objection.objects.filter(pk__in=filed[::2]).update(filed_at=now - dt.timedelta(days=20))
    Publication.objects.create(
        project=project,
        kind="entitlement",
        title="安置面积公示(草稿)",
        version=1,
        status=PublicationStatus.DRAFT,
        starts_on=now.date(),
        ends_on=now.date() + dt.timedelta(days=30),
        created_by=drafter,
    )
    estate = LotterySession.objects.filter(project=project).values_list("estate", flat=True)[0]
    LotterySession.objects.create(
        project=project,
        estate_id=estate,
        code=f"{project.code}-NEXT",
        title="下一场",
        mode=SessionMode.DIRECT,
        server_secret="0" * 64,
        commitment="0" * 64,
        created_by=drafter,
        committed_at=now,
    )


def _render(user) -> tuple[int, float, int]:
    """(queries, median seconds, items waiting) of rendering the inbox page for `user`."""
    request = RequestFactory().get("/staff/")
    request.user = user
    queries, seconds = measure_page(inbox_views.inbox, request, RUNS)
    waiting = sum(box.total for box in inbox(user))
    return queries, seconds, waiting


def run() -> None:
    ensure_roles()
    office = get_user_model().objects.create_user(username="bench_inbox_office")
    drafter = get_user_model().objects.create_user(username="bench_inbox_drafter")
    started = time.perf_counter()
    results = []
    for code, count in (("INBOX-S", SMALL), ("INBOX-L", LARGE)):
        project = build_progress_project(
            code,
            spread(count, groups=12, teams=6),
            actor=office,
            communities=4,
            groups_per_community=3,
            teams=6,
        )
        _work(project, office, drafter)
        results.append((count, project))
    print(f"built {SMALL} + {LARGE} households in {time.perf_counter() - started:.1f} s")
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    figures = []
    with override_settings(STORAGES=storages):
        for count, project in results:
            queries, seconds, waiting = _render(_user(f"bench_inbox_{count}", project))
            figures.append((queries, seconds))
            print(
                f"inbox, {count} households: {queries} queries, {seconds * 1000:.1f} ms"
                f" ({waiting} items waiting)"
            )
    (small_queries, small_time), (large_queries, large_time) = figures
    print(f"render time ratio {LARGE}/{SMALL}: {large_time / small_time:.2f}x (information)")
    verdict = "PASS" if large_queries == small_queries else "FAIL"
    print(f"queries equal for {LARGE} and {SMALL} households (target): {verdict}")
