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

And a profile of one notice, in this process on a few groups: where its CPU time goes
(QR code, template, WeasyPrint's layout, WeasyPrint's drawing and writing), for the plain
render (before issue 15: every page laid out in full with WeasyPrint's whole default
stylesheet, the QR code's mask chosen by qrcode and the code laid out as an image, the
garbage collector scanning everything) and for the project's path (stamps, the QR code
from zxing-cpp drawn into the page by the finisher, the default stylesheet less what a
notice never uses: publicity.pdf, resettlement.pdf; the loaded process frozen out of the
collector's sight: resettlement.pdf.warm_up).

Target (issue 15): at least 150 notices per second for the batch with 2 worker processes
(a one-page WeasyPrint document costs about 9.6 ms here: 2 x 104 a second).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections import Counter
from contextlib import contextmanager

from django.utils import timezone

from bench._render_setup import (
    approved_project,
    bench_user,
    celery_worker,
    pool_run,
    redis_reachable,
    sizes_for_households,
    temporary_media,
    wait_for,
)
from households.models import (
    Household,
    Project,
    VillagerGroup,
)
from publicity import tasks
from publicity.models import RenderJob, RenderStatus
from publicity.pdf import notices as publicity_notices
from publicity.services import notices
from resettlement import pdf as resettlement_pdf
from resettlement.pdf import warm_up
from resettlement.roles import ensure_roles

HOUSEHOLDS = int(os.environ.get("BENCH_NOTICES", "5000"))
WORKERS = int(os.environ.get("BENCH_NOTICE_WORKERS", "2"))
NAIVE_SAMPLE = int(os.environ.get("BENCH_NOTICES_NAIVE", "150"))
# A Redis database of its own: other benchmarks and tests on the same server purge theirs.
REDIS = os.environ.get("BENCH_NOTICES_REDIS_URL", "redis://127.0.0.1:6379/7")
COMMUNITIES = 12
GROUPS_PER_COMMUNITY = 8
TARGET = 150.0
PROFILE_GROUPS = int(os.environ.get("BENCH_NOTICES_PROFILE_GROUPS", "3"))
LOTTERY = {
    "starts_at": (timezone.localdate() + dt.timedelta(days=14)).isoformat() + "T08:30",
    "place": "开发区文体中心一楼大厅",
    "contact": "0571-86001234",
}


def _start(project: Project, clerk) -> RenderJob:
    return notices.notices_render_start(
        actor=clerk, project=project, notice_type="allocation", options=LOTTERY
    )


def _outcome(job: RenderJob, seconds: float, cpu: float | None) -> dict:
    parts = list(job.parts.all())
    busy = sum((part.finished_at - part.started_at).total_seconds() for part in parts)
    return {"seconds": seconds, "parts": parts, "busy": busy, "cpu": cpu}


# --- a real Celery worker through Redis ------------------------------------------------------


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


def _celery_run(project: Project, warm: Project, clerk) -> dict:
    with celery_worker(REDIS, WORKERS, "notices") as worker:
        wait_for(_start(warm, clerk))  # every worker process has rendered once
        cpu = _cpu_seconds(worker.pid)
        started = time.perf_counter()
        job = _start(project, clerk)
        wait_for(job)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds(worker.pid) - cpu
    return _outcome(job, seconds, cpu)


# --- without Redis: a process pool running the task ------------------------------------------


def _run_task(part_id: int) -> tuple[bool, float]:
    cpu = time.process_time()
    result = tasks.render_notices_part.apply(args=(part_id,), throw=True).get()
    return result, time.process_time() - cpu


def _pool_run(project: Project, clerk) -> dict:
    job, results, seconds = pool_run(
        tasks.render_notices_part, _run_task, lambda: _start(project, clerk), WORKERS
    )
    assert all(done for done, _ in results), "a part was not rendered"
    return _outcome(job, seconds, sum(cpu for _, cpu in results))


def _naive(project: Project) -> tuple[int, float]:
    """One WeasyPrint document per household, one process."""
    options = notices.clean_options(project=project, notice_type="allocation", options=LOTTERY)
    households = list(
        notices._households(project, "allocation").order_by("-code")[:NAIVE_SAMPLE]
    )  # not the codes the batch rendered last: no QR cache hits
    publicity_notices.qr_png_data_uri.cache_clear()
    started = time.perf_counter()
    for household in households:
        pdf, pages = publicity_notices.notices_render(
            households=[household], notice_type="allocation", options=options
        )
        assert pages == 1
    return len(households), time.perf_counter() - started


def _qrcode_matrix(text: str) -> list[list[bool]]:
    """The QR code as qrcode makes it (the notices' code before issue 15)."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _qr_cost(matrix, samples: int = 500) -> float:
    """Seconds of CPU for one QR code's modules (`matrix(text)`)."""
    started = time.process_time()
    for i in range(samples):
        matrix(publicity_notices.resident_url(f"BENCHQR{i:06d}"))
    return (time.process_time() - started) / samples


# --- where a notice's time goes ---------------------------------------------------------------


