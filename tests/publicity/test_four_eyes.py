"""Four-eyes on publicity: the person who drafted a publication never publishes it — the
leader who drafts and publishes a roster alone (issue 13) is refused; the publish form is
offered only to someone who may act on it, and a refusal is said once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publicity.models import PublicationStatus
from publicity.services import publications
from resettlement.errors import NotAllowed
from tests.reauth import recently_authenticated

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_draft(approved_household, leader):
    """A roster the leader drafted themself."""
    return publications.publication_create(
        actor=leader, project=approved_household.project, kind="entitlement"
    )


def test_the_leader_who_drafted_a_roster_cannot_publish_it(own_draft, leader):
    with pytest.raises(NotAllowed) as refused:
        publications.publication_publish(actor=leader, publication=own_draft)

    assert refused.value.code == "four_eyes"
    assert "由您起草" in refused.value.message and "另一位" in refused.value.message
    own_draft.refresh_from_db()
    assert own_draft.status == PublicationStatus.DRAFT


def test_another_leader_publishes_what_the_first_drafted(own_draft, leader2):
    published = publications.publication_publish(actor=leader2, publication=own_draft)
    assert published.status == PublicationStatus.PUBLISHED
    assert (published.created_by, published.published_by) == (own_draft.created_by, leader2)


def test_the_drafter_is_not_offered_the_publish_form_and_is_told_why(client, own_draft, leader):
    client.force_login(leader)
    page = client.get(reverse("publicity_staff:publication-detail", args=[own_draft.pk]))
    text = page.content.decode()
    assert 'id="publish-form"' not in text
    assert 'id="four-eyes-note"' in text and "本草稿由您起草" in text


def test_the_second_leader_is_offered_the_publish_form(client, own_draft, leader2):
    client.force_login(leader2)
    page = client.get(reverse("publicity_staff:publication-detail", args=[own_draft.pk]))
    text = page.content.decode()
    assert 'id="publish-form"' in text
    assert 'id="four-eyes-note"' not in text


def test_a_drafter_posting_anyway_is_refused_once(client, own_draft, leader):
    client.force_login(leader)
    recently_authenticated(client)
    response = client.post(
        reverse("publicity_staff:publication-publish", args=[own_draft.pk]),
        {"confirm": "yes"},
        follow=True,
    )
    text = response.content.decode()
    assert text.count("须由另一位有发布权限的人员核对后发布") == 1
    own_draft.refresh_from_db()
    assert own_draft.status == PublicationStatus.DRAFT


def test_a_draft_waits_for_a_publisher_other_than_its_drafter(own_draft, leader, leader2, clerk):
    from publicity.selectors.drafts import drafts_awaiting_publisher

    assert list(drafts_awaiting_publisher(leader2)) == [own_draft]
    assert not drafts_awaiting_publisher(leader).exists()  # their own draft
    assert not drafts_awaiting_publisher(clerk).exists()  # may not publish
