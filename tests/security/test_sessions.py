"""Sessions end on their own: after 30 minutes without a request, 10 hours after login
however busy, and at once when the user is disabled."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from resettlement.security import end_sessions_of

PASSWORD = "correct horse battery staple"
HOME = reverse("staff:home")


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def logged_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_clerk_who_keeps_working_stays_logged_in(client, clerk, clock):
    logged_in(client, clerk)
    for _ in range(6):  # three hours, a request every half hour less a minute
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(HOME).status_code == 200


def test_thirty_idle_minutes_log_the_clerk_out_with_a_message(client, clerk, clock, settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    logged_in(client, clerk)
    assert client.get(HOME).status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    response = client.get(HOME)
    assert sent_to_login(response)
    login_page = client.get(response.url).content.decode()
    assert "您已超过 30 分钟没有操作,为安全起见已自动退出" in login_page
    assert "_auth_user_id" not in client.session


def test_the_session_ends_ten_hours_after_login_however_busy(client, clerk, clock, settings):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 10 * 3600
    logged_in(client, clerk)
    for _ in range(20):  # ten hours of requests every half hour
        clock.shift(dt.timedelta(minutes=29, seconds=59))
        assert client.get(HOME).status_code == 200
    clock.shift(dt.timedelta(minutes=29))
    response = client.get(HOME)
    assert sent_to_login(response)
    assert "您已登录超过 10 小时" in client.get(response.url).content.decode()


def test_the_limits_come_from_the_settings(client, clerk, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    logged_in(client, clerk)
    clock.shift(dt.timedelta(minutes=4))
    assert client.get(HOME).status_code == 200
    clock.shift(dt.timedelta(minutes=6))
    assert sent_to_login(client.get(HOME))


def test_public_pages_do_not_open_a_session(client, db):
    response = client.get(reverse("public:project-list"))
    assert response.status_code == 200
    # (It varies by the Cookie header for the visitor's chosen language, not for a session.)
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


# -- disabled users --------------------------------------------------------------------------


def test_disabling_a_clerk_ends_the_session_they_are_using(client, clerk):
    logged_in(client, clerk)
    assert client.get(HOME).status_code == 200
    clerk.is_active = False
    clerk.save()
    assert not Session.objects.exists()
    assert sent_to_login(client.get(HOME))


def test_disabling_a_user_in_the_admin_ends_all_their_sessions(client, clerk, other_clerk, db):
    from django.contrib.auth import get_user_model
    from django.test import Client

    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    office, laptop, colleague = Client(), Client(), Client()
    logged_in(office, clerk)
    logged_in(laptop, clerk)
    logged_in(colleague, other_clerk)
    logged_in(client, admin)

    change = reverse("admin:auth_user_change", args=[clerk.pk])
    form = client.get(change).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"password", "groups", "user_permissions"}
    }
    data.update({"is_active": "", "last_login_0": "", "last_login_1": ""})
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "08:00:00"
    data["groups"] = [g.pk for g in clerk.groups.all()]
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk.refresh_from_db()
    assert not clerk.is_active

    assert sent_to_login(office.get(HOME)) and sent_to_login(laptop.get(HOME))
    assert colleague.get(HOME).status_code == 200  # other people stay logged in
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_user_disabled_behind_the_models_back_is_logged_out_on_the_next_request(client, clerk):
    """A bulk update sends no signal: the next request still finds the user disabled and
    empties the session."""
    logged_in(client, clerk)
    type(clerk).objects.filter(pk=clerk.pk).update(is_active=False)
    assert sent_to_login(client.get(HOME))
    assert "_auth_user_id" not in client.session
    type(clerk).objects.filter(pk=clerk.pk).update(is_active=True)
    assert sent_to_login(client.get(HOME))  # re-enabling does not bring the session back


def test_end_sessions_of_leaves_other_peoples_sessions_alone(client, clerk, other_clerk):
    from django.test import Client

    logged_in(client, clerk)
    logged_in(Client(), other_clerk)
    assert end_sessions_of(clerk) == 1
    (remaining,) = Session.objects.all()
    assert remaining.get_decoded()["_auth_user_id"] == str(other_clerk.pk)
    assert sent_to_login(client.get(HOME))
