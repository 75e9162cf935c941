"""The public site as a visitor without a login sees it: projects, publications (never a
draft), the searchable masked table, the hash, PDFs, caching, and the resident's own page."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import HouseholdStatus
from publicity.services import publications, rendering
from publicity.views import public_site
from resettlement.masking import Mask, mask
from tests.households.factories import VillagerGroupFactory, approve
from tests.publicity.factories import draft, drafter, publish, register_family, roster_part

pytestmark = pytest.mark.usefixtures("fresh_limits_and_private_media")


@pytest.fixture
def neighbour(register, reviewer, leader):
    household = register_family(register, head="赵大山", spouse="钱小梅", phone="13900001111")
    return approve(household, reviewer=reviewer, leader=leader)


def _html(response) -> str:
    return response.content.decode()


def _publication_url(publication, **query) -> str:
    url = reverse("public:publication-detail", args=[publication.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


# --- Projects and publications -------------------------------------------------------------


def test_the_public_home_lists_projects_without_a_login(client, published_population):
    response = client.get(reverse("public:project-list"))
    assert response.status_code == 200
    html = _html(response)
    project = published_population.project
    assert project.name in html
    assert reverse("public:project-detail", args=[project.code]) in html
    assert "1 项公示" in html


def test_the_project_page_lists_published_closed_and_withdrawn_but_never_drafts(
    client, approved_household, leader
):
    project = approved_household.project
    published = publish(leader, project, "population")
    closed = publish(
        leader,
        project,
        "registration",
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2024, 1, 7),
    )
    publications.publications_close_expired()
    withdrawn = publish(leader, project, "entitlement")
    publications.publication_withdraw(actor=leader, publication=withdrawn, reason="面积计算有误")
    hidden = draft(leader, project, "entitlement")
    hidden.title = "尚未发布的草稿"
    hidden.save(update_fields=["title"])

    html = _html(client.get(reverse("public:project-detail", args=[project.code])))
    for publication in (published, closed, withdrawn):
        assert reverse("public:publication-detail", args=[publication.pk]) in html
    assert "公示中" in html and "公示期满" in html and "已撤回" in html
    assert "撤回理由:面积计算有误" in html
    assert "尚未发布的草稿" not in html
    assert reverse("public:publication-detail", args=[hidden.pk]) not in html


def test_an_unknown_project_is_not_found(client, db):
    assert client.get(reverse("public:project-detail", args=["NOPE"])).status_code == 404


def test_a_draft_is_not_found_by_its_address(client, approved_household, leader):
    hidden = draft(leader, approved_household.project)
    assert client.get(_publication_url(hidden)).status_code == 404
    assert client.get(reverse("public:objection-file", args=[hidden.pk])).status_code == 404


def test_the_publication_page_shows_period_status_version_and_the_hash(
    client, published_population
):
    publication = published_population
    response = client.get(_publication_url(publication))
    assert response.status_code == 200
    html = _html(response)
    assert publication.title in html
    assert publication.content_hash in html
    assert "内容哈希(SHA-256)" in html
    assert f"{publication.starts_on:%Y-%m-%d} 至 {publication.ends_on:%Y-%m-%d}" in html
    assert "公示中" in html
    assert "第 1 版" in html
    # The masked rows, with every column's label (phones read the table as cards).
    assert "王**" in html and "李**" in html
    assert 'data-label="身份证号"' in html
    assert reverse("public:objection-file", args=[publication.pk]) in html


def test_a_withdrawn_publication_shows_its_public_reason(client, published_population, leader):
    publications.publication_withdraw(
        actor=leader, publication=published_population, reason="名册漏列一户,更正后重新公示"
    )
    html = _html(client.get(_publication_url(published_population)))
    assert "已撤回" in html
    assert "名册漏列一户,更正后重新公示" in html
    # Nobody can object to a withdrawn roster.
    assert reverse("public:objection-file", args=[published_population.pk]) not in html


def test_the_table_is_searched_on_the_server(client, published_population, neighbour, leader):
    publication = publish(leader, neighbour.project)  # both households
    html = _html(client.get(_publication_url(publication, q=neighbour.code)))
    assert "“" + neighbour.code + "”找到 2 行" in html
    assert "赵**" in html and "钱**" in html
    assert "王**" not in html


def test_a_search_cannot_confirm_more_than_the_masked_rows_show(
    client, published_population, approved_household
):
    """The rows are masked before they are searched, and an ID number typed into the search
    is masked before it is searched or echoed."""
    member = approved_household.members.get(relation="head")
    html = _html(client.get(_publication_url(published_population, q=member.name)))
    assert "找到 0 行" in html
    assert "没有符合条件的内容。" in html
    html = _html(client.get(_publication_url(published_population, q=member.id_number)))
    assert member.id_number not in html
    masked = member.id_number[:2] + "*" * 13 + member.id_number[-3:]
    assert f'value="{masked}"' in html


def test_the_table_is_paginated(client, published_population, monkeypatch):
    monkeypatch.setattr(public_site, "PAGE_SIZE", 1)
    first = _html(client.get(_publication_url(published_population)))
    second = _html(client.get(_publication_url(published_population, page=2)))
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    assert ("王**" in first) != ("王**" in second)
    assert "page=2" in first


def test_other_versions_are_linked_from_each_version(client, published_population, leader):
    second = publications.publication_new_version(actor=drafter(), publication=published_population)
    second = publications.publication_publish(actor=leader, publication=second)
    first_html = _html(client.get(_publication_url(published_population)))
    second_html = _html(client.get(_publication_url(second)))
    assert _publication_url(second) in first_html
    assert _publication_url(published_population) in second_html
    # v1 closed when v2 was published: it reads as corrected, not as a period that ran out
    assert "已更正,见第2版" in first_html and "公示期满" not in first_html


def test_a_notice_board_roster_with_full_names_still_shows_masked_names_online(
    client, approved_household, leader
):
    publication = publish(leader, approved_household.project, mask_names=False)
    assert "王建国" in str(publication.rows)  # printed in full for the community's own board
    html = _html(client.get(_publication_url(publication)))
    assert "王建国" not in html and "李秀英" not in html
    assert "王**" in html
    searched = _html(client.get(_publication_url(publication, q="王建国")))
    assert "找到 0 行" in searched


def test_pages_are_in_chinese_until_the_visitor_chooses_english_with_the_switch(
    client, published_population
):
    url = _publication_url(published_population)
    chinese = client.get(url)
    assert chinese["Content-Language"] == "zh-hans" and "内容哈希" in _html(chinese)
    # To the same page (its path only: a search typed into it is not echoed unmasked).
    switch = reverse("choose-language", args=["en"]) + "?next=" + url
    assert switch in _html(chinese)
    assert ">English</a>" in _html(chinese)
    assert client.get(switch).url == url
    english = client.get(url)
    assert english["Content-Language"] == "en" and "Cookie" in english["Vary"]
    assert "Content hash (SHA-256)" in _html(english)
    # The frozen table: its column labels and enumerated cells in English, names as they are.
    assert "<th>Household code</th>" in _html(english) and "Head of household" in _html(english)
    assert "王**" in _html(english)
    assert ">简体中文</a>" in _html(english)
    # Kept pages and their ETags are per language: the English page is not a 304 of the
    # Chinese one, nor the Chinese page kept on the server.
    assert english["ETag"] != chinese["ETag"]


def test_the_language_switch_goes_back_only_to_this_site(client, db):
    response = client.get(reverse("choose-language", args=["en"]) + "?next=https://evil.example/")
    assert response.url == reverse("public:project-list")
    assert client.get(reverse("choose-language", args=["fr"])).status_code == 404


# --- Checking the hash --------------------------------------------------------------------


def test_anyone_can_recompute_the_hash_from_the_published_snapshot(client, published_population):
    page = _html(client.get(_publication_url(published_population)))
    url = reverse("public:publication-snapshot", args=[published_population.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert hashlib.sha256(response.content).hexdigest() == published_population.content_hash
    # As docs/publicity.md recomputes it: parse, write canonically, hash.
    document = json.loads(response.content)
    again = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(again.encode()).hexdigest() == published_population.content_hash
    assert document["rows"] == published_population.rows
    assert response["ETag"] == f'"{published_population.content_hash}"'
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_no_snapshot_of_a_draft_or_of_a_full_name_roster_is_served(
    client, approved_household, leader
):
    hidden = draft(leader, approved_household.project)
    board = publish(leader, approved_household.project, "registration", mask_names=False)
    for publication in (hidden, board):
        url = reverse("public:publication-snapshot", args=[publication.pk])
        assert client.get(url).status_code == 404
    assert "snapshot.json" not in _html(client.get(_publication_url(board)))


# --- PDFs ---------------------------------------------------------------------------------


def test_the_newest_finished_roster_pdf_is_offered_for_download(
    client, published_population, leader
):
    roster_part(published_population, actor=leader, label="旧版分册")
    newest = roster_part(published_population, actor=leader, label="南宫河村")
    html = _html(client.get(_publication_url(published_population)))
    url = reverse("public:roster-part", args=[published_population.pk, newest.pk])
    assert url in html
    assert "旧版分册" not in html
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_no_pdf_of_a_draft_or_of_a_full_name_roster_is_served(client, approved_household, leader):
    project = approved_household.project
    hidden = draft(leader, project)
    hidden_part = roster_part(hidden, actor=leader)
    board = publish(leader, project, mask_names=False)
    board_part = roster_part(board, actor=leader)
    for publication, part in ((hidden, hidden_part), (board, board_part)):
        url = reverse("public:roster-part", args=[publication.pk, part.pk])
        assert client.get(url).status_code == 404
    assert reverse("public:roster-part", args=[board.pk, board_part.pk]) not in _html(
        client.get(_publication_url(board))
    )


def test_a_part_is_only_served_under_its_own_publication(client, published_population, leader):
    other = publish(leader, published_population.project, "entitlement")
    part = roster_part(published_population, actor=leader)
    url = reverse("public:roster-part", args=[other.pk, part.pk])
    assert client.get(url).status_code == 404


# --- Caching ------------------------------------------------------------------------------


def test_a_published_page_carries_its_hash_as_etag_and_may_be_cached(client, published_population):
    response = client.get(_publication_url(published_population))
    etag = response["ETag"]
    assert published_population.content_hash in etag
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]

    again = client.get(_publication_url(published_population), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert "public" in again["Cache-Control"]


def test_the_etag_differs_per_page_and_search(client, published_population):
    plain = client.get(_publication_url(published_population))["ETag"]
    searched = client.get(_publication_url(published_population, q="王"))["ETag"]
    second = client.get(_publication_url(published_population, page=2))["ETag"]
    assert len({plain, searched, second}) == 3
    stale = client.get(_publication_url(published_population, q="王"), HTTP_IF_NONE_MATCH=plain)
    assert stale.status_code == 200


def test_the_etag_changes_when_the_page_does(client, published_population, leader):
    url = _publication_url(published_population)
    before = client.get(url)["ETag"]
    publications.publication_withdraw(actor=leader, publication=published_population, reason="更正")
    response = client.get(url, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response["ETag"] != before
    assert "更正" in _html(response)


def test_a_draft_gets_no_etag_and_no_cache_headers(client, approved_household, leader):
    response = client.get(_publication_url(draft(leader, approved_household.project)))
    assert response.status_code == 404
    assert not response.has_header("ETag")
    assert "public" not in response.get("Cache-Control", "")


# --- The resident's own page --------------------------------------------------------------


def test_a_resident_sees_their_own_household_by_code(
    client, published_population, approved_household, neighbour
):
    response = client.post(
        reverse("public:resident-lookup"), {"code": approved_household.lookup_code}
    )
    assert response.status_code == 200
    html = _html(response)
    assert f"户编号 {approved_household.code}" in html
    assert "已审批" in html
    for member in approved_household.members.all():
        assert member.name in html
        # Their own record, but masked: whoever holds the notice reads it (DESIGN §6).
        assert member.id_number not in html
        assert mask(member.id_number, Mask.ID_NUMBER) in html
    assert "2 人" in html
    assert f"{approved_household.entitlement_area} ㎡" in html
    assert published_population.title in html and "本户在列" in html
    # Nothing of the neighbours'.
    for member in neighbour.members.all():
        assert member.name not in html
        assert member.id_number not in html
    assert neighbour.code not in html
    assert neighbour.phone not in html
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_the_qr_code_address_shows_the_same_page(client, approved_household):
    response = client.get(reverse("public:resident", args=[approved_household.lookup_code]))
    assert response.status_code == 200
    assert f"户编号 {approved_household.code}" in _html(response)


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: f" {code[:4]}-{code[4:7]} {code[7:]} ",
        lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code),  # full-width, from an IME
    ],
    ids=["lower-case", "spaces-and-dashes", "full-width"],
)
def test_codes_are_forgiving_about_case_spaces_and_dashes(client, approved_household, typed):
    response = client.post(
        reverse("public:resident-lookup"), {"code": typed(approved_household.lookup_code)}
    )
    assert f"户编号 {approved_household.code}" in _html(response)


def test_an_unknown_code_says_not_found_and_shows_no_household(client, approved_household):
    response = client.post(reverse("public:resident-lookup"), {"code": "ZZZZ-ZZZZ-ZZ"})
    assert response.status_code == 200
    html = _html(response)
    assert "没有找到与该查询码对应的安置户" in html
    assert approved_household.code not in html
    assert 'name="code"' in html  # try again


def test_known_and_unknown_codes_take_the_same_path(
    client, approved_household, published_population
):
    def queries(code: str) -> list[str]:
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("public:resident", args=[code]))
        assert response.status_code == 200
        return [q["sql"] for q in context.captured_queries]

    known = queries(approved_household.lookup_code)
    unknown = queries("ZZZZZZZZZZ")
    assert len(known) == len(unknown)
    # The same statements; only the code differs, and the household code found with it.
    found = approved_household.code
    shape = [sql.replace(approved_household.lookup_code, "?").replace(found, "") for sql in known]
    assert shape == [sql.replace("ZZZZZZZZZZ", "?") for sql in unknown]


def test_a_household_sent_back_shows_it_is_being_reviewed_again(
    client, approved_household, reviewer
):
    from households.services import review

    review.household_send_back(actor=reviewer, household=approved_household, reason="公示异议成立")
    html = _html(client.get(reverse("public:resident", args=[approved_household.lookup_code])))
    assert "审批后确定" in html
    assert "待审核" in html
    approved_household.refresh_from_db()
    assert approved_household.status == HouseholdStatus.REGISTERED


def test_a_roster_that_leaves_the_household_out_says_so(client, register, leader):
    household = register_family(register, head="孙不列", spouse="周不列", phone="13700002222")
    elsewhere = VillagerGroupFactory()  # another project entirely: not in scope
    publication = publish(leader, household.project, "registration")
    population = publish(leader, household.project, "population")  # only approved households
    html = _html(client.get(reverse("public:resident", args=[household.lookup_code])))
    assert publication.title in html and population.title in html
    assert "本户在列" in html and "本户未列入" in html
    assert elsewhere.project.name not in html


def test_lookups_are_rate_limited_per_client(client, approved_household, settings):
    settings.PUBLIC_LOOKUP_RATE = "3/m"
    url = reverse("public:resident", args=["ZZZZZZZZZZ"])
    for _ in range(3):
        assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert "操作过于频繁" in _html(refused)
    assert "每 1 分钟最多查询 3 次" in _html(refused)
    assert refused["Retry-After"] == "60"
    # Even the right code is refused now: guessing cannot continue.
    known = client.get(reverse("public:resident", args=[approved_household.lookup_code]))
    assert known.status_code == 429
    assert approved_household.code not in _html(known)
    posted = client.post(reverse("public:resident-lookup"), {"code": "ZZZZZZZZZZ"})
    assert posted.status_code == 429
    # Another address is not affected.
    other = client.get(url, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_the_default_limit_is_ten_lookups_a_minute(client, db):
    url = reverse("public:resident", args=["ZZZZZZZZZZ"])
    statuses = [client.get(url).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_opening_the_lookup_form_is_not_a_lookup(client, db, settings):
    settings.PUBLIC_LOOKUP_RATE = "1/m"
    for _ in range(3):
        assert client.get(reverse("public:resident-lookup")).status_code == 200


def test_an_empty_code_is_asked_for_again(client, db):
    response = client.post(reverse("public:resident-lookup"), {"code": "  "})
    assert response.status_code == 200
    assert "请输入通知书上的查询码。" in _html(response)


@pytest.mark.parametrize(
    "path",
    [
        "/public/projects/%00/",
        "/public/my/%00/",
        "/public/my/" + "A" * 500 + "/",
        "/public/publications/{pk}/?q=%00&page=%00",
        "/public/publications/{pk}/?page=-1",
        "/public/publications/{pk}/?q=" + "王" * 500,
        "/public/publications/99999999/",
    ],
)
def test_odd_input_gets_an_answer_never_an_error(client, published_population, path):
    response = client.get(path.format(pk=published_population.pk))
    assert response.status_code in (200, 404)


def test_a_closed_publication_page_links_the_next_version_as_soon_as_it_is_published(
    client, published_population, leader
):
    published_population.__class__.objects.filter(pk=published_population.pk).update(
        status="closed"
    )  # its period ended
    url = _publication_url(published_population)
    before = client.get(url)
    assert "第 2 版" not in _html(before)

    v2 = publications.publication_new_version(actor=drafter(), publication=published_population)
    publications.publication_publish(actor=leader, publication=v2)
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert f'href="{_publication_url(v2)}"' in _html(after)


def test_a_publication_page_seen_before_is_served_from_the_cache_without_a_query(
    client, published_population
):
    url = _publication_url(published_population)
    first = client.get(url)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    assert len(queries) == 0
    assert _html(again) == _html(first)
    assert again["ETag"] == first["ETag"]


def test_a_search_seen_before_is_served_from_the_cache_too(client, published_population):
    first = client.get(_publication_url(published_population, q="王"))

    with CaptureQueriesContext(connection) as queries:
        again = client.get(_publication_url(published_population, q="王"))

    assert len(queries) == 0
    assert _html(again) == _html(first)


def test_each_visitor_of_the_lookup_page_gets_a_token_of_their_own_that_works(
    settings, approved_household
):
    settings.DEBUG = False  # the blank page is kept rendered only with DEBUG off
    tokens = []
    for _visitor in range(2):
        browser = Client(enforce_csrf_checks=True)
        page = browser.get(reverse("public:resident-lookup"))
        token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', _html(page)).group(1)
        tokens.append(token)
        looked_up = browser.post(
            reverse("public:resident-lookup"),
            {"csrfmiddlewaretoken": token, "code": approved_household.lookup_code},
        )
        assert looked_up.status_code == 200
        assert approved_household.code in _html(looked_up)
    assert tokens[0] != tokens[1]


def test_a_new_print_run_is_shown_at_once_even_on_a_page_seen_before(
    client, published_population, leader
):
    """The kept page follows the newest roster job like a fresh rendering does: while a
    new print run is under way its unfinished parts are not offered, nor the old run's."""
    url = _publication_url(published_population)
    old = roster_part(published_population, actor=leader, label="旧版分册")
    before = client.get(url)
    assert "旧版分册" in _html(before)

    rendering.roster_render_start(actor=leader, publication=published_population)
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert reverse("public:roster-part", args=[published_population.pk, old.pk]) not in _html(after)
