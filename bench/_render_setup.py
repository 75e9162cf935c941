"""(Not a benchmark: the leading underscore keeps `python -m bench` from running it.)

What the PDF benchmarks share: a project of approved households made in bulk, and a
real `celery worker` through Redis as deployed (prefork, prefetch 1) on a queue of the
run's own, with a wait that gives up when parts stop finishing; without Redis, a pool of
forked processes running the render task."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
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
from publicity.models import RenderJob, RenderStatus
from resettlement.pdf import warm_up

SIZES = (3, 2, 4, 3, 1, 5, 3, 3, 2, 4)  # three people per household on average
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "秀英", "志强", "桂兰", "海燕", "国华", "晓明", "玉梅", "春生", "丽娟")
RELATIONS = (Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.CHILD, Relation.PARENT)


def bench_user(username: str, role: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    # District office staff: sees every project (households.access).
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="households", codename="access_all_projects")
    )
    return get_user_model().objects.get(pk=user.pk)


def sizes_for_households(count: int) -> list[int]:
    return [SIZES[h % len(SIZES)] for h in range(count)]


def sizes_for_persons(persons: int) -> list[int]:
    sizes: list[int] = []
    while (total := sum(sizes)) < persons:
        sizes.append(min(SIZES[len(sizes) % len(SIZES)], persons - total))
    return sizes


def approved_project(
    code: str,
    household_sizes: Sequence[int],
    *,
    communities: int,
    groups_per_community: int,
    clerk,
    reviewer,
    leader,
) -> Project:
    """One project of approved households with qualified members, made in bulk (the
    registration, import and review paths have their own benchmarks)."""
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
        for g in range(groups_per_community):
            groups.append(
                VillagerGroup.objects.create(
                    project=project,
                    community=community,
                    code=f"{code}-C{c:02d}-G{g}",
                    name=f"第{g + 1}村民小组",
                )
            )
    now = timezone.now()
    households = [
        Household(
            project=project,
            community_id=groups[h % len(groups)].community_id,
            group=groups[h % len(groups)],
            code=f"{code}-{h:05d}",
            address=f"南宫河村{h % 9 + 1}组{h}号",
            status=HouseholdStatus.APPROVED,
            registered_by=clerk,
            approved_by=leader,
            approved_at=now,
            resettlement_population=size,
            entitlement_area=Decimal(50 * size),
        )
        for h, size in enumerate(household_sizes)
    ]
    Household.objects.bulk_create(households, batch_size=1000)
    members, person = [], 0
    for household, size in zip(households, household_sizes, strict=True):
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


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def wait_for(job: RenderJob, stall: float = 120) -> None:
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
                f"job {job.pk}: {done} of {len(statuses)} parts done, none for {stall} s"
            )
        time.sleep(0.05)


@contextmanager
def temporary_media(prefix: str) -> Iterator[str]:
    """Rendered files go to a temporary directory, for this process and for a worker
    started from it (PRIVATE_MEDIA_ROOT), and are gone afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as media:
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
        }
        with override_settings(STORAGES=storages):
            os.environ["PRIVATE_MEDIA_ROOT"] = media
            try:
                yield media
            finally:
                del os.environ["PRIVATE_MEDIA_ROOT"]


@contextmanager
def celery_worker(redis_url: str, workers: int, name: str) -> Iterator[subprocess.Popen]:
    """`celery worker` as deployed (prefork, `workers` processes, prefetch 1) on a queue of
    this run's own; this process sends to it as the web process does."""
    from resettlement.celery import app

    queue = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@bench"
    env = {**os.environ, "REDIS_URL": redis_url}
    command = [sys.executable, "-m", "celery", "--app=resettlement", "worker"]
    command += [f"--concurrency={workers}", "--pool=prefork", f"--queues={queue}"]
    command += [f"--hostname={node}", "--without-mingle", "--without-gossip"]
    command += ["--loglevel=WARNING"]
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved["task_default_queue"] = app.conf.task_default_queue
    saved["task_routes"] = app.conf.task_routes
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        # Every task, the PDF ones too, on this run's queue (not the shared `pdf` queue).
        app.conf.update(
            broker_url=redis_url, task_always_eager=False, task_default_queue=queue, task_routes={}
        )
        # Forget broker connections pooled by an earlier benchmark (e.g. an eager seed on
        # the in-memory transport): the ping must go through this worker's broker.
        app._after_fork()
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


def pool_run(
    task: Any, run_part: Callable[[int], Any], start: Callable[[], Any], workers: int
) -> tuple[Any, list, float]:
    """The project's path without Redis: `start()` with each part `task.delay` queues sent
    to a pool of `workers` forked, warmed processes running `run_part(part_id)`. Returns
    what `start` returned, each part's result, and the seconds until every part is done."""
    connections.close_all()  # forked workers open their own
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=warm_up) as pool:
        pool.map(time.sleep, [0.2] * workers)  # every worker started and warmed
        pending = []

        def enqueue(part_id: int) -> None:
            pending.append(pool.apply_async(run_part, (part_id,)))

        started = time.perf_counter()
        with mock.patch.object(task, "delay", enqueue):
            value = start()
        results = [result.get() for result in pending]
        seconds = time.perf_counter() - started
    return value, results, seconds
