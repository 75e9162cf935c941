"""Three web replicas behind nginx, as docker-compose.yml runs them (docs/scaling.md): three
gunicorn servers on separate ports over one database and one Redis, round-robin behind a
real nginx. A visitor never notices which replica answers: a login made on one holds on the
others, and the public rate limits count requests to all of them together."""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from bench._server import manage, nginx_path, replicas, scratch_database, server_environment

pytestmark = pytest.mark.load

REPLICAS = 3


@pytest.fixture(scope="module")
def site():
    if nginx_path() is None and not os.environ.get("CI"):
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("replicas share their cache through Redis (REDIS_URL)")
    url, drop = scratch_database(f"resettlement_replicas_{os.getpid()}")
    try:
        env = server_environment(
            url,
            DJANGO_SECRET_KEY="replicas-" * 6,
            # Plain HTTP on the loopback: the cookies may travel without TLS here.
            DJANGO_SECURE_COOKIES="0",
            REQUIRE_2FA="0",
            # nginx is the proxy, as in docker-compose.yml: the client's address is the one
            # it reports, which the rate limits count by.
            DJANGO_TRUSTED_PROXIES="127.0.0.1",
        )
        manage("migrate", "--noinput", env=env)
        manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; get_user_model().objects"
            ".create_superuser('replica-admin', password='replica-admin-pass-2026')",
            env=env,
        )
        with replicas(env, count=REPLICAS, workers=1) as base:
            yield base
    finally:
        drop()


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def get(browser, url: str, **headers: str) -> tuple[int, str, str]:
    try:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
        with browser.open(request, timeout=30) as response:
            return response.status, response.headers["X-Upstream"], response.geturl()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["X-Upstream"], url


def test_a_login_made_on_one_replica_holds_on_every_replica(site):
    browser = opener()
    page = browser.open(f"{site}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "replica-admin",
            "password": "replica-admin-pass-2026",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{site}/accounts/login/", data=form, headers={"Referer": f"{site}/accounts/login/"}
    )
    with browser.open(request, timeout=30) as response:
        assert "/accounts/login/" not in response.geturl()

    answers = [get(browser, f"{site}/staff/") for _ in range(3 * REPLICAS)]
    assert [status for status, _, _ in answers] == [200] * len(answers)
    assert all("/accounts/login/" not in final for _, _, final in answers)
    assert len({upstream for _, upstream, _ in answers}) == REPLICAS


def test_the_public_lookup_limit_counts_requests_to_every_replica_together(site):
    """10 look-ups a minute per address: the 11th is refused whichever replica gets it
    (with a cache per process each of the three would allow 10)."""
    visitor = opener()
    # A visitor of its own (an address on the loopback no other run has counted), as nginx
    # reports it in X-Forwarded-For.
    address = f"127.{random.randrange(1, 255)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    answers = [
        get(visitor, f"{site}/public/my/NOSUCHCODE{i:02d}/", **{"X-Forwarded-For": address})
        for i in range(12)
    ]
    statuses = [status for status, _, _ in answers]
    assert 429 not in statuses[:10]
    assert statuses[10:] == [429, 429]
    assert len({upstream for _, upstream, _ in answers}) == REPLICAS
