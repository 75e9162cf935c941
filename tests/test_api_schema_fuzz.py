"""Schemathesis against the API's own OpenAPI schema: every operation, with generated input,
answered by the WSGI app in-process, as a staff user holding every role, over the demo data.

No generated request may get a server error, and every response must be one the schema
documents: its status code, its content type and its body.

Bounded in time: the examples and fuzzing phases with a few examples per operation
(FUZZ_EXAMPLES, default 10) and no deadline. Schemathesis' coverage phase (every boundary
value of every field, thousands of requests) is off unless FUZZ_COVERAGE=1.
"""

from __future__ import annotations

import base64
import io
import json
import os

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test.utils import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from resettlement.roles import ROLES, ensure_roles
from tests.demo.seeding import demo_settings
from tests.people import make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
COVERAGE = os.environ.get("FUZZ_COVERAGE") == "1"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py
PASSWORD = "correct horse battery staple"  # tests.people.make_user's
AUTH = {"Authorization": "Basic " + base64.b64encode(f"fuzzer:{PASSWORD}".encode()).decode()}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def served_schema() -> dict:
    """The schema /api/schema/ serves (to logged-in users only), generated the same way
    in-process: the module is collected before any database exists to log in against."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(
    served_schema(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}}),
)
schema.app = get_wsgi_application()


@schema.hook("flatmap_path_parameters")
def existing_objects_half_the_time(context, path_parameters):
    """Random ids almost never exist; half the time name one the demo data holds, so the
    operations on an object run past its lookup."""
    if not isinstance(path_parameters, dict):  # an operation without, or negative data
        return st.just(path_parameters)
    known = {
        "id": st.integers(min_value=1, max_value=12),
        "code": st.sampled_from(["YH2013-01", "YH2013-R1"]),
    }
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.just(value), known[name]) if name in known else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo programme (a few households through every stage) and a user holding every
    role, seeded once for the module inside a transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("fuzz-media")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_roles()
            with override_settings(**demo_settings(media)):  # the demo needs DEBUG on
                call_command("seed_demo", "--households", "8", "--seed", "7", stdout=io.StringIO())
            with override_settings(PASSWORD_HASHERS=FAST_HASHER):
                make_user("fuzzer", *(role.code for role in ROLES))
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def connection_kept_open():
    """The real WSGI handler closes the database connection after each request, which would
    end the test's transaction (PostgreSQL): stop it, as django.test.Client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_fuzzing_user_is_signed_in_and_sees_the_demo_data(demo_data, db, client):
    """Guards the test below: with wrong credentials every answer would be a documented 403."""
    response = client.get("/api/households/", HTTP_AUTHORIZATION=AUTH["Authorization"])

    assert response.status_code == 200
    assert response.json()["count"] >= 8


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_as_documented(
    case, demo_data, db, connection_kept_open
):
    case.call_and_validate(headers=AUTH, checks=CHECKS)
