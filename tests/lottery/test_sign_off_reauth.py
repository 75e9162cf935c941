"""Signing off a lottery session cannot be undone: the notary's password must have been
entered within the last minutes (at login or on the confirm-password page)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from lottery.services.draws import lottery_draw_remaining
from tests.reauth import recently_authenticated

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def drawn(drawing_session, operator):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    return drawing_session


def sign_off(client, session, **headers):
    return client.post(
        f"/staff/lottery/{session.code}/sign-off/", {"witnesses": "村民代表 王某"}, **headers
    )


def test_a_notary_logged_in_long_ago_is_asked_for_the_password_first(client, notary, drawn):
    client.force_login(notary)  # a session with no password checked recently
    response = sign_off(client, drawn, **JSON)
    assert response.status_code == 403
    body = response.json()
    assert body["ok"] is False and body["code"] == "reauthentication_required"
    assert "确认您的密码" in body["message"]
    assert body["reauth_url"] == (
        f"/accounts/confirm-password/?next=%2Fstaff%2Flottery%2F{drawn.code}%2F%23notary"
    )
    drawn.refresh_from_db()
    assert drawn.status == "drawing"


def test_the_plain_form_goes_to_the_confirm_page_and_back_to_the_console(client, notary, drawn):
    client.force_login(notary)
    response = sign_off(client, drawn)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/confirm-password/")
    confirmed = client.post(
        response.url, {"password": PASSWORD, "next": f"/staff/lottery/{drawn.code}/#notary"}
    )
    assert confirmed.status_code == 302
    assert confirmed.url == f"/staff/lottery/{drawn.code}/#notary"
    assert sign_off(client, drawn, **JSON).json()["ok"]
    drawn.refresh_from_db()
    assert drawn.status == "signed"


def test_a_notary_who_just_logged_in_signs_off_at_once(client, notary, drawn):
    client.post("/accounts/login/", {"username": notary.username, "password": PASSWORD})
    assert sign_off(client, drawn, **JSON).json()["ok"]
    drawn.refresh_from_db()
    assert drawn.status == "signed"


def test_the_confirmation_lasts_ten_minutes(client, notary, drawn, settings):
    assert settings.RECENT_AUTH_SECONDS == 600
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(notary)
        recently_authenticated(client)
        clock.shift(dt.timedelta(minutes=11))
        assert sign_off(client, drawn, **JSON).json()["code"] == "reauthentication_required"
        drawn.refresh_from_db()
        assert drawn.status == "drawing"
        recently_authenticated(client)  # confirmed again: good for just under ten minutes
        clock.shift(dt.timedelta(minutes=9, seconds=59))
        assert sign_off(client, drawn, **JSON).json()["ok"]
    drawn.refresh_from_db()
    assert drawn.status == "signed"


def test_an_operator_is_refused_before_being_asked_for_a_password(client, operator, drawn):
    client.force_login(operator)
    assert sign_off(client, drawn, **JSON).status_code == 403
    assert sign_off(client, drawn).status_code == 403  # not sent to confirm a password
    drawn.refresh_from_db()
    assert drawn.status == "drawing"
