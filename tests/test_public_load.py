"""The public pages under concurrent load on a real gunicorn server (2 workers, DEBUG off)
over the demo data in a scratch database: every request answered, none refused or failed.
A correctness test, not a timed one: the throughput figures are `python -m bench
public_load`'s."""

from __future__ import annotations

import os
import re
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench._server import gunicorn, manage, scratch_database, server_environment

pytestmark = pytest.mark.load

REQUESTS = 200
CONCURRENCY = 8


def fetch(url: str) -> int | str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError as failed:
        return f"{failed.__class__.__name__}: {failed}"


@pytest.fixture(scope="module")
def public_site():
    """gunicorn over a scratch database holding the demo programme; yields its base URL."""
    url, drop = scratch_database(f"resettlement_load_{os.getpid()}")
    try:
        with tempfile.TemporaryDirectory() as media:
            # No Redis: the cache is each worker's own, Celery tasks run in-process.
            env = server_environment(
                url, REDIS_URL="", PRIVATE_MEDIA_ROOT=media, DJANGO_SECRET_KEY="load-" * 10
            )
            manage("migrate", "--noinput", env=env)
            demo = {**env, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "resettlement.settings"}
            manage("seed_demo", "--households", "8", "--seed", "7", env=demo)
            with gunicorn(env) as base:
                yield base
    finally:
        drop()


def public_pages(base: str) -> list[str]:
    """The lookup page, the project pages and every publication page (and its second
    table page), found as a visitor would, by following links from the public home."""
    home = urllib.request.urlopen(base + "/public/", timeout=30).read().decode()  # noqa: S310
    projects = sorted(set(re.findall(r'href="(/public/projects/[^"/]+/)"', home)))
    pages = ["/public/my/", "/public/", *projects]
    for project in projects:
        html = urllib.request.urlopen(base + project, timeout=30).read().decode()  # noqa: S310
        for publication in sorted(set(re.findall(r'href="(/public/publications/\d+/)"', html))):
            pages += [publication, publication + "?page=2"]
    return [base + page for page in pages]


def test_public_pages_answer_every_request_under_concurrent_load(public_site):
    pages = public_pages(public_site)
    assert any("/public/publications/" in page for page in pages), pages
    urls = [pages[i % len(pages)] for i in range(REQUESTS)]

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        answers = list(pool.map(fetch, urls))

    failures = [(url, answer) for url, answer in zip(urls, answers, strict=True) if answer != 200]
    assert failures == []
