"""Allocation notices (分房摇号通知书) in villager-group batches, as the system renders them.

Builds one project of BENCH_NOTICES approved households (5,000 by default) in 12
communities of 8 villager groups, then times a whole batch from the staff member's click to
the last group's PDF: `notices_render_start` creates the job and one part per group, and
the parts are rendered in parallel by BENCH_NOTICE_WORKERS worker processes (2: the
machine has two cores) running the Celery task `render_notices_part` itself. The broker is
replaced by a process pool fed in the order the tasks are queued (one task per worker at a
time, as with prefetch 1); the workers are started and have loaded the CJK font before the
clock starts, as running Celery workers have.

For comparison, in the same run: the same notices rendered one WeasyPrint document per
household in one process (how a naive implementation, or the single-notice download,
renders them), on a sample of households.

Target: at least 80 notices per second for the batch.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import tempfile
import time
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from households import idnumbers
from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from publicity import notices, tasks_notices
from publicity.models import RenderPart, RenderStatus
from resettlement.roles import ensure_roles

HOUSEHOLDS = int(os.environ.get("BENCH_NOTICES", "5000"))
WORKERS = int(os.environ.get("BENCH_NOTICE_WORKERS", "2"))
NAIVE_SAMPLE = int(os.environ.get("BENCH_NOTICES_NAIVE", "150"))
COMMUNITIES = 12
GROUPS_PER_COMMUNITY = 8
TARGET = 80.0
SIZES = (3, 2, 4, 3, 1, 5, 3, 3, 2, 4)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "秀英", "志强", "桂兰", "海燕", "国华", "晓明", "玉梅", "春生", "丽娟")
RELATIONS = (Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.CHILD, Relation.PARENT)
LOTTERY = {
    "starts_at": (timezone.localdate() + dt.timedelta(days=14)).isoformat() + "T08:30",
    "place": "开发区文体中心一楼大厅",
    "contact": "0571-86001234",
}


def _user(username: str, role: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=user.pk)


def _project(clerk, reviewer, leader) -> Project:
    """One project, approved households with qualified members, made in bulk (the import
    and review paths have their own benchmarks)."""
    project = Project.objects.create(
        code="BENCH-NOTICES",
        name="南宫河社区安置项目",
        hukou_cutoff_date=dt.date(2013, 6, 30),
        growth_deadline=dt.date(2013, 12, 31),
        area_per_person=Decimal("50.00"),
    )
    groups = []
    for c in range(COMMUNITIES):
        community = Community.objects.create(
            project=project, code=f"C{c:02d}", name=f"南宫河{c + 1}村"
        )
        for g in range(GROUPS_PER_COMMUNITY):
            groups.append(
                VillagerGroup.objects.create(
                    project=project,
                    community=community,
                    code=f"C{c:02d}-G{g}",
                    name=f"第{g + 1}村民小组",
                )
            )
    now = timezone.now()
    households = []
    for h in range(HOUSEHOLDS):
        group = groups[h % len(groups)]
        size = SIZES[h % len(SIZES)]
        households.append(
            Household(
                project=project,
                community_id=group.community_id,
                group=group,
                code=f"H{h:05d}",
                address=f"南宫河村{h % 9 + 1}组{h}号",
                status=HouseholdStatus.APPROVED,
                registered_by=clerk,
                approved_by=leader,
                approved_at=now,
                resettlement_population=size,
                entitlement_area=Decimal(50 * size),
            )
        )
    Household.objects.bulk_create(households, batch_size=1000)
    members = []
    person = 0
    for household in households:
        for position in range(household.resettlement_population):
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=person // 500 * 7)
            sex = "M" if person % 2 == 0 else "F"
            members.append(
                Member(
                    project=project,
                    household=household,
                    name=SURNAMES[person % 20] + GIVEN[(person // 20) % 10],
                    id_number=idnumbers.make("330110", birth, person % 500, sex),
                    sex=sex,
                    birth_date=birth,
                    relation=RELATIONS[position],
                    hukou_nature="agricultural",
                    marital_status="married",
                    entered_by=clerk,
                    verdict_qualified=True,
                    review_status=ReviewStatus.PASSED,
                    reviewed_by=reviewer,
                    reviewed_at=now,
                )
            )
            person += 1
    Member.objects.bulk_create(members, batch_size=2000)
    return project


def _warm_worker() -> None:
    """What a running worker has already done: opened the font and rendered once."""
    from weasyprint import HTML

    HTML(string='<p style="font-family: Noto Sans CJK SC">预热 ABC-123</p>').write_pdf()


def _run_task(part_id: int) -> tuple[bool, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = tasks_notices.render_notices_part.apply(args=(part_id,), throw=True).get()
    return result, time.perf_counter() - started, time.process_time() - cpu


def _batch(project: Project, clerk) -> tuple[float, list[RenderPart], float, float]:
    connections.close_all()  # forked workers open their own
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS, initializer=_warm_worker) as pool:
        pool.map(time.sleep, [0.2] * WORKERS)  # every worker started and warmed
        pending = []

        def enqueue(part_id: int) -> None:
            pending.append(pool.apply_async(_run_task, (part_id,)))

        started = time.perf_counter()
        with mock.patch.object(tasks_notices.render_notices_part, "delay", enqueue):
            job = notices.notices_render_start(
                actor=clerk, project=project, notice_type="allocation", options=LOTTERY
            )
        results = [result.get() for result in pending]
        seconds = time.perf_counter() - started
    assert all(done for done, _, _ in results), "a part was not rendered"
    busy = sum(part_seconds for _, part_seconds, _ in results)
    cpu = sum(part_cpu for _, _, part_cpu in results)
    return seconds, list(job.parts.all()), busy, cpu


def _naive(project: Project) -> tuple[int, float]:
    """One WeasyPrint document per household, one process."""
    options = notices.clean_options(project=project, notice_type="allocation", options=LOTTERY)
    households = list(
        notices._households(project, "allocation").order_by("-code")[:NAIVE_SAMPLE]
    )  # not the codes the batch rendered last: no QR cache hits
    notices.qr_png_data_uri.cache_clear()
    started = time.perf_counter()
    for household in households:
        pdf, pages = notices.notices_render(
            households=[household], notice_type="allocation", options=options
        )
        assert pages == 1
    return len(households), time.perf_counter() - started


def _qr_cost(samples: int = 500) -> float:
    notices.qr_png_data_uri.cache_clear()
    started = time.perf_counter()
    for i in range(samples):
        notices.qr_png_data_uri(notices.resident_url(f"BENCHQR{i:04d}"))
    notices.qr_png_data_uri.cache_clear()
    return (time.perf_counter() - started) / samples


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def run() -> None:
    print(f"machine: {_load()}")
    ensure_roles()
    clerk = _user("bench_notice_clerk", "clerk")
    reviewer = _user("bench_notice_reviewer", "reviewer")
    leader = _user("bench_notice_leader", "leader")
    started = time.perf_counter()
    project = _project(clerk, reviewer, leader)
    groups = COMMUNITIES * GROUPS_PER_COMMUNITY
    print(
        f"{HOUSEHOLDS} approved households in {COMMUNITIES} communities x"
        f" {GROUPS_PER_COMMUNITY} groups ({time.perf_counter() - started:.1f} s to build)"
    )
    print(f"QR code (PNG data URI) per notice: {_qr_cost() * 1000:.2f} ms")

    with tempfile.TemporaryDirectory(prefix="notices-bench-") as media:
        storages = {
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=storages):
            naive_count, naive_seconds = _naive(project)
            seconds, parts, busy, cpu = _batch(project, clerk)
            size = sum(part.file.size for part in parts)

    pages = sum(part.pages for part in parts)
    assert len(parts) == groups and all(p.status == RenderStatus.DONE for p in parts)
    assert pages == HOUSEHOLDS, (pages, HOUSEHOLDS)
    rate = pages / seconds
    naive_rate = naive_count / naive_seconds
    print(
        f"naive, one document per notice, 1 process, {naive_count} notices:"
        f" {naive_seconds:.2f} s, {naive_rate:.1f} notices/s"
    )
    print(
        f"batch: {len(parts)} group PDFs, {pages} pages (one per household),"
        f" {size / 1048576:.1f} MB, {WORKERS} worker processes: {seconds:.2f} s wall"
        f" ({busy:.1f} s of rendering, {busy / seconds:.2f} workers busy on average)"
    )
    print(
        f"CPU time in the workers: {cpu * 1000 / pages:.1f} ms per notice; with {WORKERS} cores"
        f" to themselves the workers would render {WORKERS * pages / cpu:.0f} notices/s"
        f" (machine now: {_load()})"
    )
    print(f"batch vs naive: {rate / naive_rate:.1f}x")
    print(f"allocation notices: {rate:.0f} per second (target >= {TARGET:g})")
