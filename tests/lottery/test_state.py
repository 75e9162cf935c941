"""What the console, the big screen and the public live page read: `session_state`."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import Household, Member
from lottery.selectors.draws import call_order
from lottery.selectors.sessions import session_state
from lottery.services.check_in import lottery_check_in
from lottery.services.draws import lottery_draw_next, lottery_draw_remaining
from lottery.services.sessions import lottery_session_void


def state(session, *, public=False):
    session.refresh_from_db()
    return session_state(session, public=public)


def test_before_the_draw_the_commitment_and_hashes_show_but_not_the_secret(open_session):
    shown = state(open_session, public=True)
    assert shown["status"] == "committed"
    assert shown["commitment"] == open_session.commitment
    assert shown["participants_sha256"] == open_session.participants_sha256
    assert shown["server_secret"] == "" and shown["seed"] == ""
    assert shown["total"] == 0 and shown["next"] is None
    assert shown["check_ins"] == {"count": 0, "total": 12}
    assert open_session.server_secret not in json.dumps(shown)


def test_a_voided_session_shows_its_secret_everywhere_but_never_its_seed(
    client, drawing_session, leader
):
    lottery_session_void(actor=leader, session=drawing_session, reason="名单有误")
    secret, seed = drawing_session.server_secret, drawing_session.seed
    shown = state(drawing_session, public=True)
    assert shown["server_secret"] == secret and shown["seed"] == ""
    client.force_login(leader)
    row = client.get("/api/lottery/sessions/S1/").json()
    assert row["server_secret"] == secret and row["seed"] == ""
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin)
    page = client.get(f"/admin/lottery/lotterysession/{drawing_session.pk}/change/")
    assert secret in page.content.decode() and seed not in page.content.decode()


def test_the_next_draw_is_announced_without_saying_who(drawing_session, operator):
    shown = state(drawing_session, public=True)
    assert shown["total"] == 18 and shown["position"] == 0
    assert shown["next"]["position"] == 1 and shown["next"]["level"] == "village"
    assert "participant" not in shown["next"]
    assert drawing_session.seed not in json.dumps(shown)


def test_reveals_carry_names_masked_in_public_and_apartments(drawing_session, operator):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    staff = state(drawing_session)
    public = state(drawing_session, public=True)
    household = next(r for r in staff["reveals"] if r["level"] == "household")
    head = Member.objects.get(household__code=household["participant"], relation="head").name
    assert household["name"] == head
    masked = next(r for r in public["reveals"] if r["participant"] == household["participant"])
    assert masked["name"] != head and masked["name"].startswith(head[0]) and "*" in masked["name"]
    assert masked["proxy"] is True and masked["apartments"]
    assert masked["community_name"] and masked["group_name"]
    village = public["reveals"][0]
    assert village["level"] == "village" and village["community_name"]
    group = next(r for r in public["reveals"] if r["level"] == "group")
    assert group["group_name"] and group["community"] == "C" + group["participant"][1]
    assert public["next"] is None and public["position"] == public["total"]
    assert public["village_order"] == [r["participant"] for r in public["reveals"][:2]]
    json.dumps(public)  # JSON-able


def test_choose_mode_shows_the_next_picker_and_their_free_apartments(choose_session, operator):
    lottery_draw_remaining(actor=operator, session=choose_session)
    shown = state(choose_session, public=True)
    picker = shown["next_picker"]
    assert picker["revealed"] and picker["sequence"] == shown["reveals"][6]["position"]
    assert picker["household"] == shown["reveals"][6]["participant"]
    assert "*" in picker["name"]
    assert all(set(a) >= {"code", "type", "tier", "floor"} for a in picker["free_apartments"])
    assert shown["picks"] == [] and shown["picks_total"] == 12


def queries_for(session, public=True) -> int:
    session.refresh_from_db()
    with CaptureQueriesContext(connection) as captured:
        session_state(session, public=public)
    return len(captured.captured_queries)


@pytest.mark.parametrize("fixture", ["drawing_session", "choose_session"])
def test_the_query_count_does_not_grow_with_the_reveals(request, fixture, operator):
    session = request.getfixturevalue(fixture)
    first_household = next(i for i in call_order(session) if i.level == "household")
    for position in range(1, first_household.position + 1):
        lottery_draw_next(actor=operator, session=session, expected_position=position)
    few = queries_for(session)
    lottery_draw_remaining(actor=operator, session=session)
    assert queries_for(session) == few <= 11


def test_check_in_counts(open_session, operator):
    household = Household.objects.get(code="H1101")
    lottery_check_in(
        actor=operator,
        session=open_session,
        credential=household.lookup_code,
        attendee="王建国",
        identity_confirmed=True,
    )
    assert state(open_session)["check_ins"] == {"count": 1, "total": 12}
