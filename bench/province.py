"""Province scale: 200,000 households, 700,000 members in 40 projects (issue 15, item 4).

Takes minutes; `BENCH_SKIP=province make bench` (or `python -m bench` with BENCH_SKIP set)
leaves it out, `python -m bench province` runs it alone. PostgreSQL only.

The data set (bench._province_build: households at every stage, members through COPY,
history rows, transitions) is built once into its own database, `resettlement_province`
(BENCH_PROVINCE_DATABASE), kept between runs and reused when it already holds the data set
of the asked size; BENCH_PROVINCE_REBUILD=1 drops and builds it again. Beside it, the same
builder makes the small set — the same 40 projects of 25 households each, 1,000 households —
in `<database>_small`, dropped at the end. Sizes: BENCH_PROVINCE_PROJECTS (40),
BENCH_PROVINCE_HOUSEHOLDS (5,000 a project).

Measured, each against a target, in one table:

1. every staff list page and API list — first page, a filtered page (one project, a
   status), and on the household lists a search by a name, an ID number and a household
   code — as a user of every role who sees every project (the district office): the number
   of queries on the small set and on the province (target: the same), and the 95th
   percentile of BENCH_PROVINCE_RUNS (15) requests through the whole Django stack (test
   client) on the province (target < 300 ms);
2. the dashboard and the inbox at province size: < 1 s;
3. a 100,000-member import (bench.import_members' functions, in the scratch database of
   `python -m bench`) against its floor, a bare bulk_create of the same rows: ≤ 2.5×;
4. publishing a 50,000-row roster and rendering its PDFs (bench.roster_pdf's path) against
   the same at 5,000 rows: time a row at most 1.5× (it should not grow with the roster);
5. the overdue ledger refresh of the whole province against one project's
   (oversight.tasks.refresh_project_ledger): time a household at most 1.5×.

Then EXPLAIN (ANALYZE, BUFFERS) of the slowest query of each page at province size.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench import _province_build as province_build
from households.models import Household, Member, Project, Relation

PROJECTS = int(os.environ.get("BENCH_PROVINCE_PROJECTS", "40"))
HOUSEHOLDS = int(os.environ.get("BENCH_PROVINCE_HOUSEHOLDS", "5000"))
SMALL_HOUSEHOLDS = 25  # a project: 1,000 households in the 40 projects
DATABASE = os.environ.get("BENCH_PROVINCE_DATABASE", "resettlement_province")
RUNS = int(os.environ.get("BENCH_PROVINCE_RUNS", "15"))
IMPORT_MEMBERS = int(os.environ.get("BENCH_PROVINCE_IMPORT_MEMBERS", "100000"))
ROSTER_ROWS = int(os.environ.get("BENCH_PROVINCE_ROSTER_ROWS", "50000"))
ROSTER_BASE_ROWS = int(os.environ.get("BENCH_PROVINCE_ROSTER_BASE_ROWS", "5000"))
PAGE_P95_MS = 300
BIG_PAGE_S = 1.0
ROLES = ("clerk", "reviewer", "leader", "finance", "notary", "supervisor")
# Pages held to the dashboard's target (< 1 s) rather than a list's.
BIG_PAGES = {"dashboard", "inbox", "API dashboard"}


@dataclass
class PageResult:
    label: str
    url: str
    queries: int
    p95: float
    slowest_sql: str
    slowest_ms: float
    small_queries: int | None = None


@dataclass
class Row:
    what: str
    figure: str
    target: str
    met: bool


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, what: str, figure: str, target: str, met: bool) -> None:
        self.rows.append(Row(what, figure, target, met))

    def print(self) -> None:
        width = max(len(r.what) for r in self.rows)
        fig = max(len(r.figure) for r in self.rows)
        tgt = max(len(r.target) for r in self.rows)
        print(f"\n{'what':<{width}}  {'measured':<{fig}}  {'target':<{tgt}}  verdict")
        for r in self.rows:
            verdict = "met" if r.met else "NOT met"
            print(f"{r.what:<{width}}  {r.figure:<{fig}}  {r.target:<{tgt}}  {verdict}")
        missed = sum(1 for r in self.rows if not r.met)
        print(f"{len(self.rows) - missed} of {len(self.rows)} targets met")


# --- who looks, and at what ---------------------------------------------------------------------


def office_user():
    """A district office user of every role with inbox lines who sees every project."""
    user, _ = get_user_model().objects.get_or_create(
        username="bench_province_office", defaults={"is_staff": True}
    )
    user.groups.add(*Group.objects.filter(name__in=ROLES))
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="households", codename="access_all_projects")
    )
    return get_user_model().objects.get(pk=user.pk)


@dataclass(frozen=True)
class Probe:
    """What the pages are searched and filtered by: a household in the middle of a project."""

    project_code: str
    project_id: int
    household_code: str
    head_name: str
    id_number: str


def probe(project_code: str) -> Probe:
    project = Project.objects.get(code=project_code)
    households = Household.objects.filter(project=project).order_by("code")
    household = households[households.count() // 2]
    head = Member.objects.get(household=household, relation=Relation.HEAD)
    return Probe(project.code, project.pk, household.code, head.name, head.id_number)


def pages(p: Probe) -> list[tuple[str, str]]:
    """(label, url) of every staff list page and API list, with their filters and searches."""

    def q(path: str, **params) -> str:
        return f"{path}?{urlencode(params)}" if params else path

    code, pid = p.project_code, p.project_id
    html = [
        ("households", q("/staff/households/")),
        ("households ?project&status", q("/staff/households/", project=code, status="approved")),
        ("households ?q=name", q("/staff/households/", q=p.head_name)),
        ("households ?q=ID number", q("/staff/households/", q=p.id_number)),
        ("households ?q=household code", q("/staff/households/", q=p.household_code)),
        ("review queue", q("/staff/review/")),
        ("review queue ?project", q("/staff/review/", project=code)),
        ("approval queue", q("/staff/approval/")),
        ("approval queue ?project", q("/staff/approval/", project=code)),
        ("publications", q("/staff/publicity/")),
        ("publications ?project", q("/staff/publicity/", project=code)),
        ("publicity overview", q("/staff/publicity/overview/")),
        ("objections", q("/staff/objections/")),
        ("complaints", q("/staff/complaints/")),
        ("lottery sessions", q("/staff/lottery/")),
        ("lottery sessions ?project", q("/staff/lottery/", project=code)),
        ("finance home", q("/staff/settlement/")),
        ("settlement groups", q(f"/staff/settlement/projects/{code}/")),
        ("subsidy runs", q(f"/staff/settlement/projects/{code}/subsidy-runs/")),
        ("handover list", q("/staff/settlement/handover/")),
        ("handover list ?project", q("/staff/settlement/handover/", project=code)),
        ("defects", q("/staff/settlement/defects/")),
        ("tickets home", q("/staff/tickets/")),
        ("project tickets", q(f"/staff/tickets/projects/{code}/")),
        ("estates", q("/staff/allocation/")),
        ("demand projects", q("/staff/allocation/demands/")),
        ("demands", q(f"/staff/allocation/demands/{code}/")),
        ("ledger", q("/staff/oversight/ledger/")),
        ("ledger ?project", q("/staff/oversight/ledger/", project=code)),
        ("unmask records", q("/staff/personal-data/unmasked/")),
        ("dashboard", q("/staff/oversight/", project=code)),
        ("inbox", q("/staff/")),
    ]
    api = [
        ("API households", q("/api/households/")),
        ("API households ?project&status", q("/api/households/", project=pid, status="approved")),
        ("API households ?search=name", q("/api/households/", search=p.head_name)),
        ("API households ?search=ID number", q("/api/households/", search=p.id_number)),
        ("API households ?search=code", q("/api/households/", search=p.household_code)),
        ("API members", q("/api/members/")),
        ("API members ?project&review", q("/api/members/", project=pid, review_status="pending")),
        ("API projects", q("/api/projects/")),
        ("API statements", q("/api/settlement/statements/")),
        ("API statements ?project", q("/api/settlement/statements/", project=pid)),
        ("API agreements", q("/api/settlement/agreements/")),
        ("API handovers", q("/api/settlement/handovers/")),
        ("API defects", q("/api/settlement/defects/")),
        ("API overdue", q("/api/settlement/overdue/")),
        ("API settlement groups ?project", q("/api/settlement/groups/", project=pid)),
        ("API subsidy runs ?project", q("/api/settlement/subsidy-runs/", project=pid)),
        ("API lottery sessions", q("/api/lottery/sessions/")),
        ("API ledger ?project", q("/api/oversight/ledger/", project=pid)),
        ("API dashboard", q("/api/oversight/dashboard/", project=pid)),
        ("API apartments", q("/api/allocation/apartments/")),
        ("API demands", q("/api/allocation/demands/")),
        ("API tickets", q("/api/tickets/tickets/")),
    ]
    return html + api


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str, status: int = 200):
    response = client.get(url, secure=True, HTTP_ACCEPT="text/html,application/json")
    assert response.status_code == status, (url, response.status_code)
    return response


def measure_pages(
    user, page_list: list[tuple[str, str]], runs: int = RUNS
) -> dict[str, PageResult]:
    """Every page requested `runs` times after one warm-up: queries, p95 and slowest query."""
    # One log line a request would drown the table (the level is put back afterwards: the
    # module's test runs in the test session, whose log tests read this logger).
    access_log = logging.getLogger("resettlement.access")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    try:
        return _measure_pages(user, page_list, runs)
    finally:
        access_log.setLevel(level)


def _measure_pages(user, page_list: list[tuple[str, str]], runs: int) -> dict[str, PageResult]:
    results = {}
    with override_settings(**test_client_settings()):
        client = _client(user)
        for label, url in page_list:
            status = client.get(url, secure=True).status_code
            if status != 200:  # a page that needs what this data set lacks: said, not timed
                print(f"  {label} ({url}): {status}, not measured")
                continue
            times = []
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    _get(client, url)
                    times.append(time.perf_counter() - started)
            slowest = max(captured.captured_queries, key=lambda c: float(c["time"]), default=None)
            results[label] = PageResult(
                label,
                url,
                len(captured),
                percentile(times, 95),
                slowest["sql"] if slowest else "",
                float(slowest["time"]) * 1000 if slowest else 0.0,
            )
    return results


def test_client_settings() -> dict:
    """The test client on plain HTTP as `testserver`; static files as in development."""
    return {
        "ALLOWED_HOSTS": [*settings.ALLOWED_HOSTS, "testserver"],
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    }


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def flat_queries(small: dict[str, PageResult], large: dict[str, PageResult]) -> list[str]:
    """Labels of the pages whose query count differs between the two sets (the target: none)."""
    for label, result in large.items():
        result.small_queries = small[label].queries if label in small else None
    return [label for label, r in large.items() if r.queries != r.small_queries]


def page_rows(report: Report, large: dict[str, PageResult], size: str) -> None:
    for label, r in large.items():
        report.add(
            f"{label}: queries 1k / {size}",
            f"{r.small_queries} / {r.queries}",
            "equal",
            r.small_queries == r.queries,
        )
        limit = BIG_PAGE_S * 1000 if label in BIG_PAGES else PAGE_P95_MS
        report.add(
            f"{label}: p95 at {size}",
            f"{r.p95 * 1000:.0f} ms",
            f"< {limit:.0f} ms",
            r.p95 * 1000 < limit,
        )


def explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [line for (line,) in cursor.fetchall()]


# --- databases ----------------------------------------------------------------------------------


def _server_run(statement: str) -> None:
    import psycopg2

    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    server = psycopg2.connect(**params)
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(statement)
    finally:
        server.close()


def _exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def use_database(name: str) -> None:
    connections["default"].close()
    connections["default"].settings_dict["NAME"] = name


def _ensure_built(name: str, households: int, *, rebuild: bool) -> None:
    """Database `name` migrated and holding the data set (built when missing)."""
    from django.core.management import call_command

    from resettlement.roles import ensure_roles

    current = connection.settings_dict["NAME"]
    if rebuild or not _exists(name):
        _server_run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _server_run(f'CREATE DATABASE "{name}"')
    use_database(name)
    call_command("migrate", verbosity=0)
    ensure_roles()
    if province_build.built(PROJECTS, households):
        print(f"{name}: reusing {PROJECTS} x {households} households (BENCH_PROVINCE_REBUILD=1)")
        return
    if Project.objects.filter(code__startswith=province_build.PREFIX).exists():
        use_database(current)
        _server_run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _server_run(f'CREATE DATABASE "{name}"')
        use_database(name)
        call_command("migrate", verbosity=0)
        ensure_roles()
    print(f"{name}: building {PROJECTS} projects x {households} households")
    started = time.perf_counter()
    province_build.build(PROJECTS, households, actor=office_user())
    print(f"{name}: built in {time.perf_counter() - started:.0f} s")


# --- the other measurements ---------------------------------------------------------------------


def measure_import(report: Report) -> None:
    """bench.import_members at IMPORT_MEMBERS members: the project's import vs its floor. A
    file holds at most IMPORT_MAX_ROWS rows (settings), so the clerk imports the
    roster as files of whole households, one after the other, into the same project."""
    from bench import import_members as im
    from households.resources import HouseholdMemberResource
    from resettlement.imports.base import import_problems
    from resettlement.imports.files import read_roster

    households = IMPORT_MEMBERS // 3  # import_members' sizes: three people a household
    rows = im._member_rows(households)
    code = im.HEADERS.index("户编号")
    files, start = [], 0
    while start < len(rows):
        end = min(start + settings.IMPORT_MAX_ROWS, len(rows))
        while end < len(rows) and rows[end][code] == rows[end - 1][code]:
            end -= 1
        files.append(read_roster(im._xlsx(rows[start:end]), "xlsx"))
        start = end
    clerk = im._clerk()
    imported = im._project("PROVINCE-IMPORT")
    seconds = 0.0
    for dataset in files:
        resource = HouseholdMemberResource(project=imported, user=clerk)
        started = time.perf_counter()
        result = resource.import_data(dataset, file_name="province.xlsx")
        seconds += time.perf_counter() - started
        problems = import_problems(result)
        assert not problems, problems[:5]
    assert Member.objects.filter(project=imported).count() == len(rows)
    assert Member.history.filter(project=imported).count() == len(rows)
    # Its own floor project: bench.import_members made BENCH-FLOOR in this database already.
    floor = im._floor(imported, clerk, code="PROVINCE-FLOOR")
    ratio = seconds / floor
    print(
        f"import of {len(rows)} members in {len(files)} files: {seconds:.1f} s; floor {floor:.1f} s"
    )
    report.add(
        f"import {len(rows):,} members ({len(files)} files) vs floor",
        f"{ratio:.2f}x ({seconds:.0f} s / {floor:.0f} s)",
        "<= 2.5x",
        ratio <= im.FLOOR_TARGET,
    )


def _roster(rows: int, code: str, clerk, reviewer, leader) -> tuple[float, float]:
    """(seconds to publish, seconds to render every community's PDF) for `rows` persons."""
    from bench import roster_pdf
    from bench._render_setup import approved_project, redis_reachable, sizes_for_persons

    project = approved_project(
        code,
        sizes_for_persons(rows),
        communities=roster_pdf.COMMUNITIES,
        groups_per_community=4,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    started = time.perf_counter()
    publication = roster_pdf._published_roster(project, leader)
    publish = time.perf_counter() - started
    assert publication.row_count == rows
    if redis_reachable(roster_pdf.REDIS):
        warm = _roster_warm(clerk, reviewer, leader)
        render = roster_pdf._celery_run(publication, warm, clerk)
    else:
        render = roster_pdf._pool_run(publication, clerk)
    return publish, render


def _roster_warm(clerk, reviewer, leader):
    from bench import roster_pdf
    from publicity.models import Publication

    existing = Publication.objects.filter(project__code="PROVINCE-ROSTER-WARM").first()
    if existing is not None:
        return existing
    return roster_pdf._warm_roster(
        "PROVINCE-ROSTER-WARM", clerk=clerk, reviewer=reviewer, leader=leader
    )


def measure_roster(report: Report) -> None:
    from bench._render_setup import bench_user, temporary_media
    from resettlement.pdf import warm_up

    clerk = bench_user("bench_province_clerk", "clerk")
    reviewer = bench_user("bench_province_reviewer", "reviewer")
    leader = bench_user("bench_province_leader", "leader")
    warm_up()
    with temporary_media("province-roster-"):
        base_publish, base_render = _roster(
            ROSTER_BASE_ROWS, "PROVINCE-ROSTER-5K", clerk, reviewer, leader
        )
        publish, render = _roster(ROSTER_ROWS, "PROVINCE-ROSTER", clerk, reviewer, leader)
    print(
        f"roster {ROSTER_BASE_ROWS} rows: publish {base_publish:.1f} s, PDFs {base_render:.1f} s;"
        f" {ROSTER_ROWS} rows: publish {publish:.1f} s, PDFs {render:.1f} s"
    )
    scale = ROSTER_ROWS / ROSTER_BASE_ROWS
    for what, big, base in (("publish", publish, base_publish), ("PDFs", render, base_render)):
        ratio = (big / scale) / base
        report.add(
            f"roster {ROSTER_ROWS:,} rows, {what}: time a row vs {ROSTER_BASE_ROWS:,}",
            f"{ratio:.2f}x ({big:.1f} s)",
            "<= 1.5x",
            ratio <= 1.5,
        )


def _project_refresh(code: str) -> tuple[int, float]:
    """(households, seconds) of refreshing one project's ledger, after a first refresh (the
    entries exist, as every day after the first)."""
    from oversight import tasks

    project = Project.objects.get(code=code)
    tasks.refresh_project_ledger(project.pk)
    started = time.perf_counter()
    counts = tasks.refresh_project_ledger(project.pk)
    return counts["households"], time.perf_counter() - started


def measure_ledger(
    report: Report, small_db: Callable[[], None], large_db: Callable[[], None]
) -> None:
    """oversight.tasks.refresh_project_ledger of the same project at 25 households (the small
    set) and at province size (its 5,000 households among 200,000): time a household."""
    code = province_build.project_code(0)
    small_db()
    small_households, small_seconds = _project_refresh(code)
    large_db()
    households, seconds = _project_refresh(code)
    print(
        f"ledger refresh of {code}: {small_households} households {small_seconds:.2f} s;"
        f" {households} households {seconds:.1f} s"
    )
    ratio = (seconds / max(households, 1)) / (small_seconds / max(small_households, 1))
    report.add(
        f"ledger refresh, project of {households:,} overdue households: time a household vs"
        f" {small_households}",
        f"{ratio:.2f}x ({seconds:.1f} s, {seconds / max(households, 1) * 1000:.1f} ms each)",
        "<= 1.5x",
        ratio <= 1.5,
    )


# --- the run ------------------------------------------------------------------------------------


def measure_sets(
    small_db: Callable[[], None], large_db: Callable[[], None], report: Report, size: str
) -> dict[str, PageResult]:
    """The page measurements on the small set, then on the large one; the large one's
    results (with the small query counts)."""
    small_db()
    small_pages = pages(probe(province_build.project_code(0)))
    small = measure_pages(office_user(), small_pages, runs=2)
    large_db()
    large = measure_pages(office_user(), pages(probe(province_build.project_code(0))))
    flat_queries(small, large)
    page_rows(report, large, size)
    return large


def run() -> None:
    from resettlement.roles import ensure_roles

    if connection.vendor != "postgresql":
        print("province: PostgreSQL only (set DATABASE_URL); skipped")
        return
    scratch = connection.settings_dict["NAME"]
    rebuild = os.environ.get("BENCH_PROVINCE_REBUILD") == "1"
    small_name = f"{DATABASE}_small"
    report = Report()
    size = f"{PROJECTS * HOUSEHOLDS // 1000}k"
    try:
        _ensure_built(DATABASE, HOUSEHOLDS, rebuild=rebuild)
        _ensure_built(small_name, SMALL_HOUSEHOLDS, rebuild=True)
        use_database(DATABASE)
        print(
            f"province: {Household.objects.count():,} households, {Member.objects.count():,}"
            f" members in {Project.objects.count()} projects"
        )
        # First: the probed project's ledger then holds its entries when its page is read.
        measure_ledger(report, lambda: use_database(small_name), lambda: use_database(DATABASE))
        large = measure_sets(
            lambda: use_database(small_name), lambda: use_database(DATABASE), report, size
        )
        use_database(scratch)
        ensure_roles()
        for stage in (measure_roster, measure_import):
            try:
                stage(report)
            except Exception as exc:  # noqa: BLE001 - the table still prints; said in it
                print(f"{stage.__name__} failed: {exc!r}")
                report.add(stage.__name__, "failed", "runs", False)
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        report.print()
        print(f"load average: {' '.join(load)}")
        use_database(DATABASE)
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of each page's slowest query at {size}:")
        for r in sorted(large.values(), key=lambda r: -r.slowest_ms):
            if not r.slowest_sql:
                continue
            print(f"\n-- {r.label} ({r.url}): {r.slowest_ms:.1f} ms")
            print(f"   {r.slowest_sql[:300]}{'…' if len(r.slowest_sql) > 300 else ''}")
            for line in explain(r.slowest_sql):
                print(f"   {line}")
    finally:
        use_database(scratch)
        _server_run(f'DROP DATABASE IF EXISTS "{small_name}" WITH (FORCE)')