@contextmanager
def _timed(spent: Counter, owner, name: str, label: str):
    """Adds the CPU time of every call of owner.name to spent[label] (nested calls of the
    same label counted once)."""
    original = getattr(owner, name)
    depth = [0]

    def timed(*args, **kwargs):
        depth[0] += 1
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                spent[label] += time.process_time() - started

    setattr(owner, name, timed)
    try:
        yield
    finally:
        setattr(owner, name, original)


STAGES = (
    "QR code",
    "template (Django)",
    "HTML parse, CSS, layout (WeasyPrint)",
    "drawing, fonts, PDF (WeasyPrint)",
)


def _profile(project: Project) -> dict[str, Counter]:
    """CPU milliseconds per notice by stage, plain render against the project's path."""
    from weasyprint import HTML
    from weasyprint.document import Document

    options = notices.clean_options(project=project, notice_type="allocation", options=LOTTERY)
    groups = list(VillagerGroup.objects.filter(project=project).order_by("-code")[:PROFILE_GROUPS])
    batches = [list(notices._households(project, "allocation").filter(group=g)) for g in groups]
    results = {}
    for label, stamps, qr in (
        ("plain (before)", False, _qrcode_matrix),
        ("project's path", True, publicity_notices.qr_matrix),
    ):
        if stamps:
            gc.collect()
            gc.freeze()  # as a warmed worker does (resettlement.pdf.warm_up)
        else:
            gc.unfreeze()  # as workers ran before issue 15
        spent: Counter = Counter()
        count = 0
        original_qr = publicity_notices.qr_matrix
        publicity_notices.qr_matrix = qr
        try:
            with (
                _timed(spent, publicity_notices, "qr_matrix", STAGES[0]),
                _timed(spent, resettlement_pdf, "render_to_string", STAGES[1]),
                _timed(spent, HTML, "__init__", STAGES[2]),
                _timed(spent, HTML, "render", STAGES[2]),
                _timed(spent, Document, "write_pdf", STAGES[3]),
            ):
                # The first batch warms the process (the stamps' pages): not counted.
                for number, households in enumerate(batches):
                    publicity_notices.qr_png_data_uri.cache_clear()
                    started = time.process_time()
                    publicity_notices.notices_render(
                        households=households,
                        notice_type="allocation",
                        options=options,
                        stamps=stamps,
                    )
                    if number == 0:
                        spent.clear()
                        continue
                    spent["total"] += time.process_time() - started
                    count += len(households)
        finally:
            publicity_notices.qr_matrix = original_qr
        results[label] = Counter({key: value * 1000 / count for key, value in spent.items()})
    return results


def _print_profile(results: dict[str, Counter]) -> None:
    labels = list(results)
    print("profile of a notice, ms of CPU in this process (notices.py docstring):")
    print(f"  {'':38s}" + "".join(f"{label:>17s}" for label in labels))
    for stage in (*STAGES, "other (queries, context, glue)", "total"):
        if stage.startswith("other"):
            values = [
                results[label]["total"] - sum(results[label][s] for s in STAGES) for label in labels
            ]
        else:
            values = [results[label][stage] for label in labels]
        print(f"  {stage:38s}" + "".join(f"{value:17.2f}" for value in values))


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def run() -> None:
    print(f"machine: {_load()}")
    ensure_roles()
    clerk = bench_user("bench_notice_clerk", "clerk")
    reviewer = bench_user("bench_notice_reviewer", "reviewer")
    leader = bench_user("bench_notice_leader", "leader")
    started = time.perf_counter()
    project = approved_project(
        "BENCH-NOTICES",
        sizes_for_households(HOUSEHOLDS),
        communities=COMMUNITIES,
        groups_per_community=GROUPS_PER_COMMUNITY,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    warm = approved_project(  # 12 groups of one household
        "BENCH-NOTICES-WARM",
        sizes_for_households(12),
        communities=COMMUNITIES,
        groups_per_community=1,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    groups = COMMUNITIES * GROUPS_PER_COMMUNITY
    print(
        f"{HOUSEHOLDS} approved households in {COMMUNITIES} communities x"
        f" {GROUPS_PER_COMMUNITY} groups ({time.perf_counter() - started:.1f} s to build)"
    )
    print(
        f"QR code's modules per notice: qrcode {_qr_cost(_qrcode_matrix) * 1000:.2f} ms,"
        f" publicity.pdf.qr {_qr_cost(publicity_notices.qr_matrix) * 1000:.2f} ms (CPU)"
    )

    warm_up()
    _print_profile(_profile(project))
    naive_count, naive_seconds = _naive(project)
    naive_rate = naive_count / naive_seconds
    print(
        f"naive, one document per notice, 1 process, {naive_count} notices:"
        f" {naive_seconds:.2f} s, {naive_rate:.1f} notices/s"
    )

    with temporary_media("notices-bench-"):
        if redis_reachable(REDIS):
            how = f"a Celery worker (prefork, {WORKERS} processes) through Redis"
            outcome = _celery_run(project, warm, clerk)
        else:
            how = f"a pool of {WORKERS} processes running the Celery task (no Redis)"
            outcome = _pool_run(project, clerk)
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
    verdict = "met" if rate >= TARGET else "NOT met"
    print(
        f"allocation notices: {rate:.0f} per second with {WORKERS} worker processes"
        f" (target >= {TARGET:g}: {verdict}; {_load()})"
    )
