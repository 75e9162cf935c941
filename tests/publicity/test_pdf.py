"""Roster PDFs for the notice boards, read back as text: one community's masked rows under
the title, project, period and version; on every page the column headings, "第 x 页 / 共 y
页", the content hash and the public address; never a full ID number, name or phone."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from publicity.models import Publication
from publicity.pdf import rosters
from publicity.services import publications, rendering
from tests.pdf import pdf_pages, row_lines, squeezed
from tests.publicity.factories import drafter, long_roster

FULL_ID = re.compile(r"\d{17}[\dX]")
PHONE = re.compile(r"1\d{10}")
# The content hash and audit chain head are not personal data but may hold a run of digits.
HASHES = re.compile(r"[0-9a-f]{64}")


def _render(publication: Publication, community: str) -> list[str]:
    pdf, pages = rosters.roster_pdf(publication, community)
    assert pdf.startswith(b"%PDF")
    texts = pdf_pages(pdf)
    assert len(texts) == pages
    return texts


@override_settings(PUBLIC_BASE_URL="https://gongshi.example.gov.cn")
def test_a_community_roster_shows_its_masked_rows_under_title_project_period_and_version(
    roster,
):
    (page,) = _render(roster, "东湖村")
    text = squeezed(page)
    assert squeezed(roster.title) in text
    assert roster.project.name in text
    assert "村/社区:东湖村" in text
    assert "公示期:2026年3月2日至2026年3月8日" in text
    assert "第1版" in text and "共2条" in text
    community = roster.columns.index("村/社区")
    printed = [r[:community] + r[community + 1 :] for r in roster.rows if r[community] == "东湖村"]
    assert len(printed) == 2
    lines = row_lines(page)
    for row in printed:
        assert "".join(row) in lines  # the row as published, masked: 王**, 33*************…
    west = next(r for r in roster.rows if r[community] == "西山社区")
    assert west[0] not in text  # the other community's household is on its own sheet


def test_no_full_id_number_name_or_phone_number_is_printed(roster, two_communities):
    for community in rosters.roster_communities(roster):
        text = HASHES.sub("", "".join(squeezed(page) for page in _render(roster, community)))
        assert not FULL_ID.search(text)
        assert not PHONE.search(text)
        for group in two_communities:
            for household in group.households.all():
                assert household.phone not in text
                for member in household.members.all():
                    assert member.id_number not in text
                    assert member.name not in text
    assert "欧阳**" in squeezed(_render(roster, "西山社区")[0])  # a compound surname stays


@override_settings(PUBLIC_BASE_URL="https://gongshi.example.gov.cn")
def test_every_page_repeats_headings_page_numbers_hash_and_public_address(project, leader):
    publication = long_roster(project, leader, rows=150)
    pages = _render(publication, "南宫河村")
    assert len(pages) >= 3
    address = f"https://gongshi.example.gov.cn/public/publications/{publication.pk}/"
    printed_rows = 0
    for number, page in enumerate(pages, start=1):
        text = squeezed(page)
        assert f"第{number}页/共{len(pages)}页" in text
        assert f"内容哈希(SHA-256):{publication.content_hash}" in text
        assert address in text
        assert squeezed(publication.title) in text  # the heading, or the running title
        assert "南宫河村" in text
        assert "户编号村民小组姓名与户主关系身份证号户口性质" in row_lines(page)
        printed_rows += sum(1 for line in row_lines(page) if re.fullmatch(r"H\d{5}.*农业", line))
    assert printed_rows == 150


def test_a_withdrawn_roster_says_so_with_the_reason(project, leader):
    publication = long_roster(project, leader, rows=3)
    withdrawn = publications.publication_withdraw(
        actor=leader, publication=publication, reason="名单有误,更正后重新公示"
    )
    text = squeezed(_render(withdrawn, "南宫河村")[0])
    assert "本公示已撤回。撤回理由:名单有误,更正后重新公示" in text


def test_html_in_the_data_is_printed_as_text(project, leader):
    publication = long_roster(project, leader, rows=1, title="<b>公示</b> & 名单")
    text = squeezed(_render(publication, "南宫河村")[0])
    assert "<b>公示</b>&名单" in text


def test_a_draft_is_not_printed(approved_household, leader):
    draft = publications.publication_create(
        actor=drafter(), project=approved_household.project, kind="population"
    )
    with pytest.raises(ValueError, match="draft"):
        rosters.roster_pdf(draft, "")


# --- splitting a snapshot by community --------------------------------------------------------


def test_rows_are_split_by_the_community_column(roster):
    assert rosters.roster_communities(roster) == ["东湖村", "西山社区"]
    columns, rows = rosters.community_rows(roster, "西山社区")
    assert "村/社区" not in columns and len(columns) == len(roster.columns) - 1
    assert [row[2] for row in rows] == ["欧阳**"]


def test_a_snapshot_frozen_with_english_labels_is_split_by_the_kinds_community_column(
    project, leader
):
    publication = long_roster(project, leader, rows=2)
    publication.columns = ["Household", "Village/community", "Group", "Name", "R", "ID", "H"]
    assert rosters.community_column(publication) == 1
    assert rosters.roster_communities(publication) == ["南宫河村"]


def test_a_roster_without_a_community_column_is_one_document(project, leader):
    publication = long_roster(project, leader, rows=2)
    publication.kind = "unregistered-kind"
    publication.columns = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]
    assert rosters.roster_communities(publication) == ["全部"]
    columns, rows = rosters.community_rows(publication, "全部")
    assert (columns, rows) == (publication.columns, publication.rows)


def _starts(line: str) -> list[int]:
    """Where each cell's text starts, in half-width characters from the left."""
    starts, width, previous = [], 0, " "
    for ch in line:
        if ch != " " and previous == " ":
            starts.append(width)
        width += rosters.display_width(ch)
        previous = ch
    return starts


