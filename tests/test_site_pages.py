"""The site as a visitor first meets it: the root is the public site's home, staff sign in
from there, error pages are in the visitor's language inside the site's frame with a way
back, and the language menus name each language in its own name."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from resettlement.views import errors
from tests.people import make_user


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def test_the_root_is_the_public_sites_home_with_a_way_for_staff_to_sign_in(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("public:project-list")
    page = response.content.decode()
    assert "安置信息公开" in page and 'href="/accounts/login/' not in page
    assert f'href="{reverse("staff:home")}"' in page and "工作人员登录" in page


def test_a_missing_public_page_is_a_chinese_page_of_the_public_site(client, db, production):
    response = client.get("/public/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and "Not Found" not in page
    assert reverse("public:resident-lookup") in page  # the public site's navigation
    assert f'href="{reverse("public:project-list")}"' in page  # and a way back


def test_a_missing_staff_page_is_in_the_chosen_language_with_the_staff_menu(
    client, clerk, production
):
    client.force_login(clerk)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(
        "/staff/no-such-page/", HTTP_REFERER="http://testserver/staff/households/"
    )
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page and "页面不存在" not in page
    assert reverse("staff:household-list") in page  # the staff menu
    assert 'href="http://testserver/staff/households/"' in page  # back where they were
    assert "Back to the dashboard" in page


def test_an_api_path_still_answers_404_in_json(client, db, production):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_refusal_is_a_chinese_page_with_the_menu_not_a_bare_403_forbidden(
    client, reviewer, production
):
    client.force_login(reviewer)
    response = client.get(reverse("staff:household-register"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in page and "403 Forbidden" not in page
    assert reverse("staff:household-list") in page and reverse("staff:home") in page


def test_a_refusal_names_what_the_rule_said(rf: RequestFactory, db):
    request = rf.get("/staff/settlement/")
    request.user = make_user("someone")
    page = errors.permission_denied(request, PermissionDenied("此步骤须由财务审核人办理。"))
    assert "此步骤须由财务审核人办理。" in page.content.decode()


def test_a_server_error_is_a_page_of_the_site_with_a_way_back(rf: RequestFactory, db):
    request = rf.get("/public/projects/X/")
    request.user = make_user("visitor")
    response = errors.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in page and reverse("public:project-list") in page


def test_a_server_error_answers_even_when_its_page_cannot_be_rendered(rf, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(errors, "render_to_string", broken)
    response = errors.server_error(rf.get("/staff/"))
    assert response.status_code == 500 and "Server error" in response.content.decode()


def test_the_language_menus_name_each_language_in_its_own_name(client, clerk):
    client.force_login(clerk)
    staff = client.get(reverse("staff:home")).content.decode()
    public = client.get(reverse("public:project-list")).content.decode()
    for page in (staff, public):
        assert "English" in page and "简体中文" in page
        assert "英语" not in page


def test_in_english_a_statements_line_item_column_is_item_not_project(client, finance_wu, money):
    from settlement.models import Statement

    statement = Statement.objects.filter(household=money.owes).latest("version")
    client.force_login(finance_wu)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("settlement:statement-detail", args=[statement.pk])
    page = client.get(url).content.decode()
    assert "<th>Item</th>" in page and "<th>Project</th>" not in page


def test_naming_axes_leaves_the_projects_own_app_config_in_charge():
    # (Two configs in one apps.py made Django skip ResettlementConfig.ready: no session
    # timestamps at login, no text cleaning.)
    from django.apps import apps

    from resettlement.apps import ResettlementConfig
    from resettlement.axes_app import LockoutConfig

    assert type(apps.get_app_config("resettlement")) is ResettlementConfig
    assert type(apps.get_app_config("axes")) is LockoutConfig


def test_the_admin_names_the_login_lockout_in_the_users_language(client, db):
    make_user("root", is_superuser=True, is_staff=True)
    client.force_login(get_user_model().objects.get(username="root"))
    chinese = client.get(reverse("admin:index")).content.decode()
    assert "登录锁定" in chinese and "登录失败计数" in chinese
    assert "Axes" not in chinese and "AXES" not in chinese and "Access attempts" not in chinese
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("admin:index")).content.decode()
    assert "Login lockout" in english and "Failed login counts" in english


def test_an_expired_form_is_a_chinese_page_not_djangos_english_csrf_page(db, production):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("login"), {"username": "a", "password": "b"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "CSRF verification failed" not in page
