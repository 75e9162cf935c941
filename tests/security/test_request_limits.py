"""Request bodies are judged by their declared size before anything reads them, and a public
form's rate limit is counted before its body is read: a 60 MB anonymous upload costs the
server nothing but a look at one header (resettlement.request_limits)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from publicity.models import Complaint

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
BOUNDARY = "BoUnDaRy"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def claiming(size: int) -> dict:
    """A request that declares `size` bytes but sends only a few: reading it (parsing the
    form) would run past the end and fail the test, so a passing test proves nothing read
    it."""
    return {
        "data": f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="text"\r\n\r\nx\r\n',
        "content_type": MULTIPART,
        "CONTENT_LENGTH": str(size),
    }


def test_a_60_mb_anonymous_upload_to_the_report_form_is_refused_unread(client):
    response = client.generic("POST", reverse("public:complaint-file"), **claiming(60 * MB))
    assert response.status_code == 413
    assert "提交的内容过大" in response.content.decode()
    assert not Complaint.objects.exists()


def test_an_attachment_of_the_documented_size_still_fits(client, settings):
    settings.DOCUMENT_MAX_BYTES = 10 * MB
    # Past the size check the rate limit is the next thing that answers; set to refuse,
    # it shows the body was let through unread.
    settings.PUBLIC_COMPLAINT_RATE = "0/h"
    response = client.generic("POST", reverse("public:complaint-file"), **claiming(10 * MB))
    assert response.status_code == 429


def test_the_rate_limit_is_counted_before_the_body_is_read(client, settings):
    settings.PUBLIC_COMPLAINT_RATE = "2/h"
    form = {"category": "allocation", "text": "组长私下调换了房号。", "website": ""}
    for _ in range(2):
        assert client.post(reverse("public:complaint-file"), form).status_code == 302
    refused = client.generic("POST", reverse("public:complaint-file"), **claiming(5 * MB))
    assert refused.status_code == 429
    assert "每 60 分钟最多提交 2 次举报" in refused.content.decode()
    assert Complaint.objects.count() == 2


def test_a_defect_report_takes_six_photos_but_not_more(client, settings):
    url = reverse("settlement-public:report", args=["ABCD2345EF"])
    settings.PUBLIC_DEFECT_RATE = "0/h"  # past the size check, the limit answers unread
    assert client.generic("POST", url, **claiming(60 * MB)).status_code == 429
    assert client.generic("POST", url, **claiming(61 * MB)).status_code == 413


def test_an_anonymous_post_anywhere_else_may_carry_a_form_only(client):
    login = client.generic("POST", reverse("login"), **claiming(1 * MB))
    assert login.status_code == 413
    lookup = client.generic("POST", reverse("settlement-public:lookup"), **claiming(1 * MB))
    assert lookup.status_code == 413
    api = client.generic("POST", "/api/households/", **claiming(1 * MB))
    assert api.status_code == 413
    assert api.json()["code"] == "request_too_large"


def test_logged_in_staff_may_upload_up_to_the_upload_limit(clerk, settings):
    client = Client()
    client.force_login(clerk)
    half_a_megabyte = b"x" * (MB // 2)
    # A real body, above the form limit: it reaches the view (the list, which ignores it).
    passed = client.generic("POST", "/staff/households/", half_a_megabyte, "text/plain")
    assert passed.status_code == 200
    anonymous = Client().generic("POST", "/staff/households/", half_a_megabyte, "text/plain")
    assert anonymous.status_code == 413
    refused = client.generic(
        "POST", "/staff/households/", **claiming(settings.UPLOAD_BODY_MAX_BYTES + 1)
    )
    assert refused.status_code == 413


def test_basic_credentials_count_as_logged_in_for_the_limit(client, settings):
    response = client.generic(
        "POST",
        "/api/households/",
        **claiming(settings.UPLOAD_BODY_MAX_BYTES + 1),
        HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==",
    )
    assert response.status_code == 413


def test_form_fields_django_parses_are_capped_at_its_default_size(clerk):
    """Files aside, a form's fields are read into memory: 2.5 MB of them at most (25 MB
    before)."""
    client = Client()
    client.force_login(clerk)
    body = "password=" + "x" * (3 * MB)
    response = client.generic(
        "POST", reverse("confirm-password"), body, "application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
