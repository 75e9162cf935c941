"""The confirm-password page: checks the logged-in user's own password, sends them back
only to a page of this site, and counts wrong passwords toward the login lockout."""

from __future__ import annotations

from django.urls import reverse

from resettlement.reauth import RECENT_AUTH_AT

PASSWORD = "correct horse battery staple"
URL = reverse("confirm-password")


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_names_the_user_and_asks_for_the_password(client, clerk):
    client.force_login(clerk)
    html = client.get(URL, {"next": "/staff/"}).content.decode()
    assert clerk.username in html
    assert 'type="password"' in html and 'autocomplete="current-password"' in html


def test_the_right_password_marks_the_session_and_changes_its_key(client, clerk):
    client.force_login(clerk)
    before = client.session.session_key
    response = client.post(URL, {"password": PASSWORD, "next": "/staff/households/"})
    assert response.status_code == 302 and response.url == "/staff/households/"
    assert RECENT_AUTH_AT in client.session
    assert client.session.session_key != before
    assert "密码已确认,10 分钟内无需再次确认" in client.get("/staff/").content.decode()


def test_someone_elses_password_does_not_count(client, clerk, other_clerk):
    other_clerk.set_password("another secret 12345")
    other_clerk.save()
    client.force_login(clerk)
    response = client.post(URL, {"password": "another secret 12345", "next": "/staff/"})
    assert response.status_code == 200 and "密码不正确" in response.content.decode()
    assert RECENT_AUTH_AT not in client.session


def test_it_never_sends_the_user_to_another_site(client, clerk):
    client.force_login(clerk)
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(URL, {"password": PASSWORD, "next": target})
        assert response.status_code == 302 and response.url == reverse("staff:home"), target


def test_guessing_the_password_here_locks_the_account_like_the_login_page(client, clerk, settings):
    client.force_login(clerk)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(URL, {"password": "guess", "next": "/staff/"})
    locked = client.post(URL, {"password": PASSWORD, "next": "/staff/"})
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    assert RECENT_AUTH_AT not in client.session
