"""Allocation notices (分房摇号通知书) in villager-group batches, as the system renders them.

Builds one project of BENCH_NOTICES approved households (5,000 by default) in 12
communities of 8 villager groups, then times a whole batch from the staff member's click to
the last group's PDF: `notices_render_start` creates the job and one part per group and
queues one Celery task per part after commit. With Redis reachable (BENCH_NOTICES_REDIS_URL,
default redis://127.0.0.1:6379/7) a real `celery worker` runs them as deployed (prefork,
BENCH_NOTICE_WORKERS=2 processes: the machine has two cores, prefetch 1); without Redis a
pool of as many processes runs the same task, fed in the order the tasks are queued. The
workers are started and have rendered before the clock starts, as running workers have.

For comparison, in the same run: the same notices rendered one WeasyPrint document per
household in one process (how a naive implementation renders them, and what the
single-notice download costs), on a sample of households.

The machine's load is printed before and after: on a shared machine the wall-clock rate
moves with it, so the workers' CPU time per notice is printed too.

Target: at least 80 notices per second for the batch.
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
from publicity.models import RenderJob, RenderStatus
from resettlement.pdf import warm_up
from resettlement.roles import ensure_roles

HOUSEHOLDS = int(os.environ.get("BENCH_NOTICES", "5000"))
WORKERS = int(os.environ.get("BENCH_NOTICE_WORKERS", "2"))
NAIVE_SAMPLE = int(os.environ.get("BENCH_NOTICES_NAIVE", "150"))
# A Redis database of its own: other benchmarks and tests on the same server purge theirs.
REDIS = os.environ.get("BENCH_NOTICES_REDIS_URL", "redis://127.0.0.1:6379/7")
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


def _project(
    code: str, households_count: int, groups_per_community: int, clerk, reviewer, leader
) -> Project:
    """One project, approved households with qualified members, made in bulk (the import
    and review paths have their own benchmarks)."""
    project = Project.objects.create(
        code=code,
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
        for g in range(groups_per_community):
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
    for h in range(households_count):
        group = groups[h % len(groups)]
        size = SIZES[h % len(SIZES)]
        households.append(
            Household(
                project=project,
                community_id=group.community_id,
                group=group,
                code=f"{code}-{h:05d}",
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


def _start(project: Project, clerk) -> RenderJob:
    return notices.notices_render_start(
        actor=clerk, project=project, notice_type="allocation", options=LOTTERY
    )


def _outcome(job: RenderJob, seconds: float, cpu: float | None) -> dict:
    parts = list(job.parts.all())
    busy = sum((part.finished_at - part.started_at).total_seconds() for part in parts)
    return {"seconds": seconds, "parts": parts, "busy": busy, "cpu": cpu}


# --- a real Celery worker through Redis ------------------------------------------------------


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _wait_for(job: RenderJob, stall: float = 120) -> None:
    """Until every part is done; gives up when no part finishes for `stall` seconds (a
    message lost from the broker leaves its part queued for ever)."""
    done, progress_at = -1, time.monotonic()
    while True:
        statuses = list(job.parts.values_list("status", flat=True))
        if all(status == RenderStatus.DONE for status in statuses):
            return
        if RenderStatus.FAILED in statuses:
            raise RuntimeError(list(job.parts.values_list("label", "error")))
        if statuses.count(RenderStatus.DONE) != done:
            done, progress_at = statuses.count(RenderStatus.DONE), time.monotonic()
        elif time.monotonic() - progress_at > stall:
            raise RuntimeError(
                f"notices job {job.pk}: {done} of {len(statuses)} parts done, none for {stall} s"
            )
        time.sleep(0.05)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (the prefork pool), from
    /proc: the worker runs in other processes than this one."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


@contextmanager
def _celery_worker():
    """`celery worker` as deployed (prefork, WORKERS processes, prefetch 1) on a queue of
    this run's own; this process sends to it as the web process does."""
    from resettlement.celery import app

    queue = f"bench-notices-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@bench"
    env = {**os.environ, "REDIS_URL": REDIS}
    command = [sys.executable, "-m", "celery", "--app=resettlement", "worker"]
    command += [f"--concurrency={WORKERS}", "--pool=prefork", f"--queues={queue}"]
    command += [f"--hostname={node}", "--without-mingle", "--without-gossip"]
    command += ["--loglevel=WARNING"]
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved["task_default_queue"] = app.conf.task_default_queue
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        app.conf.update(broker_url=REDIS, task_always_eager=False, task_default_queue=queue)
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[node], timeout=1):
                if worker.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("the Celery worker did not start:\n" + log.read().decode())
            yield worker
        finally:
            worker.terminate()
            worker.wait(60)
            with app.connection_for_write() as connection:
                connection.default_channel.queue_delete(queue)
            app.conf.update(saved)
            app._after_fork()  # forget the pooled broker connections


