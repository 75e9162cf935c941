"""The read-only lottery API: no secret before sign-off; the bundle once signed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from lottery.verification import verify_bundle
from tests.lottery.factories import create_session, start_drawing


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_sessions_list_without_the_secret_before_sign_off(drawing_session, operator):
    response = client_for(operator).get("/api/lottery/sessions/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["code"] == "S1" and row["status"] == "drawing"
    assert row["commitment"] == drawing_session.commitment
    assert row["server_secret"] == "" and row["seed"] == ""
    assert drawing_session.server_secret not in response.content.decode()
    detail = client_for(operator).get("/api/lottery/sessions/S1/")
    assert detail.status_code == 200 and detail.json()["communities"] == ["C1", "C2"]
    assert drawing_session.server_secret not in detail.content.decode()


def test_a_signed_session_shows_its_secret_and_serves_its_bundle(signed_session, leader):
    detail = client_for(leader).get("/api/lottery/sessions/S1/").json()
    assert detail["server_secret"] == signed_session.server_secret
    assert detail["reveals"] == 18 and detail["bundle_sha256"] == signed_session.bundle_sha256
    response = client_for(leader).get("/api/lottery/sessions/S1/bundle/")
    assert response.status_code == 200
    assert response["X-Bundle-SHA256"] == signed_session.bundle_sha256
    bundle = response.json()
    assert bundle == signed_session.bundle and verify_bundle(bundle) == []


def test_no_bundle_before_sign_off_or_for_a_rehearsal(
    drawing_session, lottery_project, leader, notary, operator
):
    assert client_for(operator).get("/api/lottery/sessions/S1/bundle/").status_code == 404
    rehearsal = start_drawing(
        create_session(lottery_project, leader, code="R1", rehearsal=True), notary
    )
    lottery_draw_remaining(actor=operator, session=rehearsal)
    lottery_session_sign_off(actor=notary, session=rehearsal, witnesses="演练")
    assert client_for(operator).get("/api/lottery/sessions/R1/bundle/").status_code == 404
    assert client_for(operator).get("/api/lottery/sessions/R1/").json()["rehearsal"] is True


def test_the_api_needs_a_role(open_session, outsider):
    assert client_for(outsider).get("/api/lottery/sessions/").status_code == 403
    assert APIClient().get("/api/lottery/sessions/").status_code in (401, 403)


def test_the_api_is_read_only(open_session, leader):
    response = client_for(leader).post("/api/lottery/sessions/", {"code": "X"}, format="json")
    assert response.status_code in (403, 405)
    assert client_for(leader).delete("/api/lottery/sessions/S1/").status_code in (403, 405)


@pytest.mark.django_db
def test_the_openapi_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/lottery/sessions/{code}/bundle/" in (tmp_path / "schema.yml").read_text()
