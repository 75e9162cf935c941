"""Login lockout (django-axes, resettlement.lockout) on the real login page: after too many
wrong passwords an account is locked for an hour from every address, and an address that
guessed at many accounts is locked for all of them; a page says so plainly, and an
administrator can lift either lock early."""

from __future__ import annotations

import datetime as dt

import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from resettlement.models import AuditEntry
from tests.people import make_user

PASSWORD = "correct horse battery staple"


def log_in(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


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
    assert f"该账号的密码已输错 {settings.AXES_FAILURE_LIMIT} 次" in page
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


def test_a_locked_account_cannot_log_in_from_another_address_either(client, clerk, settings):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        log_in(client, clerk.username, "wrong", address)
    locked = log_in(client, clerk.username, PASSWORD, "192.168.7.7")
    assert locked.status_code == 429
    assert "在任何电脑上都不能登录" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_guesses_spread_over_many_accounts_lock_the_address(client, roles, settings):
    """The attack of issue 11: four wrong passwords each for six accounts from one address
    (24 in all, none of the accounts at its own limit)."""
    users = [make_user(f"spray{i}", "clerk") for i in range(7)]
    answers = [
        log_in(client, user.username, "wrong", "10.6.6.6").status_code
        for user in users[:6]
        for _ in range(4)
    ]
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit == 20
    assert answers[: limit - 1] == [200] * (limit - 1)  # wrong password, said so
    assert set(answers[limit:]) == {429}
    # Locked for every account from that address, even with the right password ...
    refused = log_in(client, users[6].username, PASSWORD, "10.6.6.6")
    assert refused.status_code == 429
    assert "这台电脑所在的网络地址已输错密码 20 次" in refused.content.decode()
    # ... while the same accounts log in from their own computers.
    assert log_in(client, users[6].username, PASSWORD, "10.1.1.1").status_code == 302
    assert log_in(client, users[0].username, PASSWORD, "10.1.1.2").status_code == 302


def test_logging_in_does_not_clear_the_guesses_made_from_elsewhere(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, clerk.username, "wrong", "10.6.6.6")  # someone else, guessing
    assert log_in(client, clerk.username, PASSWORD, "10.1.1.1").status_code == 302
    client.logout()
    log_in(client, clerk.username, "wrong", "10.6.6.6")
    assert log_in(client, clerk.username, PASSWORD, "10.1.1.1").status_code == 429


def test_the_users_own_mistakes_are_forgotten_when_they_log_in(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, clerk.username, "wrong")
    assert log_in(client, clerk.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, clerk.username, "wrong")
    assert log_in(client, clerk.username, PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_account_with_a_command(client, clerk, settings):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        log_in(client, clerk.username, "wrong", address)
    assert log_in(client, clerk.username, PASSWORD, "10.1.1.1").status_code == 429
    call_command("axes_reset_username", clerk.username)
    assert log_in(client, clerk.username, PASSWORD, "10.1.1.1").status_code == 302


def test_an_administrator_unlocks_an_address_with_a_command(client, roles, settings):
    users = [make_user(f"spray{i}", "clerk") for i in range(5)]
    for user in users:
        for _ in range(4):
            log_in(client, user.username, "wrong", "10.6.6.6")
    assert log_in(client, users[0].username, PASSWORD, "10.6.6.6").status_code == 429
    call_command("axes_reset_ip", "10.6.6.6")
    assert log_in(client, users[0].username, PASSWORD, "10.6.6.6").status_code == 302


def test_an_administrator_unlocks_in_the_admin(client, clerk, admin_user, settings):
    fail_until_locked(client, clerk.username, settings)
    admin = Client()
    admin.force_login(admin_user)
    attempts = admin.get("/admin/axes/accessattempt/")
    assert attempts.status_code == 200 and clerk.username in attempts.content.decode()
    ids = list(AccessAttempt.objects.filter(username=clerk.username).values_list("pk", flat=True))
    deleted = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock_selected", "_selected_action": ids},
    )
    assert deleted.status_code == 302
    assert log_in(client, clerk.username, PASSWORD).status_code == 302
    unlocked = AuditEntry.objects.get(action="login.unlock")
    assert unlocked.actor == admin_user
    assert [clerk.username, "127.0.0.1"] in unlocked.payload["released"]
