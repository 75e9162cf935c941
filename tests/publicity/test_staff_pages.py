"""The staff publicity pages, through the test client: drafting, the masked preview,
publishing (leaders only), withdrawing with a public reason and a new version after an
upheld objection."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import HouseholdStatus, ReviewStatus
from households.services import review
from publicity.models import Publication, PublicationStatus
from publicity.services import objections, publications
from tests.households.factories import CommunityFactory, hand_in_documents
from tests.publicity.factories import drafter
from tests.reauth import recently_authenticated


def _url(name: str, *args) -> str:
    return reverse(f"publicity_staff:{name}", args=args)


def _create(client, project, **fields) -> object:
    data = {
        "project": project.code,
        "kind": "population",
        "title": "",
        "starts_on": "2026-03-02",
        "ends_on": "",
        "mask_names": "1",
        **fields,
    }
    return client.post(_url("publication-create"), data)


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def draft(approved_household, leader):
    return publications.publication_create(
        actor=drafter(), project=approved_household.project, kind="population"
    )


# --- drafting and the preview ------------------------------------------------------------


def test_leader_drafts_a_roster_and_sees_its_rows_masked_as_they_will_be_published(
    client, leader, approved_household
):
    client.force_login(leader)
    response = _create(client, approved_household.project)
    publication = Publication.objects.get()
    assert response.status_code == 302
    assert response.url == _url("publication-detail", publication.pk)
    assert publication.status == PublicationStatus.DRAFT
    page = _text(client.get(response.url))
    assert "草稿预览" in page
    assert "王**" in page and "李**" in page
    for member in approved_household.members.all():
        assert member.name not in page
        assert member.id_number not in page
        masked = member.id_number[:2] + "*" * 13 + member.id_number[-3:]
        assert masked in page
    assert "共 2 行" in page


def test_a_draft_previewed_in_english_shows_the_rows_exactly_as_they_will_be_published(
    client, leader, draft, settings
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(leader)
    preview = client.get(_url("publication-detail", draft.pk)).context
    published = publications.publication_publish(actor=leader, publication=draft)
    assert list(preview["columns"]) == published.columns
    assert "姓名" in published.columns  # the public record is in Chinese, whoever looks
    assert [list(row) for row in preview["page"]] == published.rows


def test_a_roster_for_the_community_notice_board_may_show_full_names_but_never_full_ids(
    client, leader, approved_household
):
    client.force_login(leader)
    response = _create(client, approved_household.project, mask_names="0")
    page = _text(client.get(response.url))
    assert "王建国" in page and "李秀英" in page
    for member in approved_household.members.all():
        assert member.id_number not in page


def test_the_period_defaults_to_the_kind_s_length(client, leader, approved_household):
    client.force_login(leader)
    _create(client, approved_household.project, kind="entitlement", starts_on="2026-03-02")
    publication = Publication.objects.get()
    assert (publication.starts_on, publication.ends_on) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 31),
    )
    page = _text(client.get(_url("publication-create") + f"?project={publication.project.code}"))
    assert "安置面积公示 30 天" in page and "安置人口公示 7 天" in page


def test_a_period_ending_before_it_starts_is_refused_on_the_field(
    client, leader, approved_household
):
    client.force_login(leader)
    response = _create(client, approved_household.project, ends_on="2026-03-01")
    assert response.status_code == 200
    assert "公示结束日期不能早于开始日期。" in _text(response)
    assert not Publication.objects.exists()


def test_a_community_of_another_project_cannot_be_chosen(client, leader, approved_household):
    elsewhere = CommunityFactory()
    client.force_login(leader)
    response = _create(client, approved_household.project, community=str(elsewhere.pk))
    assert response.status_code == 200
    assert not Publication.objects.exists()


def test_a_draft_for_one_community_previews_only_that_community(client, leader, approved_household):
    client.force_login(leader)
    other = CommunityFactory(project=approved_household.project)
    _create(client, approved_household.project, community=str(other.pk))
    publication = Publication.objects.get()
    assert publication.community == other
    page = _text(client.get(_url("publication-detail", publication.pk)))
    assert "共 0 行" in page and "王**" not in page


def test_a_clerk_sees_publications_but_cannot_draft_one(client, clerk, draft):
    client.force_login(clerk)
    assert client.get(_url("publication-list")).status_code == 200
    assert client.get(_url("publication-detail", draft.pk)).status_code == 200
    assert client.get(_url("publication-create")).status_code == 403
    assert _create(client, draft.project).status_code == 403


def test_people_without_a_role_cannot_see_publications(client, outsider, draft):
    client.force_login(outsider)
    assert client.get(_url("publication-list")).status_code == 403
    assert client.get(_url("publication-detail", draft.pk)).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, draft):
    response = client.get(_url("publication-detail", draft.pk))
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- publishing --------------------------------------------------------------------------


def test_leader_publishes_after_confirming_and_the_page_shows_frozen_rows_and_the_hash(
    client, leader, reviewer, draft, approved_household
):
    client.force_login(leader)
    recently_authenticated(client)
    response = client.post(_url("publication-publish", draft.pk), {"confirm": "yes"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.PUBLISHED
    assert len(draft.content_hash) == 64
    # The registry changes afterwards; the published page does not.
    review.household_send_back(actor=reviewer, household=approved_household, reason="复核")
    page = _text(client.get(_url("publication-detail", draft.pk)))
    assert draft.content_hash in page
    assert "王**" in page and "共 2 行" in page
    assert "草稿预览" not in page
    assert 'id="publish-form"' not in page


def test_a_published_roster_links_to_its_pdf_page_and_a_draft_does_not(
    client, leader, published_population, draft
):
    client.force_login(leader)
    page = _text(client.get(_url("publication-detail", published_population.pk)))
    assert f'href="{reverse("publicity_pdf:jobs", args=[published_population.pk])}"' in page
    assert 'id="pdf-link"' not in _text(client.get(_url("publication-detail", draft.pk)))


def test_publishing_asks_for_the_password_when_the_last_one_is_too_old(client, leader, draft):
    client.force_login(leader)  # logged in long ago: no password checked recently
    detail = _url("publication-detail", draft.pk)
    asked = client.post(_url("publication-publish", draft.pk), {"confirm": "yes"})
    assert asked.status_code == 302
    assert asked.url == f"/accounts/confirm-password/?next={quote(detail, safe='')}"
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT
    back = client.post(asked.url, {"password": "correct horse battery staple", "next": detail})
    assert back.url == detail
    client.post(_url("publication-publish", draft.pk), {"confirm": "yes"})
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.PUBLISHED


def test_publishing_needs_the_confirmation_box_ticked(client, leader, draft):
    client.force_login(leader)
    recently_authenticated(client)
    response = client.post(_url("publication-publish", draft.pk), follow=True)
    assert "请先勾选确认已核对公示内容" in _text(response)
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT


def test_a_clerk_cannot_publish(client, clerk, draft):
    client.force_login(clerk)
    page = _text(client.get(_url("publication-detail", draft.pk)))
    assert 'id="publish-form"' not in page
    response = client.post(_url("publication-publish", draft.pk), {"confirm": "yes"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT


def test_publishing_again_is_explained_not_an_error(client, leader, published_population):
    client.force_login(leader)
    recently_authenticated(client)
    response = client.post(
        _url("publication-publish", published_population.pk), {"confirm": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "只有草稿可以发布" in _text(response)


def test_publishing_is_a_post(client, leader, draft):
    client.force_login(leader)
    assert client.get(_url("publication-publish", draft.pk)).status_code == 405


# --- withdrawing -------------------------------------------------------------------------


def test_withdrawing_needs_a_public_reason(client, leader, published_population):
    client.force_login(leader)
    response = client.post(
        _url("publication-withdraw", published_population.pk), {"reason": "  "}, follow=True
    )
    assert "撤回公示必须填写公开的理由。" in _text(response)
    published_population.refresh_from_db()
    assert published_population.status == PublicationStatus.PUBLISHED


def test_leader_withdraws_with_a_reason_shown_on_the_page(client, leader, published_population):
    client.force_login(leader)
    response = client.post(
        _url("publication-withdraw", published_population.pk),
        {"reason": "名册中村民小组名称有误,更正后重新公示。"},
        follow=True,
    )
    published_population.refresh_from_db()
    assert published_population.status == PublicationStatus.WITHDRAWN
    assert "名册中村民小组名称有误,更正后重新公示。" in _text(response)


def test_a_draft_cannot_be_withdrawn(client, leader, draft):
    client.force_login(leader)
    response = client.post(_url("publication-withdraw", draft.pk), {"reason": "x"}, follow=True)
    assert "只有公示中的公示可以撤回。" in _text(response)


# --- objections and new versions ----------------------------------------------------------


def _object(publication, household, text="我家儿子的户口迁入日期登记有误。"):
    return objections.objection_file(
        publication=publication,
        contact_name="王建国",
        contact_phone="13812345678",
        text=text,
        household_code=household.code,
    )


def test_the_publication_page_counts_its_objections_and_links_to_answer_them(
    client, leader, reviewer, published_population, approved_household
):
    first = _object(published_population, approved_household)
    _object(published_population, approved_household, text="第二件异议")
    objections.objection_answer(
        actor=reviewer, objection=first, answer="经核实无误。", upheld=False
    )
    client.force_login(leader)
    page = _text(client.get(_url("publication-detail", published_population.pk)))
    assert "待答复 1 · 已答复 1" in page
    assert f'href="/staff/objections/?publication={published_population.pk}"' in page
    listing = _text(client.get(_url("publication-list")))
    assert "1 待答复 / 共 2" in listing


def test_an_upheld_objection_leads_to_a_new_version_with_the_correction(
    client, leader, leader2, reviewer, published_population, approved_household
):
    objection = _object(published_population, approved_household)
    objections.objection_answer(
        actor=reviewer, objection=objection, answer="经核实,异议成立,重新审核。", upheld=True
    )
    approved_household.refresh_from_db()
    assert approved_household.status == HouseholdStatus.REGISTERED
    # Re-review finds the spouse does not qualify after all; the leader approves again.
    head, spouse = approved_household.members.order_by("id")
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    review.member_review(
        actor=reviewer, member=spouse, decision=ReviewStatus.REJECTED, reason="户口已迁出"
    )
    hand_in_documents(approved_household)
    review.household_approve(actor=leader, household=approved_household)

    client.force_login(leader)
    recently_authenticated(client)
    page = _text(client.get(_url("publication-detail", published_population.pk)))
    assert 'id="new-version"' in page and "有 1 件异议成立" in page
    response = client.post(_url("publication-new-version", published_population.pk))
    second = Publication.objects.get(previous=published_population)
    assert response.url == _url("publication-detail", second.pk)
    assert second.version == 2 and second.status == PublicationStatus.DRAFT
    preview = _text(client.get(response.url))
    assert "共 1 行" in preview and "王**" in preview and "李**" not in preview

    # Four-eyes: the leader who drafted the correction is not offered the form; another does.
    assert 'id="publish-form"' not in preview
    client.force_login(leader2)
    recently_authenticated(client)
    client.post(_url("publication-publish", second.pk), {"confirm": "yes"})
    published_population.refresh_from_db()
    second.refresh_from_db()
    assert second.status == PublicationStatus.PUBLISHED
    assert published_population.status == PublicationStatus.CLOSED
    assert published_population.row_count == 2  # the old version stays as it was
    old_page = _text(client.get(_url("publication-detail", published_population.pk)))
    assert 'id="new-version"' not in old_page
    assert "本版本已被第 2 版取代" in old_page
    assert f'href="{_url("publication-detail", second.pk)}"' in old_page
    assert "已更正,见第2版" in _text(client.get(_url("publication-list")))


def test_a_draft_needs_no_new_version(client, leader, draft):
    client.force_login(leader)
    response = client.post(_url("publication-new-version", draft.pk), follow=True)
    assert "草稿可以直接发布,无需新版本。" in _text(response)
    assert Publication.objects.count() == 1


# --- the list ----------------------------------------------------------------------------


def test_the_list_filters_by_kind_status_and_community(
    client, leader, published_population, approved_household
):
    project = approved_household.project
    entitlement = publications.publication_create(
        actor=drafter(), project=project, kind="entitlement"
    )
    community = CommunityFactory(project=project, name="上湾桥社区")
    for_community = publications.publication_create(
        actor=drafter(), project=project, kind="registration", community=community
    )
    client.force_login(leader)

    def titles(**params) -> set[int]:
        response = client.get(_url("publication-list"), {"project": project.code, **params})
        return {p.pk for p in response.context["page"]}

    everything = {published_population.pk, entitlement.pk, for_community.pk}
    assert titles() == everything
    assert titles(kind="entitlement") == {entitlement.pk}
    assert titles(status="published") == {published_population.pk}
    assert titles(status="draft") == {entitlement.pk, for_community.pk}
    assert titles(community=str(community.pk)) == {for_community.pk}
    assert titles(kind="no-such-kind", community="x") == everything


def test_the_newest_project_is_shown_unless_another_is_chosen(client, leader, draft):
    newer = CommunityFactory().project
    client.force_login(leader)
    assert client.get(_url("publication-list")).context["project"] == newer
    response = client.get(_url("publication-list"), {"project": draft.project.code})
    assert [p.pk for p in response.context["page"]] == [draft.pk]


def test_the_pages_work_in_english(client, leader, published_population, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(leader)
    project = published_population.project.code
    for url in (
        _url("publication-list") + f"?project={project}",
        _url("publication-create") + f"?project={project}",
        _url("publication-detail", published_population.pk),
        _url("overview") + f"?project={project}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "en"


def test_an_unknown_project_is_not_found(client, leader, draft):
    client.force_login(leader)
    assert client.get(_url("publication-list"), {"project": "NOPE"}).status_code == 404


def test_the_menu_links_to_publicity_and_the_overview_for_staff_with_those_permissions(
    client, leader, outsider, project
):
    client.force_login(leader)
    page = _text(client.get(reverse("staff:home")))
    assert f'href="{_url("publication-list")}"' in page
    assert f'href="{_url("overview")}"' in page
    client.force_login(outsider)
    page = _text(client.get(reverse("staff:home")))
    assert _url("publication-list") not in page and _url("overview") not in page


def test_dates_on_the_page_are_the_publication_s_period(client, leader, draft):
    client.force_login(leader)
    page = _text(client.get(_url("publication-detail", draft.pk)))
    today = timezone.localdate()
    assert f"{today:%Y-%m-%d} – {today + dt.timedelta(days=6):%Y-%m-%d}" in page
