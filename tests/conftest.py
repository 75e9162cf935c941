"""Fixtures for every test: a project to work in, registering households in it, uploads
kept in a temporary folder, tasks run in-process.

Where fixtures live: a fixture used in one directory is in that directory's `conftest.py`;
one used across directories is in a module registered below as a plugin (never imported
into a test module). Builders of test data are plain functions and factory_boy factories in
`tests/<app>/factories.py`, imported normally.
"""

from __future__ import annotations

import pytest

from households.services import registration
from tests.households.factories import VillagerGroupFactory, household_data, member_data

pytest_plugins = [
    "tests.people",  # the people by role: clerk, reviewer, leader, notary, chain, …
    "tests.households.fixtures",  # the roster import project (households, security)
    "tests.lottery.fixtures",  # the lottery project and its sessions (lottery, settlement)
    "tests.publicity.fixtures",  # a published roster (publicity, browser)
    "tests.settlement.fixtures",  # money to approve and pay (settlement, security, browser, …)
    "tests.object_storage",  # an S3-protocol server and a bucket (resettlement, allocation)
]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "load: starts a gunicorn server and puts the public pages under load"
    )


@pytest.fixture(autouse=True)
def celery_eager_unless_real_worker(request, settings):
    """Tasks run in-process in tests, even when REDIS_URL points at a broker (as in CI);
    a test marked `real_celery` talks to a real worker through Redis instead."""
    from resettlement.celery import app

    eager = request.node.get_closest_marker("real_celery") is None
    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture(autouse=True)
def rate_limit_window_stays_put_during_a_test(monkeypatch):
    """django-ratelimit counts requests in fixed windows (a minute, ending at a per-key
    offset): a test's requests that straddled a window's end started a new count half way
    and a "the 11th look-up is refused" check passed or failed by the clock. Each test counts
    in one window, the one it started in."""
    import time

    from django_ratelimit import core

    began = int(time.time())
    monkeypatch.setattr(core, "_get_window", lambda value, period: began + period)


@pytest.fixture(autouse=True)
def site_language_after_each_test():
    """A request with an English cookie leaves English active in the thread; the next test
    (a message checked in Chinese) starts in the site's language again."""
    from django.conf import settings as django_settings
    from django.utils import translation

    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher's deliberate slowness is not tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads and generated files go to the test's own folder, not the developer's
    private_media/; returns that folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private_media"},
        },
    }
    return tmp_path / "private_media"


@pytest.fixture
def group(db):
    return VillagerGroupFactory()


@pytest.fixture
def project(group):
    return group.project


@pytest.fixture
def register_in(clerk):
    """Register a household in any villager group's project (tests with two projects)."""

    def _register_in(group, *, actor=None, members=None, **household_fields):
        return registration.household_register(
            actor=actor or clerk,
            project=group.project,
            community=group.community,
            group=group,
            household=household_data(**household_fields),
            members=members if members is not None else [member_data()],
        )

    return _register_in


@pytest.fixture
def register(register_in, group):
    """Register a household in the default group; members default to a qualified head."""

    def _register(**kwargs):
        return register_in(group, **kwargs)

    return _register
