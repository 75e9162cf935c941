"""The staff console: who sees which panel, what the buttons do, and how refusals read."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from allocation.models import Apartment, ApartmentStatus
from households.models import Household
from lottery.models import LotterySession, Reveal
from lottery.services.draws import lottery_draw_remaining
from lottery.services.four_eyes import SessionAbilities, session_abilities
from tests.lottery.factories import create_session, public_source_form_fields
from tests.reauth import recently_authenticated

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
# A binding session names a public value that does not exist yet (docs/lottery.md §13a).
TOMORROWS_DRAW = public_source_form_fields()


def console(client, session):
    return client.get(f"/staff/lottery/{session.code}/")


def post(client, session, action, data=None, **headers):
    return client.post(f"/staff/lottery/{session.code}/{action}/", data or {}, **headers)


def state(client, session):
    response = client.get(f"/staff/lottery/{session.code}/state.json")
    assert response.status_code == 200
    return response.json()


# -- who sees what --------------------------------------------------------------------------


def test_the_notary_sees_the_hashes_and_the_confirm_button_but_no_draw_button(
    client, notary, open_session
):
    client.force_login(notary)
    page = console(client, open_session).content.decode()
    assert 'id="notary"' in page and 'id="operator"' not in page
    assert open_session.participants_sha256 in page and open_session.inventory_sha256 in page
    assert open_session.commitment in page
    assert 'id="confirm-form"' in page and 'id="draw-form"' not in page
    assert "H1101" in page  # the participant list
    assert 'id="void"' in page  # notaries may void, with a reason


def test_the_operator_sees_check_in_and_the_draw_button_but_no_witness_panel(
    client, operator, drawing_session
):
    client.force_login(operator)
    page = console(client, drawing_session).content.decode()
    assert 'id="operator"' in page and 'id="notary"' not in page
    assert 'id="draw-form"' in page and 'id="check-in-form"' in page
    assert 'id="sign-off-form"' not in page and 'id="void"' not in page
    assert 'name="expected_position" value="1"' in page


def test_the_leader_may_void_but_neither_draw_nor_witness(client, leader, drawing_session):
    client.force_login(leader)
    page = console(client, drawing_session).content.decode()
    assert 'id="void"' in page
    assert 'id="operator"' not in page and 'id="notary"' not in page


def test_an_outsider_is_refused_everywhere(client, outsider, drawing_session):
    client.force_login(outsider)
    code = drawing_session.code
    for url in (
        "/staff/lottery/",
        f"/staff/lottery/{code}/",
        f"/staff/lottery/{code}/state.json",
        f"/staff/lottery/{code}/screen/",
        f"/staff/lottery/{code}/screen/state.json",
    ):
        assert client.get(url).status_code == 403, url
    for action in ("draw", "confirm", "entropy", "check-in", "pick", "pause", "sign-off", "void"):
        assert post(client, drawing_session, action).status_code == 403, action
    assert not Reveal.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, drawing_session):
    response = console(client, drawing_session)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- four-eyes and refusals -----------------------------------------------------------------


def test_the_operator_cannot_sign_off(client, operator, drawing_session):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    client.force_login(operator)
    response = post(client, drawing_session, "sign-off", {"witnesses": "王某"}, **JSON)
    assert response.status_code == 403
    drawing_session.refresh_from_db()
    assert drawing_session.status == "drawing"


def test_the_notary_who_witnessed_cannot_draw(client, notary, drawing_session):
    notary.groups.add(Group.objects.get(name="operator"))
    client.force_login(notary)
    page = console(client, drawing_session).content.decode()
    assert 'id="draw-form"' not in page  # no button offered ...
    response = post(client, drawing_session, "draw", {"expected_position": 1}, **JSON)
    assert response.status_code == 403  # ... and the server refuses the post anyway
    body = response.json()
    assert body["ok"] is False and body["code"] == "four_eyes" and "四眼" in body["message"]
    assert not Reveal.objects.exists()


def test_a_notary_who_checks_someone_in_loses_the_witness_panel_and_the_right(
    client, other_notary, open_session
):
    other_notary.groups.add(Group.objects.get(name="operator"))
    both = type(other_notary).objects.get(pk=other_notary.pk)  # without cached permissions
    client.force_login(both)
    page = console(client, open_session).content.decode()
    assert 'id="confirm-form"' in page and 'id="check-in-form"' in page
    household = Household.objects.get(code="H1101")
    response = post(
        client,
        open_session,
        "check-in",
        {"credential": household.lookup_code, "attendee": "王建国", "identity_confirmed": "on"},
        **JSON,
    )
    assert response.status_code == 200
    page = console(client, open_session).content.decode()
    assert 'id="confirm-form"' not in page and 'id="check-in-form"' in page
    assert state(client, open_session)["abilities"] == {
        "operate": True,
        "witness": False,
        "void": True,
    }
    hashes = {
        "participants_sha256": open_session.participants_sha256,
        "inventory_sha256": open_session.inventory_sha256,
    }
    response = post(client, open_session, "confirm", hashes, **JSON)
    assert response.status_code == 403 and response.json()["code"] == "four_eyes"


def test_the_panels_offered_are_the_ones_the_services_accept(
    notary, operator, leader, outsider, drawing_session
):
    offered = {
        user.username: session_abilities(drawing_session, user)
        for user in (notary, operator, leader, outsider)
    }
    assert offered == {
        notary.username: SessionAbilities(operate=False, witness=True, void=True),
        operator.username: SessionAbilities(operate=True, witness=False, void=False),
        leader.username: SessionAbilities(operate=False, witness=False, void=True),
        outsider.username: SessionAbilities(operate=False, witness=False, void=False),
    }


def test_a_stale_draw_is_a_clear_refusal_not_a_500(client, operator, drawing_session):
    client.force_login(operator)
    assert post(client, drawing_session, "draw", {"expected_position": 1}, **JSON).json()["ok"]
    response = post(client, drawing_session, "draw", {"expected_position": 1}, **JSON)
    assert response.status_code == 400
    body = response.json()
    assert body == {
        "ok": False,
        "code": "already_drawn",
        "message": body["message"],
    }
    assert "当前应摇第 2 号" in body["message"]
    assert Reveal.objects.count() == 1


def test_without_javascript_a_refusal_comes_back_as_a_message_on_the_console(
    client, operator, drawing_session
):
    client.force_login(operator)
    response = post(client, drawing_session, "draw", {"expected_position": 7}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error"' in page and "当前应摇第 1 号" in page


def test_bad_input_names_the_field(client, operator, open_session):
    client.force_login(operator)
    response = post(client, open_session, "check-in", {"credential": "X"}, **JSON)
    assert response.status_code == 400
    assert response.json()["message"].startswith("到场人姓名")
    response = post(client, open_session, "draw", {"expected_position": "abc"}, **JSON)
    assert response.status_code == 400 and not response.json()["ok"]


def test_a_void_needs_a_reason_and_the_confirmation_box(client, leader, open_session):
    client.force_login(leader)
    response = post(client, open_session, "void", {"reason": "断电"}, **JSON)
    assert response.status_code == 400 and "确认" in response.json()["message"]
    response = post(client, open_session, "void", {"reason": "断电", "confirm": "on"}, **JSON)
    assert response.json()["ok"]
    open_session.refresh_from_db()
    assert open_session.status == "voided" and open_session.void_reason == "断电"


# -- a whole session through the console's endpoints ----------------------------------------


def test_a_session_runs_through_the_console(client, notary, operator, open_session):
    client.force_login(notary)
    shown = state(client, open_session)
    confirm = {
        "participants_sha256": shown["participants_sha256"],
        "inventory_sha256": shown["inventory_sha256"],
    }
    assert post(client, open_session, "confirm", confirm, **JSON).json()["ok"]
    response = post(client, open_session, "entropy", {"witness_entropy": "4 2 6 1"}, **JSON)
    assert response.json()["ok"], response.json()
    response = post(client, open_session, "public-value", {"value": "5 0 2"}, **JSON)
    assert response.json()["ok"], response.json()

    client.force_login(operator)
    household = Household.objects.get(code="H1101")
    response = post(
        client,
        open_session,
        "check-in",
        {"credential": household.lookup_code, "attendee": "王建国", "identity_confirmed": "on"},
        **JSON,
    )
    assert response.json()["ok"] and "H1101" in response.json()["message"]
    current = state(client, open_session)
    assert current["check_ins"]["count"] == 1
    assert current["check_in_list"][0]["household"] == "H1101"
    while current["next"]:
        expected = current["next"]["position"]
        response = post(client, open_session, "draw", {"expected_position": expected}, **JSON)
        assert response.status_code == 200, response.json()
        current = state(client, open_session)
        assert current["position"] == expected
    assert current["position"] == current["total"]
    households = [r for r in current["reveals"] if r["level"] == "household"]
    assert {r["participant"] for r in households} == {p["code"] for p in open_session.participants}
    assert [r["participant"] for r in households if not r["proxy"]] == ["H1101"]
    assert all(r["apartments"] for r in households)
    assert households[0]["name"] and "*" not in households[0]["name"]  # staff see names

    client.force_login(notary)
    recently_authenticated(client)  # signing off needs the password entered recently
    response = post(client, open_session, "sign-off", {"witnesses": "村民代表 王某"}, **JSON)
    assert response.json()["ok"], response.json()
    open_session.refresh_from_db()
    assert open_session.status == "signed" and open_session.bundle_sha256


def test_pause_stops_the_draw_button_and_resume_brings_it_back(client, operator, drawing_session):
    client.force_login(operator)
    assert post(client, drawing_session, "pause", **JSON).json()["ok"]
    current = state(client, drawing_session)
    assert current["paused"] is True
    page = console(client, drawing_session).content.decode()
    assert (
        'id="paused-banner"' in page
        and 'id="paused-banner" data-when="drawing" data-paused="1"' in page
    )
    response = post(client, drawing_session, "draw", {"expected_position": 1}, **JSON)
    assert response.status_code == 400 and response.json()["code"] == "paused"
    assert post(client, drawing_session, "resume", **JSON).json()["ok"]
    assert post(client, drawing_session, "draw", {"expected_position": 1}, **JSON).json()["ok"]


def test_choose_mode_the_next_picker_picks_from_the_free_apartments(
    client, operator, choose_session
):
    client.force_login(operator)
    current = state(client, choose_session)
    while current["next"] and current["next"]["level"] != "household":
        post(client, choose_session, "draw", {"expected_position": current["next"]["position"]})
        current = state(client, choose_session)
    post(client, choose_session, "draw", {"expected_position": current["next"]["position"]})
    current = state(client, choose_session)
    picker = current["next_picker"]
    assert picker["revealed"]
    page = console(client, choose_session).content.decode()
    assert 'id="pick-form"' in page and picker["free_apartments"][0]["code"] in page

    wrong = [picker["free_apartments"][0]["code"]] * 2
    data = {"household": picker["household"], "expected_sequence": picker["sequence"]}
    response = post(client, choose_session, "pick", {**data, "apartments": wrong}, **JSON)
    assert response.status_code == 400 and response.json()["code"] == "pick_duplicate"

    wanted, codes = dict(picker["demand"]), []
    for apartment in picker["free_apartments"]:
        if wanted.get(apartment["type"], 0) > 0:
            wanted[apartment["type"]] -= 1
            codes.append(apartment["code"])
    response = post(client, choose_session, "pick", {**data, "apartments": codes}, **JSON)
    assert response.json()["ok"], response.json()
    after = state(client, choose_session)
    assert after["picks"][0]["household"] == picker["household"]
    assert sorted(after["picks"][0]["apartments"]) == sorted(codes)


# -- lists, the new-session form, rehearsals, the big screen --------------------------------


def test_the_list_marks_rehearsals(client, leader, lottery_project, open_session):
    create_session(lottery_project, leader, code="R1", rehearsal=True)
    client.force_login(leader)
    page = client.get(f"/staff/lottery/?project={lottery_project.project.code}").content.decode()
    assert 'data-session="S1"' in page and 'data-session="R1"' in page
    assert page.count("演练 PRACTICE") == 1


def test_a_leader_creates_a_session_and_lands_on_its_console(client, leader, lottery_project):
    client.force_login(leader)
    url = f"/staff/lottery/new/?project={lottery_project.project.code}"
    assert client.get(url).status_code == 200
    data = {
        "project": lottery_project.project.code,
        "code": "2024-01",
        "title": "一期摇号",
        "estate": lottery_project.estate.pk,
        "communities": [c.pk for c in lottery_project.communities],
        "mode": "direct",
        "fixed_village_order": "C2,C1",
        **TOMORROWS_DRAW,
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/staff/lottery/2024-01/"
    session = LotterySession.objects.get(code="2024-01")
    assert session.fixed_village_order == ["C2", "C1"] and session.commitment

    response = client.post(url, {**data, "code": "2024-02", "fixed_village_order": "C1"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "fixed_village_order" in form.errors, form.errors


def test_a_duplicate_code_is_shown_on_the_code_field(client, leader, lottery_project, open_session):
    client.force_login(leader)
    response = client.post(
        f"/staff/lottery/new/?project={lottery_project.project.code}",
        {
            "code": open_session.code,
            "title": "又一场",
            "estate": lottery_project.estate.pk,
            "communities": [c.pk for c in lottery_project.communities],
            "mode": "direct",
            "rehearsal": "on",
        },
    )
    assert response.status_code == 200
    assert "已被使用" in response.context["form"].errors["code"][0]


def test_every_problem_with_a_new_session_is_shown_on_its_field(client, leader, lottery_project):
    client.force_login(leader)
    url = f"/staff/lottery/new/?project={lottery_project.project.code}"
    data = {
        "code": "a b",
        "title": "一期摇号",
        "estate": lottery_project.estate.pk,
        "communities": [c.pk for c in lottery_project.communities],
        "mode": "direct",
        "fixed_village_order": "C1",
        **TOMORROWS_DRAW,
    }
    errors = client.post(url, data).context["form"].errors
    assert "场次编号只能由字母" in errors["code"][0]
    assert "决议确定的村序" in errors["fixed_village_order"][0]
    assert "__all__" not in errors

    Apartment.objects.filter(apartment_type__code="T120").exclude(floor=1).update(
        status=ApartmentStatus.WITHHELD
    )
    response = client.post(url, {**data, "code": "2024-01", "fixed_village_order": ""})
    errors = response.context["form"].errors
    assert "需要 4 套" in errors["estate"][0] and "可分配 1 套" in errors["estate"][0]
    assert set(errors) == {"estate"}
    assert not LotterySession.objects.exists()


def test_only_leaders_open_the_new_session_form(client, operator, notary, lottery_project):
    for user in (operator, notary):
        client.force_login(user)
        assert client.get("/staff/lottery/new/").status_code == 403


def test_a_rehearsal_is_marked_practice_on_the_console_and_the_screen(
    client, leader, operator, lottery_project
):
    rehearsal = create_session(lottery_project, leader, code="R1", rehearsal=True)
    client.force_login(operator)
    console_page = console(client, rehearsal).content.decode()
    screen_page = client.get(f"/staff/lottery/{rehearsal.code}/screen/").content.decode()
    for page in (console_page, screen_page):
        assert 'id="practice-banner"' in page and "演练 PRACTICE" in page
    assert state(client, rehearsal)["rehearsal"] is True
    normal = create_session(lottery_project, leader, code="S9")
    assert "practice-banner" not in console(client, normal).content.decode()


def test_the_big_screen_shows_masked_names(client, notary, operator, drawing_session):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    client.force_login(notary)
    screen_state = client.get(f"/staff/lottery/{drawing_session.code}/screen/state.json").json()
    names = [r["name"] for r in screen_state["reveals"] if r["level"] == "household"]
    assert names and all("*" in name for name in names)
    page = client.get(f"/staff/lottery/{drawing_session.code}/screen/").content.decode()
    heads = Household.objects.filter(project=drawing_session.project).values_list(
        "members__name", flat=True
    )
    assert not any(name in page for name in heads)


def test_state_json_is_what_the_console_draws_from(client, operator, drawing_session):
    client.force_login(operator)
    current = state(client, drawing_session)
    assert current["status"] == "drawing" and current["position"] == 0
    assert current["next"]["position"] == 1 and current["next"]["level"] == "village"
    # Two communities, four groups (two per community), twelve households.
    assert current["total"] == 2 + 4 + 12
    assert current["abilities"] == {"operate": True, "witness": False, "void": False}
    assert current["commitment"] == drawing_session.commitment
    assert current["server_secret"] == ""  # not before sign-off
    post(client, drawing_session, "draw", {"expected_position": 1})
    current = state(client, drawing_session)
    assert current["position"] == 1 and current["reveals"][0]["level"] == "village"


def test_the_console_is_fine_after_the_session_is_signed(client, notary, signed_session):
    client.force_login(notary)
    page = console(client, signed_session).content.decode()
    assert "公证员已签署" in page and 'id="sign-off-form"' not in page and 'id="void"' not in page
