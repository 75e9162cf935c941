"""A crawl of every public page finds no full resident ID number and no full phone number.

The data is what a real project publishes: approved households with members and phones,
population, entitlement and registration rosters (project-wide and per community, one
printed with full names for a notice board, one withdrawn, one corrected in a second
version), and answered objections whose text and answer mention ID and phone numbers. The
crawler follows every link under /public/ (every project, publication, version, page of
every table, PDF link, objection form) and adds searches; every response is scanned.

The resident's own page shows the household's own record, masked like everything else
(DESIGN §6: a notice can be lost). It is scanned separately, for any *other* household's
data too.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from households.models import Household, Member
from publicity.models import Objection
from publicity.services import objections, publications
from publicity.views import public_site
from resettlement.masking import Mask, mask
from tests.households.factories import (
    CommunityFactory,
    VillagerGroupFactory,
    approve,
    member_data,
)
from tests.publicity.factories import drafter, publish, roster_part

# 17 digits and a check character: a full resident ID number, wherever it appears.
FULL_ID = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9A-Za-z])")
# A full mobile number, written plainly or grouped 3-4-4.
FULL_PHONE = re.compile(r"(?<!\d)1\d{2}[- ]?\d{4}[- ]?\d{4}(?!\d)")
# Long hexadecimal strings (content hashes) and form tokens are not personal data, but
# could contain a run of digits by chance: they are removed before scanning.
NOT_PERSONAL = re.compile(r"\b[0-9a-f]{32,}\b|name=\"csrfmiddlewaretoken\" value=\"[^\"]+\"")

PHONES = ["13812340001", "13912340002", "13712340003", "15012340004", "18612340005"]


@pytest.fixture(autouse=True)
def fresh_limits_and_private_media(private_media, settings):
    settings.PUBLIC_LOOKUP_RATE = "1000/m"  # the crawl is one client asking a lot
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published_project(register_in, reviewer, leader, monkeypatch):
    """Two communities, five households (four approved), and everything published."""
    monkeypatch.setattr(public_site, "PAGE_SIZE", 3)  # many pages to crawl
    north = VillagerGroupFactory()
    south = VillagerGroupFactory(
        community=CommunityFactory(project=north.project, name="南宫河南村"),
        project=north.project,
    )
    families = [
        (north, "王建国", "李秀英", PHONES[0]),
        (north, "欧阳明", "孙丽", PHONES[1]),
        (south, "赵大山", "钱小梅", PHONES[2]),
        (south, "周文", "吴芳", PHONES[3]),
        (south, "郑未审", "冯未审", PHONES[4]),
    ]
    households = []
    for group, head, spouse, phone in families:
        households.append(
            register_in(
                group,
                phone=phone,
                address=f"{group.community.name}{group.name}8号",
                members=[
                    member_data(name=head),
                    member_data("spouse", name=spouse, sex="F", birth_date=dt.date(1976, 2, 3)),
                    member_data("child", name=head[:-1] + "小", birth_date=dt.date(2001, 5, 6)),
                ],
            )
        )
    for household in households[:4]:
        approve(household, reviewer=reviewer, leader=leader)
    project = north.project

    population = publish(leader, project, "population")
    publish(leader, project, "entitlement")
    publish(leader, project, "registration")
    publish(leader, project, "population", community=south.community)
    publish(leader, project, "registration", community=north.community, mask_names=False)
    withdrawn = publish(leader, project, "entitlement", community=south.community)
    publications.publication_withdraw(
        actor=leader, publication=withdrawn, reason="面积有误,更正后重发"
    )
    roster_part(population, actor=leader)

    head = Member.objects.get(name="王建国")
    other = Member.objects.get(name="赵大山")
    answered = objections.objection_file(
        publication=population,
        contact_name="张明",
        contact_phone="13699998888",
        household_code=households[0].code,
        text=f"王建国(身份证{head.id_number},电话 138-1234-0001)的儿子不应列入。",
    )
    objections.objection_answer(
        actor=leader,
        objection=answered,
        answer=f"经核实,{other.id_number}与本异议无关;请致电{PHONES[2]}了解详情。",
        upheld=False,
    )
    objections.objection_file(
        publication=population,
        contact_name="李四",
        contact_phone="13577776666",
        text=f"尚未答复的异议,身份证 {other.id_number}",
    )
    # A correction published as a second version.
    second = publications.publication_new_version(actor=drafter(), publication=population)
    publications.publication_publish(actor=leader, publication=second)
    return project


def _scannable(text: str) -> str:
    return NOT_PERSONAL.sub("", html.unescape(text))


def _personal_values() -> tuple[set[str], set[str]]:
    ids = set(Member.objects.values_list("id_number", flat=True))
    phones = set(Household.objects.values_list("phone", flat=True))
    phones |= set(Objection.objects.values_list("contact_phone", flat=True))
    return ids, phones - {""}


def _links(body: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"]+)"', body):
        url = urljoin(base, html.unescape(href)).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/public/"):
            continue
        if parts.path.startswith("/public/my/") and parts.path != "/public/my/":
            continue  # a household's own page: scanned separately
        found.append(url)
    return found


def _searches(client, project) -> list[str]:
    """Search URLs for every publication with terms a snooper would try."""
    member = Member.objects.filter(project=project).first()
    household = Household.objects.filter(project=project).first()
    terms = [
        household.code,
        "王",
        "欧阳",
        member.name,
        member.id_number,
        member.id_number[:6],
        member.id_number[-4:],
        "138",
        PHONES[0],
        "*",
    ]
    urls = []
    for publication in project.publications.exclude(status="draft"):
        base = reverse("public:publication-detail", args=[publication.pk])
        urls += [f"{base}?q={term}" for term in terms]
    return urls


def crawl(client, start: list[str], limit: int = 3000) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code in (200, 302, 404), (url, response.status_code)
        if response.get("Content-Type", "").startswith("application/pdf"):
            body = b"".join(response.streaming_content).decode("latin-1")
        else:
            body = response.content.decode()
        seen[url] = body
        if response.status_code == 302:
            queue.append(response["Location"])
        queue.extend(_links(body, url))
    assert len(seen) < limit, "the crawl did not finish"
    return seen


def test_no_public_page_shows_a_full_id_or_phone_number(client, published_project):
    project = published_project
    start = [reverse("public:project-list"), reverse("public:resident-lookup")]
    start += _searches(client, project)
    for objection in Objection.objects.all():
        start.append(reverse("public:objection-file", args=[objection.publication_id]))
        start.append(reverse("public:objection-thanks", args=[objection.publication_id]))
    pages = crawl(client, start)

    # The crawl reached everything public: every publication, every page of its table.
    for publication in project.publications.exclude(status="draft"):
        assert reverse("public:publication-detail", args=[publication.pk]) in pages
    assert any("page=4" in url for url in pages)  # 12 population rows, 3 per page
    assert any("/pdf/" in url for url in pages)
    assert any(url.endswith("snapshot.json") for url in pages)
    assert any("经核实" in body for body in pages.values())  # the answered objection

    ids, phones = _personal_values()
    assert ids and phones
    for url, body in pages.items():
        text = _scannable(body)
        assert not FULL_ID.findall(text), url
        assert not FULL_PHONE.findall(text), url
        for value in ids | phones:
            assert value not in text, (url, value)


def test_the_objection_pages_show_the_contact_surname_only(client, published_project):
    population = published_project.publications.get(
        kind="population", version=1, community__isnull=True
    )
    body = client.get(reverse("public:publication-detail", args=[population.pk])).content.decode()
    assert "张* 于" in body
    assert "张明" not in body
    assert "李四" not in body  # not answered yet: not shown
    assert "138****0001" in body  # the phone in the objection's text, masked


def test_the_resident_page_shows_only_the_households_own_record(client, published_project):
    for household in Household.objects.filter(project=published_project):
        cache.clear()
        body = client.get(reverse("public:resident", args=[household.lookup_code])).content
        text = _scannable(body.decode())
        # No full ID or phone number at all, its own included: whoever holds the notice
        # reads this page (DESIGN §6).
        assert not FULL_ID.findall(text) and not FULL_PHONE.findall(text), household.code
        assert mask(household.phone, Mask.PHONE) in text
        for member in household.members.all():
            assert mask(member.id_number, Mask.ID_NUMBER) in text
        for member in Member.objects.exclude(household=household):
            assert member.id_number not in text
            assert member.name not in text, (household.code, member.name)
        # Objection contacts' phones are never shown, not even to the household concerned.
        for phone in Objection.objects.values_list("contact_phone", flat=True):
            assert phone not in text
