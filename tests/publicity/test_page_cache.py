"""The publication page kept rendered (publicity.page_cache) and its table searched from an
index (publicity.search): what a kept page shows is what a fresh rendering shows, a change
by the services shows at once, and a search over a long roster reads the index."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from publicity import page_cache
from publicity.models import PublicationStatus
from publicity.selectors import public_site
from publicity.services import objections, publications
from resettlement.masking import Mask, mask
from tests.publicity.factories import long_roster

pytestmark = pytest.mark.usefixtures("fresh_limits_and_private_media")


def _url(publication, **query) -> str:
    url = reverse("public:publication-detail", args=[publication.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


@pytest.fixture
def nothing_kept(monkeypatch):
    """No page kept in this process's memory (the shared cache is emptied per test), and a
    clock for what it remembers that the test moves."""
    monkeypatch.setattr(page_cache, "_local", {})
    monkeypatch.setattr(page_cache, "_states", {})
    clock = [1000.0]
    monkeypatch.setattr(page_cache, "_clock", lambda: clock[0])
    return clock


def _another_web_process() -> None:
    """What this process kept in memory goes; the shared cache (Redis) stays."""
    page_cache.clear_local()


def _fresh(client, url: str, **headers):
    """The page rendered afresh: nothing kept anywhere."""
    cache.clear()
    page_cache.clear_local()
    return client.get(url, **headers)


@pytest.mark.parametrize("query", [{}, {"page": "2"}, {"q": "王"}])
def test_a_kept_page_is_the_page_a_fresh_rendering_gives(
    client, published_population, nothing_kept, query
):
    url = _url(published_population, **query)
    client.get(url)
    kept = client.get(url)

    fresh = _fresh(client, url)

    assert kept.content == fresh.content
    assert kept["ETag"] == fresh["ETag"]


def test_a_page_seen_before_costs_no_query_and_its_304_none_either(
    client, published_population, nothing_kept
):
    url = _url(published_population)
    first = client.get(url)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert len(queries) == 0
    assert again.content == first.content
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == first["ETag"]
    assert unchanged["Cache-Control"] == again["Cache-Control"] == "public, max-age=300"


def test_another_process_serves_the_page_kept_in_the_shared_cache_without_a_query(
    client, published_population, nothing_kept
):
    url = _url(published_population)
    first = client.get(url)
    _another_web_process()

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    assert len(queries) == 0
    assert again.content == first.content


def test_searches_are_kept_only_in_the_process_that_served_them(
    client, published_population, nothing_kept
):
    """Anyone may type any number of searches: they never take room in the shared cache."""
    url = _url(published_population, q="王")
    first = client.get(url)
    with CaptureQueriesContext(connection) as same_process:
        client.get(url)
    _another_web_process()
    with CaptureQueriesContext(connection) as other_process:
        again = client.get(url)

    assert len(same_process) == 0
    assert len(other_process) > 1  # rendered again
    assert again.content == first.content


def test_a_get_writes_nothing_to_the_database(client, published_population, nothing_kept):
    with CaptureQueriesContext(connection) as queries:
        client.get(_url(published_population))
        client.get(_url(published_population, q="王"))

    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)


def test_a_withdrawn_publication_is_not_served_from_the_cache(
    client, published_population, leader, nothing_kept
):
    url = _url(published_population)
    before = client.get(url)
    searched_before = client.get(_url(published_population, q="王"))
    assert "已撤回" not in before.content.decode()

    publications.publication_withdraw(
        actor=leader, publication=published_population, reason="数据有误,重新核对"
    )

    after = client.get(url)
    searched_after = client.get(_url(published_population, q="王"))
    for response in (after, searched_after):
        assert "已撤回" in response.content.decode()
        assert "数据有误,重新核对" in response.content.decode()
    assert after["ETag"] != before["ETag"]
    assert searched_after["ETag"] != searched_before["ETag"]


def test_other_web_processes_stop_serving_a_withdrawn_publication_within_a_second(
    client, published_population, leader, nothing_kept
):
    url = _url(published_population)
    client.get(url)
    remembered = dict(page_cache._states)  # what another web process remembers too

    publications.publication_withdraw(actor=leader, publication=published_population, reason="更正")
    page_cache._states.update(remembered)  # ... and still does: it did not withdraw it

    assert "已撤回" not in client.get(url).content.decode()
    nothing_kept[0] += page_cache.LOCAL_STATE_SECONDS
    assert "已撤回" in client.get(url).content.decode()


def test_an_answer_to_an_objection_shows_at_once_on_a_page_seen_before(
    client, published_population, leader, nothing_kept
):
    objection = objections.objection_file(
        publication=published_population,
        contact_name="赵六",
        contact_phone="13800001111",
        household_code="",
        text="名单有误",
        attachment=None,
    )
    url = _url(published_population)
    client.get(url)

    objections.objection_answer(
        actor=leader, objection=objection, answer="已核实,名单无误", upheld=False
    )

    assert "已核实,名单无误" in client.get(url).content.decode()


def test_a_page_is_kept_per_language(client, published_population, nothing_kept):
    url = _url(published_population)
    chinese = client.get(url)
    client.cookies["django_language"] = "en"
    english = client.get(url)
    english_again = client.get(url, HTTP_IF_NONE_MATCH=chinese["ETag"])

    assert english["Content-Language"] == "en"
    assert chinese["ETag"] != english["ETag"]
    assert english.content != chinese.content
    assert english_again.status_code == 200  # the Chinese page's ETag is not the English one
    assert english_again.content == english.content
    del client.cookies["django_language"]
    assert client.get(url).content == chinese.content


# --- Searching a long roster -------------------------------------------------------------

ROWS = 15_000
OUYANG = ["H99999", "南宫河村", "第9村民小组", mask("欧阳明月", Mask.NAME), "户主", "", "农业"]


@pytest.fixture
def long_published(project, leader):
    publication = long_roster(project, leader, rows=ROWS, extra_rows=[OUYANG])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE publicity_publicationrow")
    return publication


def _found(publication, query: str) -> list[list[str]]:
    return list(public_site.public_rows(publication, query))


def test_a_search_over_a_long_roster_finds_the_household_and_the_surname(long_published):
    household = _found(long_published, "h04321")  # typed in lower case
    assert [row[0] for row in household] == ["H04321"] * 3
    assert _found(long_published, "欧阳") == [OUYANG]
    assert _found(long_published, "欧阳 第9村民小组") == [OUYANG]
    assert _found(long_published, "欧阳 第1村民小组") == []
    # Words are found in any cell, each in one of them: the second group's spouses.
    spouses = _found(long_published, "第2村民小组 配偶")
    assert len(spouses) == sum(1 for i in range(ROWS) if i % 4 == 1 and i % 3 == 1)


def test_the_search_page_shows_the_row_found_among_fifteen_thousand(client, long_published):
    html = client.get(_url(long_published, q="H04321")).content.decode()
    assert "找到 3 行" in html
    assert html.count("H04321") >= 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
@pytest.mark.parametrize("query", ["H04321", "欧阳"])
def test_a_search_reads_the_index_not_every_row(long_published, query):
    rows = public_site.public_rows(long_published, query)
    plan = rows.explain()

    assert "publicity_publicationrow_grams" in plan
    assert "Seq Scan" not in plan


def test_publishing_writes_the_rows_the_public_sees_masked(published_population):
    stored = list(public_site.public_rows(published_population, ""))
    assert stored == public_site.public_table(published_population).rows
    assert published_population.status == PublicationStatus.PUBLISHED


# --- The index answers as reading the table would ---------------------------------------

ODD_ROWS = [
    ["H80001", "a_b%村", "第3村民小组", mask("欧阳明月", Mask.NAME), "户主", "", "非农业"],
    ["H80002", "东 西村", "第3村民小组", "Straße", "配偶", "", "农业"],
    ["H80003", "南宫河村", "第12村民小组", "王**", "子女", "", "Agricultural"],
]


def _read_from_the_table(publication, query: str) -> list[list[str]]:
    """The search's rule applied to the rows as the public sees them (`public_table`), the
    way the page searched them before the index: every word, case folded, is contained in
    one of a row's cells."""
    words = [word.casefold() for word in query.split()]
    return [
        row
        for row in public_site.public_table(publication).rows
        if all(any(word in str(cell).casefold() for cell in row) for word in words)
    ]


