"""Throughput of the public pages on gunicorn, against a trivial view on the same server.

Seeds the demo programme (seed_demo, BENCH_PUBLIC_HOUSEHOLDS households, 300 by default,
as `make run`) into the benchmark's scratch database, starts gunicorn (2 workers, as
deployed) on a free loopback port with DEBUG off, and drives it with wrk:
BENCH_PUBLIC_CONNECTIONS connections (64) for BENCH_PUBLIC_SECONDS (10) per page, after a
short warm-up of each. Pages:

- the trivial view: a Django view that returns "ok" behind all the site's middleware (the
  baseline; only the benchmark's URLconf has it, see bench/_load_urls.py);
- the public lookup page (/public/my/, where a resident types the code from the notice);
- a published publication's public page (the demo's largest, first page of its table).

Prints requests per second, p99 latency and errors (non-2xx responses and socket errors)
for each, and each public page's throughput as a share of the trivial view's, then each
public page against the target, marked met or not: at least 70 %, p99 under 100 ms, zero
errors (issue 15). Needs wrk (Debian package `wrk`).

Past one machine (docs/scaling.md): PUBLIC_LOAD_REPLICAS=3 starts three gunicorn servers
(2 workers each, separate ports, the same database and Redis) behind nginx, round-robin, as
docker-compose.yml runs the web replicas, and prints the same table through the proxy. Needs
Debian's nginx (`apt-get install nginx`); on one 2-core machine the replicas share the cores,
so the figure shows the proxy's cost and that nothing breaks across replicas, not a gain.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings

from bench._server import (
    TRIVIAL,
    WrkResult,
    gunicorn,
    nginx_path,
    replicas,
    server_environment,
    wrk,
)

HOUSEHOLDS = int(os.environ.get("BENCH_PUBLIC_HOUSEHOLDS", "300"))
CONNECTIONS = int(os.environ.get("BENCH_PUBLIC_CONNECTIONS", "64"))
SECONDS = int(os.environ.get("BENCH_PUBLIC_SECONDS", "10"))
WARM_UP_SECONDS = 2
TARGET_SHARE = 0.70
TARGET_P99_MS = 100.0
# 1: one gunicorn, as before; N > 1: N gunicorns behind nginx (module docstring).
REPLICAS = int(os.environ.get("PUBLIC_LOAD_REPLICAS", "1"))


def _seed(media: str) -> None:
    """The demo programme, as `make demo` builds it (the command wants DEBUG on); its
    Celery tasks (notice PDFs) run in-process."""
    from resettlement.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with override_settings(
            DEBUG=True,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": media},
                },
            },
        ):
            call_command(
                "seed_demo", "--households", str(HOUSEHOLDS), "--if-empty", stdout=io.StringIO()
            )
    finally:
        app.conf.task_always_eager = eager


def _largest_publication() -> tuple[int, int]:
    from publicity.models import PublicationStatus
    from publicity.selectors.public_site import public_publications

    published = public_publications().filter(status=PublicationStatus.PUBLISHED)
    sizes = list(published.values_list("row_count", "pk"))
    if not sizes:
        raise SystemExit("the demo data has no published publication")
    rows, pk = max(sizes)
    return pk, rows


def _line(label: str, result: WrkResult, baseline: WrkResult | None) -> str:
    share = (
        f"{result.requests_per_second / baseline.requests_per_second:6.0%}"
        if baseline and baseline.requests_per_second
        else "     -"
    )
    return (
        f"  {label:32} {result.requests_per_second:9.1f} {result.p99_ms:9.1f}"
        f" {result.errors:7d} {share}"
    )


def _verdict(label: str, result: WrkResult, baseline: WrkResult) -> tuple[str, bool]:
    share = result.requests_per_second / baseline.requests_per_second
    met = share >= TARGET_SHARE and result.p99_ms < TARGET_P99_MS and result.errors == 0
    return (
        f"  {label}: {share:.0%} of the trivial view (target >= {TARGET_SHARE:.0%}),"
        f" p99 {result.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms),"
        f" {result.errors} errors: {'met' if met else 'NOT met'}"
    ), met


def run() -> None:
    if shutil.which("wrk") is None:
        print("  skipped: wrk is not installed (Debian: apt-get install wrk)")
        return
    if REPLICAS > 1 and nginx_path() is None:
        print("  skipped: PUBLIC_LOAD_REPLICAS needs nginx (Debian: apt-get install nginx)")
        return
    media = tempfile.mkdtemp(prefix="resettlement-bench-media-")
    try:
        _seed(media)
        pk, rows = _largest_publication()
        connections.close_all()  # the server's workers have the database to themselves
        pages = [
            ("trivial view (baseline)", TRIVIAL),
            ("public lookup page", "/public/my/"),
            (f"publication page (#{pk}, {rows} rows)", f"/public/publications/{pk}/"),
        ]
        env = server_environment(
            os.environ["DATABASE_URL"], PRIVATE_MEDIA_ROOT=media, DJANGO_SECRET_KEY="bench-" * 8
        )
        load_before = os.getloadavg()
        server = replicas(env, count=REPLICAS) if REPLICAS > 1 else gunicorn(env)
        with server as base:
            results = []
            for _label, path in pages:
                wrk(base + path, connections=CONNECTIONS, seconds=WARM_UP_SECONDS)
                results.append(wrk(base + path, connections=CONNECTIONS, seconds=SECONDS))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(media, ignore_errors=True)

    if REPLICAS > 1:
        print(f"  {REPLICAS} replicas behind nginx (round-robin), each:")
    print(
        f"  gunicorn 2 workers; wrk {CONNECTIONS} connections, {SECONDS} s per page;"
        f" {HOUSEHOLDS} demo households; load average {load_before[0]:.1f} before,"
        f" {load_after[0]:.1f} after"
    )
    print(f"  {'page':32} {'req/s':>9} {'p99 ms':>9} {'errors':>7} {'share':>6}")
    baseline = results[0]
    for (label, _path), result in zip(pages, results, strict=True):
        print(_line(label, result, None if result is baseline else baseline))
    verdicts = [
        _verdict(label, result, baseline)
        for (label, _path), result in zip(pages[1:], results[1:], strict=True)
    ]
    for line, _met in verdicts:
        print(line)
    met = all(met for _line, met in verdicts)
    print(
        f"  target: public pages >= {TARGET_SHARE:.0%} of the trivial view, p99 <"
        f" {TARGET_P99_MS:.0f} ms, zero errors: {'met' if met else 'NOT met'}"
    )
