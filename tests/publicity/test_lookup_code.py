"""The lookup code on a household's notice is a bearer secret (issue 11, finding 4): the
resident's page it opens shows ID and phone numbers masked, no log line ever holds it (a
short keyed hash stands in), and it can be tried only so often from all addresses together,
however many addresses ask."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from resettlement.logs import SecretPathFilter, code_mark
from resettlement.masking import Mask, mask
from tests.test_logs import run_with_json_logs

CODE = "QX7K2M9PWT"  # a well-formed code nobody holds

ADDRESSES = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


# --- the page ------------------------------------------------------------------------------


def test_the_residents_page_masks_the_households_own_ids_and_phone(client, approved_household):
    body = client.get(reverse("public:resident", args=[approved_household.lookup_code]))
    html = body.content.decode()
    assert approved_household.code in html
    for member in approved_household.members.all():
        assert member.name in html
        assert member.id_number not in html and member.id_number[6:14] not in html
        assert mask(member.id_number, Mask.ID_NUMBER) in html
    assert approved_household.phone not in html
    assert mask(approved_household.phone, Mask.PHONE) in html
    assert approved_household.address not in html


# --- the logs --------------------------------------------------------------------------------


def test_the_mark_is_a_keyed_hash_of_the_code_as_the_site_reads_it():
    expected = hmac.new(
        django_settings.SECRET_KEY.encode(), CODE.encode(), hashlib.sha256
    ).hexdigest()[:10]
    assert code_mark(CODE) == "code~" + expected
    assert code_mark("qx7k-2m9p wt") == code_mark(CODE)  # as typed off the paper


@pytest.fixture
def records(caplog):
    """Records as the configured console handler lets them out."""
    caplog.handler.addFilter(SecretPathFilter())
    caplog.set_level(logging.INFO)
    return caplog


def _everything_logged(records) -> str:
    return "\n".join(
        f"{r.getMessage()} {json.dumps(vars(r), default=str, ensure_ascii=False)}"
        for r in records.records
    )


def test_the_resident_page_is_logged_without_its_code(client, approved_household, records):
    code = approved_household.lookup_code
    assert client.get(reverse("public:resident", args=[code])).status_code == 200
    assert client.get(f"/public/aftercare/{code}/").status_code == 200
    assert client.get(f"/public/aftercare/{CODE}/").status_code == 404  # Django: "Not Found"
    access = [r for r in records.records if r.name == "resettlement.access"]
    assert [r.path for r in access] == [
        f"/public/my/{code_mark(code)}/",
        f"/public/aftercare/{code_mark(code)}/",
        f"/public/aftercare/{code_mark(CODE)}/",
    ]
    assert any(r.name == "django.request" for r in records.records)
    logged = _everything_logged(records)
    assert code not in logged and CODE not in logged


REQUESTS_IN_A_FRESH_PROCESS = f"""
import django
django.setup()
from django.test import Client
client = Client()
# Refused before any database is needed, so Django logs them as warnings too.
print(client.post("/public/my/{CODE}/").status_code)
print(client.get("/public/aftercare/{CODE}/report/").status_code)
"""


def test_no_log_line_of_the_configured_logging_holds_a_code(tmp_path):
    """The production logging (LOG_FORMAT=json) as configured in settings: the access
    records and Django's own warnings carry the mark, never the code."""
    done = run_with_json_logs(REQUESTS_IN_A_FRESH_PROCESS, tmp_path)
    assert done.stdout.split() == ["405", "405"]
    records = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert {r["logger"] for r in records} >= {"resettlement.access", "django.request"}
    assert CODE not in done.stderr
    access = [r["path"] for r in records if r["logger"] == "resettlement.access"]
    mark = code_mark(CODE)
    assert access == [f"/public/my/{mark}/", f"/public/aftercare/{mark}/report/"]


# --- the limit per code ------------------------------------------------------------------------


def test_five_addresses_together_get_no_more_than_thirty_tries_at_one_code_an_hour(
    client, approved_household
):
    url = reverse("public:resident", args=[CODE])
    statuses = [
        client.get(url, REMOTE_ADDR=address).status_code
        for _ in range(7)  # each address stays under its own 10 a minute
        for address in ADDRESSES
    ]
    assert statuses == [200] * 30 + [429] * 5
    refused = client.get(url, REMOTE_ADDR="10.9.9.9")  # a fresh address too
    assert refused.status_code == 429
    assert "同一个查询码每 60 分钟最多查询 30 次" in refused.content.decode()
    assert refused["Retry-After"] == "3600"
    # The after-care pages count against the same limit, typed or posted.
    assert client.get(f"/public/aftercare/{CODE}/", REMOTE_ADDR="10.9.9.8").status_code == 429
    posted = client.post(
        reverse("settlement-public:lookup"), {"code": CODE.lower()}, REMOTE_ADDR="10.9.9.7"
    )
    assert posted.status_code == 429
    # Other codes are not affected.
    other = reverse("public:resident", args=[approved_household.lookup_code])
    assert client.get(other, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_the_limit_per_code_is_a_setting(client, db, settings):
    settings.PUBLIC_LOOKUP_CODE_RATE = "2/h"
    url = reverse("public:resident", args=[CODE])
    statuses = [client.get(url, REMOTE_ADDR=address).status_code for address in ADDRESSES[:3]]
    assert statuses == [200, 200, 429]