def test_the_index_finds_the_rows_that_reading_the_table_finds(project, leader):
    publication = long_roster(project, leader, rows=40, extra_rows=ODD_ROWS)
    cells = {str(cell) for row in public_site.public_table(publication).rows for cell in row}
    # Every piece of up to five characters of every cell, one word or two.
    pieces = sorted(
        {cell[i : i + n] for cell in cells for n in range(1, 6) for i in range(len(cell))} - {""}
    )
    queries = [
        *pieces,
        *(f"{a} {b}" for a, b in zip(pieces, reversed(pieces), strict=True)),
        "H0000",  # a prefix of several codes
        "h80001 户主",  # lower case, two cells
        "STRASSE",  # folds as ß does
        "ß",
        "东西",  # the space inside the cell stays: no match
        "a_b%",  # LIKE's wildcards are plain characters to the search
        "%",
        "_",
        "欧阳 第3村民小组",
        "欧阳 第1村民小组",
        "第12村民小组",
        "Agri 农业",
        "不存在",
        "   ",
        "",
    ]
    found_somewhere = 0
    for query in queries:
        expected = _read_from_the_table(publication, query)
        assert _found(publication, query) == expected, query
        found_somewhere += bool(expected)
    assert found_somewhere > len(queries) // 2  # most queries find something to compare
    assert _found(publication, "东西") == []
    assert _found(publication, "a_b%") == [publication.rows[40]]
    assert _found(publication, "STRASSE") == [ODD_ROWS[1]]
