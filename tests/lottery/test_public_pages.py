"""The public lottery pages: the commitment from the start, the bundle only once signed,
rehearsals never, and no name or ID number in full anywhere."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.cache import cache

from households.models import Member
from lottery.services.draws import lottery_draw_next
from lottery.services.sessions import lottery_session_void
from tests.lottery.factories import create_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_commitment_is_public_as_soon_as_the_session_exists(client, open_session):
    html = page(client, f"/public/lottery/{open_session.code}/")
    assert open_session.commitment in html
    # The record it commits to is public (rs-lottery-v2, docs/lottery.md §13a), with the
    # public value named in advance; the secret and the bundle are not out yet.
    assert "2026330" in html
    assert open_session.server_secret not in html
    assert "bundle.json" not in html
    assert open_session.code in page(client, "/public/lottery/")
    state = client.get(f"/public/lottery/{open_session.code}/state.json").json()
    assert state["commitment"] == open_session.commitment and state["server_secret"] == ""


def test_a_v1_session_shows_no_snapshot_hash_before_the_notary_confirmed(client, v1_open_session):
    """Before v2 put the snapshot hashes in the commitment record, nothing but the
    commitment was out before the notary confirmed; a v1 session still shows no more."""
    html = page(client, f"/public/lottery/{v1_open_session.code}/")
    assert v1_open_session.commitment in html
    assert v1_open_session.participants_sha256 not in html
    assert v1_open_session.inventory_sha256 not in html
    assert v1_open_session.server_secret not in html and "bundle.json" not in html


def test_the_hashes_are_public_once_the_notary_confirmed(client, drawing_session):
    html = page(client, f"/public/lottery/{drawing_session.code}/")
    assert drawing_session.participants_sha256 in html
    assert drawing_session.inventory_sha256 in html
    assert drawing_session.witness_entropy in html
    assert drawing_session.server_secret not in html
    assert "bundle.json" not in html
    assert client.get(f"/public/lottery/{drawing_session.code}/bundle.json").status_code == 404


def test_once_signed_the_bundle_downloads_and_hashes_to_the_published_hash(client, signed_session):
    html = page(client, f"/public/lottery/{signed_session.code}/")
    assert f'href="/public/lottery/{signed_session.code}/bundle.json"' in html
    assert signed_session.bundle_sha256 in html and signed_session.server_secret in html
    assert "python3 verify_lottery.py bundle.json" in html
    assert 'href="/public/lottery/verify_lottery.py"' in html

    response = client.get(f"/public/lottery/{signed_session.code}/bundle.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(response.content).hexdigest() == signed_session.bundle_sha256
    assert b'"algorithm":"rs-lottery-v2"' in response.content

    # The results table: every household with its apartments.
    for row in signed_session.bundle["allocation"]:
        assert row["household"] in html
        assert all(code in html for code in row["apartments"])


def test_the_verifier_is_served_as_plain_text(client):
    response = client.get("/public/lottery/verify_lottery.py")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"rs-lottery-v1" in b"".join(response.streaming_content)


def test_a_voided_session_shows_its_reason_and_its_secret(client, leader, open_session):
    lottery_session_void(actor=leader, session=open_session, reason="名单有误,重新摇号")
    html = page(client, f"/public/lottery/{open_session.code}/")
    assert "名单有误,重新摇号" in html
    assert open_session.server_secret in html and open_session.commitment in html
    assert "bundle.json" not in html


def test_rehearsals_are_never_published(client, leader, notary, operator, lottery_project):
    rehearsal = create_session(lottery_project, leader, code="R1", rehearsal=True)
    assert "R1" not in page(client, "/public/lottery/")
    for suffix in ("", "live/", "state.json", "bundle.json"):
        assert client.get(f"/public/lottery/R1/{suffix}").status_code == 404, suffix
    assert rehearsal.rehearsal


def test_an_unknown_session_is_a_404(client, db):
    assert client.get("/public/lottery/NOPE/").status_code == 404
    assert client.get("/public/lottery/NO%00PE/").status_code == 404


def test_public_pages_and_state_never_show_full_names_or_id_numbers(client, signed_session):
    members = Member.objects.filter(household__project=signed_session.project)
    names = list(members.values_list("name", flat=True))
    ids = list(members.values_list("id_number", flat=True))
    code = signed_session.code
    texts = [
        page(client, "/public/lottery/"),
        page(client, f"/public/lottery/{code}/"),
        page(client, f"/public/lottery/{code}/live/"),
        client.get(f"/public/lottery/{code}/state.json").content.decode(),
        client.get(f"/public/lottery/{code}/bundle.json").content.decode(),
    ]
    for text in texts:
        for name in names:
            assert name not in text
        for number in ids:
            assert number not in text
            assert number[2:-3] not in text
    # The masked surname is there, on the results.
    assert re.search(r"[\u4e00-\u9fff]\*+", texts[1])


def test_the_live_page_polls_the_public_state(client, drawing_session, operator):
    lottery_draw_next(actor=operator, session=drawing_session, expected_position=1)
    html = page(client, f"/public/lottery/{drawing_session.code}/live/")
    assert f'data-state-url="/public/lottery/{drawing_session.code}/state.json"' in html
    state = client.get(f"/public/lottery/{drawing_session.code}/state.json").json()
    assert state["position"] == 1 and state["reveals"][0]["level"] == "village"


def test_too_many_requests_from_one_address_are_refused(client, settings, open_session):
    settings.PUBLIC_LOTTERY_STATE_RATE = "3/m"
    url = f"/public/lottery/{open_session.code}/state.json"
    responses = [client.get(url) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    refused = responses[-1]
    assert refused["Retry-After"] == "60"
    assert "您的请求过于频繁,请一分钟后再试。" in refused.content.decode()
    assert 'href="/public/lottery/"' in refused.content.decode()  # the way back


def _result_numbers(html: str) -> list[int]:
    results = html[html.index('id="results"') :]
    return [int(n) for n in re.findall(r'data-label="序号">(\d+)</td>', results)]


def test_the_results_are_numbered_from_one_in_call_order(client, signed_session):
    # Two villages are drawn first (positions 1 and 2); the first household is still 序号 1.
    html = page(client, f"/public/lottery/{signed_session.code}/")
    assert _result_numbers(html) == list(range(1, 13))


def test_the_results_come_a_page_at_a_time(client, signed_session, monkeypatch):
    from lottery.views import public

    monkeypatch.setattr(public, "RESULTS_PAGE_SIZE", 5)
    first = page(client, f"/public/lottery/{signed_session.code}/")
    assert _result_numbers(first) == [1, 2, 3, 4, 5]
    assert "第 1 / 3 页" in first and "page=2#results" in first
    third = page(client, f"/public/lottery/{signed_session.code}/?page=3")
    assert _result_numbers(third) == [11, 12]


def test_a_household_finds_its_result_by_group_code_or_apartment(client, signed_session):
    row = signed_session.bundle["allocation"][0]
    household, apartment = row["household"], row["apartments"][0]
    url = f"/public/lottery/{signed_session.code}/"
    by_code = page(client, f"{url}?q={household}")
    assert household in by_code and "找到 1 行" in by_code
    by_apartment = page(client, f"{url}?q={apartment}")
    assert household in by_apartment
    by_group = page(client, f"{url}?q=1村第1组")
    assert "找到 3 行" in by_group
    head = Member.objects.get(household__code=household, relation="head")
    by_full_name = page(client, f"{url}?q={head.name}")  # the rows show surnames only
    assert "找到 0 行" in by_full_name and _result_numbers(by_full_name) == []
