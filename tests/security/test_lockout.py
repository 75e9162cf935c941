"""Login lockout (django-axes) on the real login page: after too many wrong passwords the
account is locked for an hour from that address, with a page that says so plainly."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

PASSWORD = "correct horse battery staple"


def log_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def fail_until_locked(client, username: str, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, username, "wrong")


def test_wrong_passwords_below_the_limit_only_say_the_password_is_wrong(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, clerk.username, "wrong")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    assert log_in(client, clerk.username, PASSWORD).status_code == 302


def test_the_locked_out_page_explains_what_happened_and_how_long_to_wait(client, clerk, settings):
    fail_until_locked(client, clerk.username, settings)
    locked = log_in(client, clerk.username, PASSWORD)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert 'id="locked-out"' in page
    assert "账号已暂时锁定" in page
    assert f"密码连续输错 {settings.AXES_FAILURE_LIMIT} 次" in page
    assert "请在 60 分钟后再试" in page
    assert "联系系统管理员" in page
    assert "Account locked" not in page  # not axes' bare English text
    assert "_auth_user_id" not in client.session


def test_the_lock_is_for_that_account_only(client, clerk, other_clerk, settings):
    fail_until_locked(client, clerk.username, settings)
    assert log_in(client, other_clerk.username, PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off_period(client, clerk, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail_until_locked(client, clerk.username, settings)
        assert log_in(client, clerk.username, PASSWORD).status_code == 429
        traveller.shift(dt.timedelta(minutes=61))
        assert log_in(client, clerk.username, PASSWORD).status_code == 302


def test_the_admin_login_is_locked_too(client, clerk, settings):
    fail_until_locked(client, clerk.username, settings)
    response = client.post(
        reverse("admin:login"), {"username": clerk.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
