"""A household's timeline (oversight.selectors.timeline and its page): every event of its
case, in order, with the audit chain's sequence numbers."""

from __future__ import annotations

import pytest
from django.test import Client

from oversight.selectors.timeline import household_timeline
from resettlement.models import AuditEntry
from settlement.services.defects import defect_report
from tests.people import make_user

pytestmark = pytest.mark.django_db


def test_a_household_walked_through_every_stage_shows_its_events_in_order(walked):
    timeline = household_timeline(walked)
    kinds = [e.kind for e in timeline.events]
    order = [
        "registration",
        "review",
        "approval",
        "publication",
        "objection",
        "objection_answer",
        "choice",
        "check_in",
        "draw",
        "sign_off",
        "statement",
        "statement_approval",
        "payment",
        "agreement",
        "keys",
        "moved_in",
        "defect",
    ]
    positions = [kinds.index(kind) for kind in order]
    assert positions == sorted(positions), kinds
    assert str(timeline.stage.label) == "已入住"
    # Both rosters that list it (entitlement and population), each once.
    published = [e.title for e in timeline.events if e.kind == "publication"]
    assert len(published) == 2, published
    audited = {e.kind: e.sequence for e in timeline.events if e.sequence}
    for kind in ("review", "approval", "publication", "objection_answer", "sign_off"):
        assert audited[kind] == AuditEntry.objects.get(sequence=audited[kind]).sequence
    for kind in ("statement", "statement_approval", "payment"):
        assert kind in audited
    sequences = [e.sequence for e in timeline.events if e.sequence]
    assert sequences == sorted(sequences)
    approval = next(e for e in timeline.events if e.kind == "approval")
    assert approval.actor and approval.actor != "leader"


def test_the_timeline_page_shows_the_events_masked_and_the_pdf_downloads(walked, roles):
    finance = make_user("t_finance", "finance", first_name="看时间线")
    client = Client()
    client.force_login(finance)
    before = AuditEntry.objects.count()
    response = client.get(f"/staff/oversight/households/{walked.pk}/timeline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "W001 办理时间线" in html
    assert "已入住" in html
    assert "公示期" in html and "内容哈希" in html
    assert "13900001111" not in html  # free text masked for a role without the full view
    first = AuditEntry.objects.filter(object_id=str(walked.pk)).order_by("sequence").first()
    assert f"#{first.sequence}" in html
    pdf = client.get(f"/staff/oversight/households/{walked.pk}/timeline.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.count() == before


def test_the_household_page_links_to_its_timeline(walked, clerk):
    client = Client()
    client.force_login(clerk)
    html = client.get(f"/staff/households/{walked.pk}/").content.decode()
    assert f"/staff/oversight/households/{walked.pk}/timeline/" in html
    assert "已入住" in html


def test_another_projects_household_has_no_timeline(walked, roles):
    outsider = make_user("t_outsider", "clerk", all_projects=False)
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/staff/oversight/households/{walked.pk}/timeline/").status_code == 404
    assert client.get(f"/staff/oversight/households/{walked.pk}/timeline.pdf").status_code == 404


def test_text_a_resident_typed_into_an_event_title_is_masked_too(walked, roles):
    defect_report(household=walked, location="厨房(找王师傅13900002222)", description="水龙头漏水")
    finance = make_user("t_finance2", "finance")
    client = Client()
    client.force_login(finance)
    html = client.get(f"/staff/oversight/households/{walked.pk}/timeline/").content.decode()
    assert "厨房" in html
    assert "13900002222" not in html
