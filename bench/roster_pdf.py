"""Roster PDFs for the notice boards: the project's path against one naive WeasyPrint render.

Builds a project of 15,000 qualified persons (5,000 approved households) in 12 communities
with bulk_create, and publishes its population roster with the real service (masked,
frozen, hashed). Then, in the same run and on the same rows:

1. the baseline: one naive document — all 15,000 rows in one big table, automatic table
   layout, cells written by template loops, the same title, footer (hash) and page
   numbers — laid out and written by WeasyPrint in one process;
2. the project's path as the staff member waits for it: from `roster_render_start` (the
   click) until the last community's PDF is stored, one Celery task per community. With
   Redis reachable (BENCH_REDIS_URL, default redis://127.0.0.1:6379/6) a real Celery worker
   runs them, started as deployed (`celery worker`, prefork, BENCH_ROSTER_WORKERS=2
   processes: the machine has two cores); without Redis, a pool of as many processes runs
   the same task. Workers are started and have rendered once before the clock starts, as
   running workers have; the baseline's process has rendered once too.

Target: the project's path at least 3 times as fast (wall time).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.template import engines
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
from publicity import pdf_rosters, rendering, services, tasks
from publicity.models import Publication, RenderJob, RenderStatus
from resettlement.pdf import warm_up
from resettlement.roles import ensure_roles

PERSONS = int(os.environ.get("BENCH_ROSTER_PERSONS", "15000"))
WORKERS = int(os.environ.get("BENCH_ROSTER_WORKERS", "2"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
COMMUNITIES = 12
GROUPS_PER_COMMUNITY = 4
TARGET = 3.0
SIZES = (3, 2, 4, 3, 1, 5, 3, 3, 2, 4)  # three people per household on average
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "秀英", "志强", "桂兰", "海燕", "国华", "晓明", "玉梅", "春生", "丽娟")
RELATIONS = (Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.CHILD, Relation.PARENT)

# What a first implementation looks like: one table, WeasyPrint's automatic layout, a
# template loop per row and cell, the base stylesheet's usual cell padding and borders.
NAIVE_TEMPLATE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>{{ p.title }}</title><style>
@page { size: A4; margin: 18mm 14mm 20mm 14mm;
  @bottom-left { content: "内容哈希(SHA-256):{{ p.content_hash }}"; font-size: 7pt; }
  @bottom-right { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; }
}
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 9.5pt; }
h1 { font-size: 15pt; text-align: center; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #444; padding: 1.2mm 1.5mm; }
th { background: #eee; }
</style></head><body>
<h1>{{ p.title }}</h1>
<p>项目:{{ p.project.name }} 公示期:{{ p.starts_on }} 至 {{ p.ends_on }} 第 {{ p.version }} 版</p>
<table><thead><tr>{% for c in p.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table></body></html>"""


def _user(username: str, role: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=user.pk)


def _project(code: str, persons: int, clerk, reviewer, leader, communities: int) -> Project:
    """Approved households of qualified members, made in bulk (registration and review
    have their own benchmarks)."""
    project = Project.objects.create(
        code=code,
        name="南宫河社区安置项目",
        hukou_cutoff_date=dt.date(2013, 6, 30),
        growth_deadline=dt.date(2013, 12, 31),
        area_per_person=Decimal("50.00"),
    )
    groups = []
    for c in range(communities):
        community = Community.objects.create(
            project=project, code=f"C{c:02d}", name=f"南宫河{c + 1}村"
        )
        for g in range(GROUPS_PER_COMMUNITY):
            groups.append(
                VillagerGroup.objects.create(
                    project=project,
                    community=community,
                    code=f"{code}-C{c:02d}-G{g}",
                    name=f"第{g + 1}村民小组",
                )
            )
    now = timezone.now()
    households, sizes, total, h = [], [], 0, 0
    while total < persons:
        size = min(SIZES[h % len(SIZES)], persons - total)
        group = groups[h % len(groups)]
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
        sizes.append(size)
        total += size
        h += 1
    Household.objects.bulk_create(households, batch_size=1000)
    members, person = [], 0
    for household, size in zip(households, sizes, strict=True):
        for position in range(size):
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


def _published_roster(project: Project, leader) -> Publication:
    draft = services.publication_create(actor=leader, project=project, kind="population")
    return services.publication_publish(actor=leader, publication=draft)


def _naive(publication: Publication, rows: list | None = None) -> tuple[float, int, int]:
    """One document of every row (or of `rows`), WeasyPrint's defaults, in this process."""
    from weasyprint import HTML

    context = {"p": publication, "rows": publication.rows if rows is None else rows}
    started = time.perf_counter()
    html = engines["django"].from_string(NAIVE_TEMPLATE).render(context)
    document = HTML(string=html).render()
    pdf = document.write_pdf()
    return time.perf_counter() - started, len(document.pages), len(pdf)


