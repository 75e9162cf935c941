"""Shared fixtures: roles set up, people with readable names, and a project to work in."""

from __future__ import annotations

import pytest

from households.services import registration
from resettlement.roles import ensure_roles
from tests.factories import (
    VillagerGroupFactory,
    household_data,
    make_user,
    member_data,
)


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
def fast_password_hashing(settings):
    """Tests create many users; the production hasher's deliberate slowness is not tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roles(db):
    ensure_roles()


@pytest.fixture
def clerk(roles):
    return make_user("clerk_li", "clerk", first_name="李登记")


@pytest.fixture
def other_clerk(roles):
    return make_user("clerk_wang", "clerk", first_name="王登记")


@pytest.fixture
def reviewer(roles):
    return make_user("reviewer_zhao", "reviewer", first_name="赵审核")


@pytest.fixture
def leader(roles):
    return make_user("leader_chen", "leader", first_name="陈领导")


@pytest.fixture
def notary(roles):
    return make_user("notary_sun", "notary")


@pytest.fixture
def outsider(roles):
    return make_user("outsider", first_name="无角色")


@pytest.fixture
def all_hats(roles):
    """One person holding clerk, reviewer and leader roles at once."""
    return make_user("all_hats", "clerk", "reviewer", "leader")


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
