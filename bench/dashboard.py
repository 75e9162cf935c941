"""The progress dashboard (/staff/oversight/) for 5,000 households against 100.

Builds two projects in bulk (bench._progress_setup: households at every stage, in 4
communities of 3 villager groups and 6 working teams), then renders the leader's dashboard
page for each (the view, its selectors and the template, warmed up once) and counts the
queries. Target (issue 6): the same number of queries for 5,000 households as for 100. The
ratio of render times is printed for information: the database still counts 50 times the
rows.

    python -m bench dashboard
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.test import RequestFactory, override_settings

from bench._progress_setup import build_progress_project, measure_page, spread
from bench._render_setup import bench_user
from oversight.views import dashboard as dashboard_views
from resettlement.roles import ensure_roles

LARGE = int(os.environ.get("BENCH_DASHBOARD_HOUSEHOLDS", "5000"))
SMALL = 100
RUNS = 5


def _render(project, user) -> tuple[int, float]:
    """(queries, median seconds) of rendering the dashboard page for `project`."""
    request = RequestFactory().get("/staff/oversight/", {"project": project.code})
    request.user = user
    return measure_page(dashboard_views.dashboard, request, RUNS)


def run() -> None:
    ensure_roles()
    leader = bench_user("bench_dashboard_leader", "leader")
    started = time.perf_counter()
    # The two projects differ only in their number of households.
    small, large = (
        build_progress_project(
            code,
            spread(count, groups=12, teams=6),
            actor=leader,
            communities=4,
            groups_per_community=3,
            teams=6,
        )
        for code, count in (("DASH-S", SMALL), ("DASH-L", LARGE))
    )
    print(f"built {SMALL} + {LARGE} households in {time.perf_counter() - started:.1f} s")
    # Static files as in development: the benchmark does not run collectstatic.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        small_queries, small_time = _render(small, leader)
        large_queries, large_time = _render(large, leader)
    print(f"dashboard, {SMALL} households: {small_queries} queries, {small_time * 1000:.1f} ms")
    print(f"dashboard, {LARGE} households: {large_queries} queries, {large_time * 1000:.1f} ms")
    print(f"render time ratio {LARGE}/{SMALL}: {large_time / small_time:.2f}x (information)")
    verdict = "PASS" if large_queries == small_queries else "FAIL"
    print(f"queries equal for {LARGE} and {SMALL} households (target): {verdict}")