# --- the project's path: a real Celery worker ---------------------------------------------------


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _wait_for(job: RenderJob, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = list(job.parts.values_list("status", flat=True))
        if all(status == RenderStatus.DONE for status in statuses):
            return
        if RenderStatus.FAILED in statuses:
            raise RuntimeError(list(job.parts.values_list("label", "error")))
        time.sleep(0.05)
    raise RuntimeError(f"roster job {job.pk} not done after {timeout} s")


@contextmanager
def _celery_worker():
    """`celery worker` as deployed (prefork, WORKERS processes, prefetch 1), on a queue of
    this run's own; the bench process sends to it like the web process does."""
    from resettlement.celery import app

    queue = f"bench-roster-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@bench"
    env = {**os.environ, "REDIS_URL": REDIS}
    command = [sys.executable, "-m", "celery", "--app=resettlement", "worker"]
    command += [f"--concurrency={WORKERS}", "--pool=prefork", f"--queues={queue}"]
    command += [f"--hostname={node}", "--without-mingle", "--without-gossip"]
    command += ["--loglevel=WARNING"]
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved["task_default_queue"] = app.conf.task_default_queue
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        app.conf.update(broker_url=REDIS, task_always_eager=False, task_default_queue=queue)
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[node], timeout=1):
                if worker.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("the Celery worker did not start:\n" + log.read().decode())
            yield
        finally:
            worker.terminate()
            worker.wait(60)
            with app.connection_for_write() as connection:
                connection.default_channel.queue_delete(queue)
            app.conf.update(saved)
            app._after_fork()  # forget the pooled broker connections


def _celery_run(publication: Publication, warm: Publication, clerk) -> float:
    with _celery_worker():
        # The workers have rendered before, as running workers have.
        _wait_for(rendering.roster_render_start(actor=clerk, publication=warm))
        started = time.perf_counter()
        job = rendering.roster_render_start(actor=clerk, publication=publication)
        _wait_for(job)
        return time.perf_counter() - started


# --- the project's path without Redis: a process pool running the task ----------------------


def _run_task(part_id: int) -> str:
    return tasks.render_roster_part.apply(args=(part_id,), throw=True).get()


def _pool_run(publication: Publication, clerk) -> float:
    connections.close_all()  # forked workers open their own
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS, initializer=warm_up) as pool:
        pool.map(time.sleep, [0.2] * WORKERS)  # every worker started and warmed
        pending = []

        def enqueue(part_id: int) -> None:
            pending.append(pool.apply_async(_run_task, (part_id,)))

        started = time.perf_counter()
        with mock.patch.object(tasks.render_roster_part, "delay", enqueue):
            rendering.roster_render_start(actor=clerk, publication=publication)
        outcomes = [result.get() for result in pending]
        seconds = time.perf_counter() - started
    assert outcomes == ["rendered"] * len(outcomes), outcomes
    return seconds


def run() -> None:
    ensure_roles()
    clerk = _user("bench_roster_clerk", "clerk")
    reviewer = _user("bench_roster_reviewer", "reviewer")
    leader = _user("bench_roster_leader", "leader")
    started = time.perf_counter()
    project = _project("BENCH-ROSTER", PERSONS, clerk, reviewer, leader, COMMUNITIES)
    publication = _published_roster(project, leader)
    warm = _published_roster(_project("BENCH-WARM", 40, clerk, reviewer, leader, 4), leader)
    print(
        f"roster: {publication.row_count} persons in {COMMUNITIES} communities, published"
        f" ({time.perf_counter() - started:.1f} s to build and publish)"
    )
    assert publication.row_count == PERSONS

    warm_up()
    naive_seconds, naive_pages, naive_size = _naive(publication)
    print(
        f"naive: one document, one table of {publication.row_count} rows, automatic layout,"
        f" 1 process: {naive_seconds:.1f} s ({naive_pages} pages, {naive_size / 1048576:.1f} MB)"
    )

    with tempfile.TemporaryDirectory(prefix="roster-bench-") as media:
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
        }
        with override_settings(STORAGES=storages):
            os.environ["PRIVATE_MEDIA_ROOT"] = media  # for a worker started from here
            try:
                if _redis_reachable():
                    how = f"a Celery worker (prefork, {WORKERS} processes) through Redis"
                    seconds = _celery_run(publication, warm, clerk)
                else:
                    how = f"a pool of {WORKERS} processes running the Celery task (no Redis)"
                    seconds = _pool_run(publication, clerk)
            finally:
                del os.environ["PRIVATE_MEDIA_ROOT"]
            job = RenderJob.objects.filter(publication=publication).get()
            parts = list(job.parts.all())
            size = sum(part.file.size for part in parts)

    pages = sum(part.pages for part in parts)
    busy = sum((part.finished_at - part.started_at).total_seconds() for part in parts)
    assert len(parts) == COMMUNITIES and all(p.status == RenderStatus.DONE for p in parts)
    biggest = max(len(pdf_rosters.community_rows(publication, p.label)[1]) for p in parts)
    print(
        f"project: {len(parts)} community PDFs (up to {biggest} rows each), {pages} pages,"
        f" {size / 1048576:.1f} MB, rendered by {how}: {seconds:.1f} s wall"
        f" ({busy:.1f} s of rendering in all, {busy / seconds:.2f} workers busy on average)"
    )
    # Where the speed-up comes from: the naive template on one community's rows, times the
    # communities, is what splitting alone would give.
    community = publication.columns.index(pdf_rosters.COMMUNITY_LABEL)
    sample = [row for row in publication.rows if row[community] == publication.rows[0][community]]
    split_seconds = _naive(publication, sample)[0] * len(publication.rows) / len(sample)
    print(
        f"  where it comes from: one naive document per community would take about"
        f" {split_seconds:.1f} s in all ({naive_seconds / split_seconds:.1f}x, from"
        f" {len(sample)} rows); the project's documents take {busy:.1f} s"
        f" ({split_seconds / busy:.1f}x less again); {WORKERS} workers share them"
        f" ({busy / seconds:.1f}x)"
    )
    ratio = naive_seconds / seconds
    print(
        f"roster PDF speed-up vs a single naive WeasyPrint render: {ratio:.1f}x"
        f" (target >= {TARGET:g}x; wall time, {publication.row_count} persons)"
    )
