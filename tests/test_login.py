"""Logging in: staff get in with the right password; repeated failures lock the account."""

from django.urls import reverse


def test_clerk_logs_in_and_reaches_the_workbench(client, clerk):
    response = client.post(
        reverse("login"),
        {"username": clerk.username, "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("staff:home")
    assert "工作台" in response.content.decode()


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": clerk.username, "password": "wrong"})
    locked = client.post(
        reverse("login"),
        {"username": clerk.username, "password": "correct horse battery staple"},
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_pages_ask_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("staff:household-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
