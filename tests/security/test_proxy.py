"""Behind the reverse proxy: the client's address and scheme are taken from the proxy's
headers only when the request comes from a proxy named in DJANGO_TRUSTED_PROXIES
(resettlement.proxy); from anywhere else those headers are dropped."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROXY = "172.30.0.10"


@pytest.fixture(autouse=True)
def behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    cache.clear()
    yield
    cache.clear()


def wrong_password(client: Client, username: str, **meta):
    return client.post(reverse("login"), {"username": username, "password": "wrong"}, **meta)


def test_failures_are_counted_for_the_client_the_proxy_names(clerk):
    wrong_password(Client(), clerk.username, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_an_address_the_client_wrote_into_the_header_is_not_believed(clerk):
    # nginx appends the address it saw; what the client sent stands to the left of it.
    wrong_password(
        Client(),
        clerk.username,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="10.66.66.66, 203.0.113.5",
    )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_the_header_from_anyone_but_the_proxy_is_ignored(clerk):
    wrong_password(
        Client(), clerk.username, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.1.1.1"
    )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_clients_behind_the_proxy_have_rate_limits_of_their_own(settings):
    settings.PUBLIC_COMPLAINT_STATUS_RATE = "1/m"
    url = reverse("public:complaint-status")
    form = {"reference": "JB23456789", "check_code": "AAAAAAAA"}
    via_proxy = {"REMOTE_ADDR": PROXY}
    first = Client().post(url, form, HTTP_X_FORWARDED_FOR="203.0.113.5", **via_proxy)
    assert first.status_code == 200
    second = Client().post(url, form, HTTP_X_FORWARDED_FOR="203.0.113.6", **via_proxy)
    assert second.status_code == 200  # another resident, not the proxy's one shared quota
    again = Client().post(url, form, HTTP_X_FORWARDED_FOR="203.0.113.5", **via_proxy)
    assert again.status_code == 429


def test_only_the_proxy_may_say_a_request_came_over_https(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    via_proxy = Client().get("/healthz/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert via_proxy.status_code == 200
    claimed = Client().get("/healthz/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_PROTO="https")
    assert claimed.status_code == 301 and claimed.url.startswith("https://")