def test_columns_line_up_under_their_headings_and_span_the_page():
    columns = ["户编号", "村民小组", "姓名", "身份证号"]
    rows = [["H00001", "第1村民小组", "欧阳**", "33*************12X"], ["H2", "二组", "王*", "1"]]
    layout = rosters.table_layout(columns, rows)
    assert layout.font_pt == rosters.FONT_PT and layout.numeric == (False,) * 4
    assert sum(w + 2 for w in layout.widths) == rosters._capacity(layout.font_pt)
    heading = rosters.row_text(columns, layout)
    for row in rows:
        assert _starts(rosters.row_text(row, layout)) == _starts(heading)


def test_numbers_are_set_to_the_right_and_long_values_wrap_within_their_column():
    columns = ["户编号", "面积(㎡)", "备注"]
    rows = [["H1", "180.50", "甲" * 60], ["H2", "90.25", "短"]]
    layout = rosters.table_layout(columns, rows)
    assert layout.numeric == (False, True, False)
    assert layout.widths[2] < 120  # capped: the note wraps
    first, second = (rosters.row_text(row, layout) for row in rows)
    lines = first.split("\n")
    assert len(lines) == 2 and "".join(lines).count("甲") == 60
    assert len(second.split("\n")) == 1
    end = sum(w + 2 for w in layout.widths[:2]) - 1  # where the area column's text ends
    for line, area in ((lines[0], "180.50"), (second, "90.25")):
        assert rosters.display_width(line[: line.index(area) + len(area)]) == end


def test_a_table_too_wide_for_the_page_gets_a_smaller_font():
    columns = [f"第{i}列" for i in range(10)]
    rows = [["长" * 15] * 10]
    layout = rosters.table_layout(columns, rows)
    assert rosters.MIN_FONT_PT <= layout.font_pt < rosters.FONT_PT
    assert sum(w + 2 for w in layout.widths) <= rosters._capacity(layout.font_pt)


def test_rosters_of_every_registered_kind_render(roster, leader):
    for kind in ("entitlement", "registration"):
        draft = publications.publication_create(actor=drafter(), project=roster.project, kind=kind)
        publication = publications.publication_publish(actor=leader, publication=draft)
        for community in rosters.roster_communities(publication):
            columns, rows = rosters.community_rows(publication, community)
            (page,) = _render(publication, community)
            assert "".join(columns) in row_lines(page)
            for row in rows:
                assert "".join(row) in row_lines(page)


# --- the printed language ---------------------------------------------------------------------


def test_a_roster_printed_in_english_has_english_headings_and_objection_notice(roster):
    options = rendering.roster_options(roster, {"language": "en", "contact": "0571-86001234"})
    pdf, _pages = rosters.roster_pdf(roster, "东湖村", options)
    (page,) = pdf_pages(pdf)
    text = squeezed(page)

    assert "Resettlementpopulationpublicity" in text  # the kind, under the stored title
    assert "Village/community:东湖村" in text and "Publicityperiod:2026-3-2to2026-3-8" in text
    assert "HouseholdcodeVillagergroupName" in text  # the kind's column labels, in English
    assert "Howtoobject" in text and "by2026-3-8(thatdayincluded)" in text
    assert "writetoCommunityresettlementoffice" in text and "Telephone:0571-86001234" in text
    assert f"{roster.project.name}ResettlementLeadingGroup" in text
    assert "Page1of1" in text
    assert "异议须知" not in text and "户编号" not in text and "公示期" not in text
    community = roster.columns.index("村/社区")
    for row in (r for r in roster.rows if r[community] == "东湖村"):
        # The published cells as they are, masked, never translated: 王**, 户主, 农业.
        assert "".join(row[:community] + row[community + 1 :]) in row_lines(page)


def test_a_roster_is_printed_in_chinese_unless_english_is_asked_for(roster):
    options = rendering.roster_options(roster)
    assert options["language"] == "zh-hans"
    text = squeezed(pdf_pages(rosters.roster_pdf(roster, "东湖村", options)[0])[-1])
    assert "异议须知" in text and "第1页/共1页" in text and "户编号村民小组姓名" in text
    assert "Howtoobject" not in text and "Household" not in text
    # An unknown language is the official Chinese too.
    assert rendering.roster_options(roster, {"language": "fr"})["language"] == "zh-hans"


def test_the_print_page_offers_english_and_the_job_prints_in_it(
    client, roster, leader, private_media, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    page = client.get(reverse("publicity_pdf:jobs", args=[roster.pk])).content.decode()
    assert "印制语言" in page
    assert '<option value="zh-hans" selected>' in page and '<option value="en">' in page

    defaults = rendering.roster_options(roster)  # what the form is filled with
    form = {key: defaults[key] for key in ("issuer", "office", "issued_on")}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity_pdf:start", args=[roster.pk]), {**form, "language": "en"})

    job = roster.render_jobs.get()
    assert job.options["language"] == "en"
    text = squeezed(pdf_pages(job.parts.get(label="东湖村").file.read())[-1])
    assert "Howtoobject" in text and "HouseholdcodeVillagergroupName" in text
    # The form's Chinese defaults left as they are name the same bodies in English.
    assert "writetoCommunityresettlementoffice" in text
    assert f"{roster.project.name}ResettlementLeadingGroup" in text
