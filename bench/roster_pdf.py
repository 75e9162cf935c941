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

import os
import time

from django.template import engines

from bench._render_setup import (
    approved_project,
    bench_user,
    celery_worker,
    pool_run,
    redis_reachable,
    sizes_for_persons,
    temporary_media,
    wait_for,
)
from households.models import (
    Project,
)
from publicity import tasks
from publicity.models import Publication, RenderJob, RenderStatus
from publicity.pdf import rosters
from publicity.services import publications, rendering
from resettlement.pdf import warm_up
from resettlement.roles import ensure_roles

PERSONS = int(os.environ.get("BENCH_ROSTER_PERSONS", "15000"))
WORKERS = int(os.environ.get("BENCH_ROSTER_WORKERS", "2"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
COMMUNITIES = 12
TARGET = 3.0

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


def _published_roster(project: Project, leader) -> Publication:
    """Drafted by a second leader, published by the first (four-eyes on publishing)."""
    drafter = bench_user("bench_roster_leader2", "leader")
    draft = publications.publication_create(actor=drafter, project=project, kind="population")
    return publications.publication_publish(actor=leader, publication=draft)


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


def _warm_roster(code: str, *, clerk, reviewer, leader) -> Publication:
    """A small published roster (40 persons) the workers render first, as running workers
    have rendered before: `_celery_run`'s `warm`."""
    project = approved_project(
        code,
        sizes_for_persons(40),
        communities=4,
        groups_per_community=4,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    return _published_roster(project, leader)


def _celery_run(publication: Publication, warm: Publication, clerk) -> float:
    with celery_worker(REDIS, WORKERS, "roster"):
        # The workers have rendered before, as running workers have.
        wait_for(rendering.roster_render_start(actor=clerk, publication=warm))
        started = time.perf_counter()
        job = rendering.roster_render_start(actor=clerk, publication=publication)
        wait_for(job)
        return time.perf_counter() - started


# --- the project's path without Redis: a process pool running the task ----------------------


def _run_task(part_id: int) -> str:
    return tasks.render_roster_part.apply(args=(part_id,), throw=True).get()


def _pool_run(publication: Publication, clerk) -> float:
    _job, outcomes, seconds = pool_run(
        tasks.render_roster_part,
        _run_task,
        lambda: rendering.roster_render_start(actor=clerk, publication=publication),
        WORKERS,
    )
    assert outcomes == ["rendered"] * len(outcomes), outcomes
    return seconds


def run() -> None:
    ensure_roles()
    clerk = bench_user("bench_roster_clerk", "clerk")
    reviewer = bench_user("bench_roster_reviewer", "reviewer")
    leader = bench_user("bench_roster_leader", "leader")
    started = time.perf_counter()
    project = approved_project(
        "BENCH-ROSTER",
        sizes_for_persons(PERSONS),
        communities=COMMUNITIES,
        groups_per_community=4,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    publication = _published_roster(project, leader)
    warm = _warm_roster("BENCH-ROSTER-WARM", clerk=clerk, reviewer=reviewer, leader=leader)
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

    with temporary_media("roster-bench-"):
        if redis_reachable(REDIS):
            how = f"a Celery worker (prefork, {WORKERS} processes) through Redis"
            seconds = _celery_run(publication, warm, clerk)
        else:
            how = f"a pool of {WORKERS} processes running the Celery task (no Redis)"
            seconds = _pool_run(publication, clerk)
        job = RenderJob.objects.filter(publication=publication).get()
        parts = list(job.parts.all())
        size = sum(part.file.size for part in parts)

    pages = sum(part.pages for part in parts)
    busy = sum((part.finished_at - part.started_at).total_seconds() for part in parts)
    assert len(parts) == COMMUNITIES and all(p.status == RenderStatus.DONE for p in parts)
    biggest = max(len(rosters.community_rows(publication, p.label)[1]) for p in parts)
    print(
        f"project: {len(parts)} community PDFs (up to {biggest} rows each), {pages} pages,"
        f" {size / 1048576:.1f} MB, rendered by {how}: {seconds:.1f} s wall"
        f" ({busy:.1f} s of rendering in all, {busy / seconds:.2f} workers busy on average)"
    )
    # Where the speed-up comes from: the naive template on one community's rows, times the
    # communities, is what splitting alone would give.
    community = publication.columns.index(rosters.COMMUNITY_LABEL)
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