def _celery_run(project: Project, warm: Project, clerk) -> dict:
    with _celery_worker() as worker:
        _wait_for(_start(warm, clerk))  # every worker process has rendered once
        cpu = _cpu_seconds(worker.pid)
        started = time.perf_counter()
        job = _start(project, clerk)
        _wait_for(job)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds(worker.pid) - cpu
    return _outcome(job, seconds, cpu)


# --- without Redis: a process pool running the task ------------------------------------------


def _run_task(part_id: int) -> tuple[bool, float]:
    cpu = time.process_time()
    result = tasks_notices.render_notices_part.apply(args=(part_id,), throw=True).get()
    return result, time.process_time() - cpu


def _pool_run(project: Project, clerk) -> dict:
    connections.close_all()  # forked workers open their own
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS, initializer=warm_up) as pool:
        pool.map(time.sleep, [0.2] * WORKERS)  # every worker started and warmed
        pending = []

        def enqueue(part_id: int) -> None:
            pending.append(pool.apply_async(_run_task, (part_id,)))

        started = time.perf_counter()
        with mock.patch.object(tasks_notices.render_notices_part, "delay", enqueue):
            job = _start(project, clerk)
        results = [result.get() for result in pending]
        seconds = time.perf_counter() - started
    assert all(done for done, _ in results), "a part was not rendered"
    return _outcome(job, seconds, sum(cpu for _, cpu in results))


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
    project = _project("BENCH-NOTICES", HOUSEHOLDS, GROUPS_PER_COMMUNITY, clerk, reviewer, leader)
    warm = _project("BENCH-WARM", 12, 1, clerk, reviewer, leader)  # 12 groups of 1
    groups = COMMUNITIES * GROUPS_PER_COMMUNITY
    print(
        f"{HOUSEHOLDS} approved households in {COMMUNITIES} communities x"
        f" {GROUPS_PER_COMMUNITY} groups ({time.perf_counter() - started:.1f} s to build)"
    )
    print(f"QR code (PNG data URI) per notice: {_qr_cost() * 1000:.2f} ms")

    warm_up()
    naive_count, naive_seconds = _naive(project)
    naive_rate = naive_count / naive_seconds
    print(
        f"naive, one document per notice, 1 process, {naive_count} notices:"
        f" {naive_seconds:.2f} s, {naive_rate:.1f} notices/s"
    )

    with tempfile.TemporaryDirectory(prefix="notices-bench-") as media:
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
                    outcome = _celery_run(project, warm, clerk)
                else:
                    how = f"a pool of {WORKERS} processes running the Celery task (no Redis)"
                    outcome = _pool_run(project, clerk)
            finally:
                del os.environ["PRIVATE_MEDIA_ROOT"]
            parts = outcome["parts"]
            size = sum(part.file.size for part in parts)

    seconds, busy, cpu = outcome["seconds"], outcome["busy"], outcome["cpu"]
    pages = sum(part.pages for part in parts)
    assert len(parts) == groups and all(p.status == RenderStatus.DONE for p in parts)
    assert pages == HOUSEHOLDS, (pages, HOUSEHOLDS)
    for part in parts:
        assert part.pages == Household.objects.filter(group=part.group).count(), part.label
    rate = pages / seconds
    print(
        f"batch: {len(parts)} group PDFs, {pages} pages (one per household),"
        f" {size / 1048576:.1f} MB, rendered by {how}: {seconds:.2f} s wall"
        f" ({busy:.1f} s of rendering, {busy / seconds:.2f} workers busy on average)"
    )
    print(
        f"CPU time in the workers: {cpu * 1000 / pages:.1f} ms per notice; with {WORKERS} cores"
        f" to themselves they would render {WORKERS * pages / cpu:.0f} notices/s"
        f" (machine now: {_load()})"
    )
    print(f"batch vs naive: {rate / naive_rate:.1f}x")
    print(f"allocation notices: {rate:.0f} per second (target >= {TARGET:g})")
