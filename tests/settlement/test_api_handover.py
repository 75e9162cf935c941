"""The agreement, handover and defect API under /api/settlement/: the settlement team issues
and records signings, hands over keys and records moving in, reports defects with photos and
answers them; each write goes through the service, refusals name the field, lists filter and
read in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from households.models import Member, Relation
from settlement.models import Agreement, DefectStatus, DefectTicket, Handover
from settlement.services import agreements, defects
from settlement.services import handover as settlement_handover
from tests.settlement.factories import (
    HANDED_OVER_ON,
    hand_over,
    jpeg_bytes,
    png_bytes,
    settle,
    upload,
)

pytestmark = pytest.mark.usefixtures("private_media")

AGREEMENTS = "/api/settlement/agreements/"
HANDOVERS = "/api/settlement/handovers/"
DEFECTS = "/api/settlement/defects/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def fields_of(response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


def keys_form(**overrides) -> dict:
    return {
        "handed_over_on": HANDED_OVER_ON.isoformat(),
        "keys": 3,
        "water_reading": "12.50",
        "electricity_reading": "305.00",
        "received_by": "王建国",
        "signature_record": "交房确认单第0001号",
        **overrides,
    }


def tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def _issued(household, clerk) -> Agreement:
    return Agreement.objects.create(
        household=household,
        project=household.project,
        number=agreements.agreement_number(household),
        pdf_sha256="0" * 64,
        recorded_by=clerk,
    )


def _ticket(household, **values) -> DefectTicket:
    return defects.defect_report(
        household=household,
        location=values.get("location", "主卧窗户"),
        description=values.get("description", "窗框漏水。"),
        photos=values.get("photos", ()),
    )


# -- agreements -------------------------------------------------------------------------------


def test_the_clerk_issues_signs_and_cannot_sign_again(settlement_project, household, clerk):
    client = client_for(clerk)
    issued = client.post(AGREEMENTS, {"household": household.pk}, format="json")
    assert issued.status_code == 201, issued.content
    body = issued.json()
    assert body["number"] == f"{settlement_project.project.code}-AG-{household.code}"
    assert body["status"] == "issued" and body["signed_on"] is None
    assert body["household_code"] == household.code
    head = Member.objects.get(household=household, relation=Relation.HEAD)
    assert body["head_name"] == head.name
    assert body["pdf_url"] == f"/staff/settlement/handover/{household.pk}/agreement.pdf"
    client.force_login(clerk)  # the staff download is a page, behind the staff login
    assert client.get(body["pdf_url"]).status_code == 200

    again = client.post(AGREEMENTS, {"household": household.pk}, format="json")
    assert again.status_code == 200  # issued again while unsigned: the same agreement
    assert again.json()["id"] == body["id"]

    url = f"{AGREEMENTS}{body['id']}/sign/"
    signed = client.post(url, {"signed_on": "2026-01-05", "signer_name": "王建国"}, format="json")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed"
    assert signed.json()["signed_on"] == "2026-01-05"
    assert signed.json()["signer_name"] == "王建国"

    # Signing is recorded once: a repeat (even an identical one) is refused, nothing changes.
    for data in (
        {"signed_on": "2026-01-05", "signer_name": "王建国"},
        {"signed_on": "2026-01-06", "signer_name": "李四"},
    ):
        repeat = client.post(url, data, format="json")
        assert repeat.status_code == 400
        assert repeat.json()["code"] == "already_signed"
    agreement = Agreement.objects.get(pk=body["id"])
    assert (agreement.signed_on, agreement.signer_name) == (dt.date(2026, 1, 5), "王建国")
    reissue = client.post(AGREEMENTS, {"household": household.pk}, format="json")
    assert reissue.status_code == 400 and reissue.json()["code"] == "already_signed"


def test_a_bad_signing_is_refused_on_its_fields(settlement_project, household, clerk):
    agreement = _issued(household, clerk)
    client = client_for(clerk)
    url = f"{AGREEMENTS}{agreement.pk}/sign/"
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid_input"
    assert fields_of(missing) == {"signed_on", "signer_name"}
    garbled = client.post(url, {"signed_on": "05/01/2026", "signer_name": "王"}, format="json")
    assert garbled.status_code == 400 and fields_of(garbled) == {"signed_on"}
    future = client.post(url, {"signed_on": tomorrow(), "signer_name": "王"}, format="json")
    assert future.status_code == 400 and fields_of(future) == {"signed_on"}
    too_long = client.post(url, {"signed_on": "2026-01-05", "signer_name": "王" * 51})
    assert too_long.status_code == 400 and fields_of(too_long) == {"signer_name"}
    agreement.refresh_from_db()
    assert agreement.signed_on is None


def test_no_agreement_for_a_household_without_an_outcome(settlement_project, no_apartment, clerk):
    response = client_for(clerk).post(AGREEMENTS, {"household": no_apartment.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "no_outcome"
    unknown = client_for(clerk).post(AGREEMENTS, {"household": 10**12}, format="json")
    assert unknown.status_code == 400 and fields_of(unknown) == {"household"}
    assert not Agreement.objects.exists()


def test_readers_read_but_only_the_settlement_team_writes(
    settlement_project, household, clerk, reviewer, outsider
):
    agreement = _issued(household, clerk)
    reader = client_for(reviewer)
    assert [r["id"] for r in rows(reader.get(AGREEMENTS))] == [agreement.pk]
    refused = reader.post(
        f"{AGREEMENTS}{agreement.pk}/sign/", {"signed_on": "2026-01-05", "signer_name": "王"}
    )
    assert refused.status_code == 403
    assert reader.post(AGREEMENTS, {"household": household.pk}).status_code == 403
    assert reader.post(HANDOVERS, keys_form(household=household.pk)).status_code == 403
    stranger = client_for(outsider)
    for url in (AGREEMENTS, f"{AGREEMENTS}{agreement.pk}/", HANDOVERS, DEFECTS):
        assert stranger.get(url).status_code == 403
    assert stranger.post(f"{AGREEMENTS}{agreement.pk}/sign/", {}).status_code == 403
    assert APIClient().get(AGREEMENTS).status_code in {401, 403}
    agreement.refresh_from_db()
    assert agreement.signed_on is None and not Handover.objects.exists()


def test_agreements_filter_by_state_group_and_household(settlement_project, clerk):
    households = sorted(settlement_project.households, key=lambda h: h.code)
    first, second, other_group = households[0], households[1], households[-1]
    assert first.group_id == second.group_id != other_group.group_id
    signed = _issued(first, clerk)
    agreements.agreement_sign(
        actor=clerk, agreement=signed, signed_on=dt.date(2026, 1, 5), signer_name="王"
    )
    _issued(second, clerk)
    _issued(other_group, clerk)
    client = client_for(clerk)

    def codes(**query) -> list[str]:
        return [r["household_code"] for r in rows(client.get(AGREEMENTS, query))]

    project = settlement_project.project.pk
    assert codes(project=project) == [first.code, second.code, other_group.code]
    assert codes(status="signed") == [first.code]
    assert codes(status="issued", group=first.group_id) == [second.code]
    assert codes(household=other_group.pk) == [other_group.code]
    assert codes(project=project + 1000) == []
    bad = client.get(AGREEMENTS, {"group": "G11", "status": "maybe"})
    assert bad.status_code == 400 and fields_of(bad) == {"group", "status"}


# -- handovers --------------------------------------------------------------------------------


def test_keys_are_handed_over_corrected_and_moved_in(settlement_project, household, clerk):
    settle(household)
    client = client_for(clerk)
    created = client.post(HANDOVERS, keys_form(household=household.pk), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "handed_over"
    assert (body["keys"], body["water_reading"], body["gas_reading"]) == (3, "12.50", None)
    assert body["handed_over_by"]["username"] == clerk.username

    twice = client.post(HANDOVERS, keys_form(household=household.pk), format="json")
    assert twice.status_code == 400 and twice.json()["code"] == "already_handed_over"

    url = f"{HANDOVERS}{body['id']}/"
    moved = client.post(f"{url}move-in/", {"moved_in_on": "2026-01-20"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "moved_in"
    corrected = client.post(f"{url}correct/", keys_form(keys=4, gas_reading="7.00"), format="json")
    assert corrected.status_code == 200, corrected.content
    assert (corrected.json()["keys"], corrected.json()["gas_reading"]) == (4, "7.00")
    assert corrected.json()["moved_in_on"] == "2026-01-20"  # kept by a correction
    late = client.post(f"{url}correct/", keys_form(handed_over_on="2026-01-25"), format="json")
    assert late.status_code == 400 and fields_of(late) == {"handed_over_on"}
    early = client.post(f"{url}move-in/", {"moved_in_on": "2026-01-09"}, format="json")
    assert early.status_code == 400 and fields_of(early) == {"moved_in_on"}
    handover = Handover.objects.get()
    assert (handover.keys, handover.moved_in_on) == (4, dt.date(2026, 1, 20))
    assert client.get(url).json()["keys"] == 4


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"keys": 0}, "keys"),
        ({"keys": "three"}, "keys"),
        ({"water_reading": "-1"}, "water_reading"),
        ({"electricity_reading": "1.234"}, "electricity_reading"),
        ({"gas_reading": "NaN"}, "gas_reading"),
        ({"handed_over_on": "tomorrow"}, "handed_over_on"),
        ({"received_by": "  "}, "received_by"),
        ({"signature_record": "号" * 201}, "signature_record"),
        ({"household": None}, "household"),
    ],
)
def test_bad_handover_input_is_refused_on_its_field(
    settlement_project, household, clerk, changes, field
):
    data = keys_form(**{"household": household.pk, **changes})
    response = client_for(clerk).post(HANDOVERS, data, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert fields_of(response) == {field}
    assert not Handover.objects.exists()


def test_a_future_handover_or_no_apartment_is_refused(
    settlement_project, household, no_apartment, clerk
):
    settle(household)
    client = client_for(clerk)
    future = client.post(
        HANDOVERS, keys_form(household=household.pk, handed_over_on=tomorrow()), format="json"
    )
    assert future.status_code == 400 and fields_of(future) == {"handed_over_on"}
    none = client.post(HANDOVERS, keys_form(household=no_apartment.pk), format="json")
    assert none.status_code == 400 and none.json()["code"] == "no_apartment"
    assert not Handover.objects.exists()


def test_handovers_filter_by_state(settlement_project, clerk):
    households = sorted(settlement_project.households, key=lambda h: h.code)[:3]
    for h in households:
        hand_over(h, clerk)
    settlement_handover.move_in_record(
        actor=clerk, household=households[1], moved_in_on=HANDED_OVER_ON
    )
    client = client_for(clerk)
    moved = rows(client.get(HANDOVERS, {"status": "moved_in"}))
    assert [r["household_code"] for r in moved] == [households[1].code]
    waiting = rows(client.get(HANDOVERS, {"status": "handed_over", "household": households[2].pk}))
    assert [r["household_code"] for r in waiting] == [households[2].code]


# -- defects ----------------------------------------------------------------------------------


def test_staff_report_answer_and_close_a_defect(settlement_project, handed_over, clerk):
    client = client_for(clerk)
    data = {
        "household": handed_over.pk,
        "location": "主卧窗户",
        "description": "窗框漏水,下雨时窗台积水。",
        "photos": [upload("窗户.jpg", jpeg_bytes()), upload("墙面.png", png_bytes())],
    }
    created = client.post(DEFECTS, data, format="multipart")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "open" and body["reported_by"]["username"] == clerk.username
    assert not body["reported_by_resident"]
    assert sorted(p["content_type"] for p in body["photos"]) == ["image/jpeg", "image/png"]
    client.force_login(clerk)
    photo = client.get(body["photos"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"] in {"image/jpeg", "image/png"}

    url = f"{DEFECTS}{body['id']}/"
    early = client.post(f"{url}close/")
    assert early.status_code == 400 and early.json()["code"] == "not_answered"
    answered = client.post(f"{url}answer/", {"answer": "已更换密封条。"}, format="json")
    assert answered.status_code == 200
    assert answered.json()["status"] == "answered"
    assert answered.json()["answered_by"]["username"] == clerk.username
    assert answered.json()["time_to_close"] is None
    closed = client.post(f"{url}close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["time_to_close"] >= 0
    assert client.post(f"{url}close/").json()["code"] == "closed"
    assert client.post(f"{url}answer/", {"answer": "再答"}, format="json").status_code == 400
    assert DefectTicket.objects.get().answer == "已更换密封条。"


def test_answer_and_close_at_once(settlement_project, handed_over, clerk):
    ticket = _ticket(handed_over)
    response = client_for(clerk).post(
        f"{DEFECTS}{ticket.pk}/answer/", {"answer": "已修复。", "close": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_bad_defect_reports_are_refused_on_their_field(
    settlement_project, handed_over, household, no_apartment, clerk
):
    client = client_for(clerk)
    base = {"household": handed_over.pk, "location": "厨房", "description": "下水堵塞。"}
    disguised = client.post(
        DEFECTS, {**base, "photos": [upload("x.jpg", b"not an image")]}, format="multipart"
    )
    assert disguised.status_code == 400 and fields_of(disguised) == {"photos"}
    too_many = [upload(f"{n}.png", png_bytes()) for n in range(7)]
    crowded = client.post(DEFECTS, {**base, "photos": too_many}, format="multipart")
    assert crowded.status_code == 400 and fields_of(crowded) == {"photos"}
    blank = client.post(DEFECTS, {**base, "location": "", "description": ""}, format="multipart")
    assert blank.status_code == 400 and fields_of(blank) == {"location", "description"}
    wrong = client.post(DEFECTS, {**base, "apartment": 10**9}, format="multipart")
    assert wrong.status_code == 400 and fields_of(wrong) == {"apartment"}
    before = client.post(DEFECTS, {**base, "household": no_apartment.pk}, format="multipart")
    assert before.status_code == 400 and before.json()["code"] == "not_handed_over"
    as_json = client.post(DEFECTS, base, format="json")
    assert as_json.status_code == 415
    assert not DefectTicket.objects.exists()
    ticket = _ticket(handed_over)
    empty = client.post(f"{DEFECTS}{ticket.pk}/answer/", {"answer": " "}, format="json")
    assert empty.status_code == 400 and fields_of(empty) == {"answer"}


def test_only_staff_with_the_permission_report_and_answer(
    settlement_project, handed_over, reviewer
):
    ticket = _ticket(handed_over)
    client = client_for(reviewer)
    assert rows(client.get(DEFECTS))[0]["id"] == ticket.pk
    report = {"household": handed_over.pk, "location": "厨房", "description": "漏水"}
    assert client.post(DEFECTS, report, format="multipart").status_code == 403
    answer = client.post(f"{DEFECTS}{ticket.pk}/answer/", {"answer": "好"}, format="json")
    assert answer.status_code == 403
    assert client.post(f"{DEFECTS}{ticket.pk}/close/").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == DefectStatus.OPEN


def test_defects_filter_by_status_and_household(settlement_project, handed_over, clerk):
    open_one = _ticket(handed_over, location="厨房")
    done = _ticket(handed_over, location="卫生间")
    defects.defect_answer(actor=clerk, ticket=done, answer="已修。", close=True)
    client = client_for(clerk)
    assert [r["id"] for r in rows(client.get(DEFECTS, {"status": "open"}))] == [open_one.pk]
    assert [r["id"] for r in rows(client.get(DEFECTS, {"status": "closed"}))] == [done.pk]
    assert len(rows(client.get(DEFECTS, {"household": handed_over.pk}))) == 2
    assert rows(client.get(DEFECTS, {"group": handed_over.group_id + 1000})) == []
    resident = rows(client.get(DEFECTS))[0]
    assert resident["reported_by_resident"] and resident["reported_by"] is None


def test_unknown_rows_are_404_with_the_error_shape(settlement_project, clerk):
    client = client_for(clerk)
    for method, url in (
        (client.get, f"{AGREEMENTS}999999/"),
        (client.get, f"{HANDOVERS}{10**25}/"),
        (client.get, f"{DEFECTS}0.5/"),
        (client.post, f"{DEFECTS}999999/answer/"),
        (client.post, f"{HANDOVERS}999999/move-in/"),
    ):
        response = method(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


# -- query counts -----------------------------------------------------------------------------


def test_each_list_reads_any_number_of_rows_in_the_same_few_queries(
    settlement_project, clerk, django_assert_num_queries
):
    households = sorted(settlement_project.households, key=lambda h: h.code)
    client = client_for(clerk)

    def add(row) -> None:
        _issued(row, clerk)
        hand_over(row, clerk)
        _ticket(row, photos=[upload("a.png", png_bytes())])
        _ticket(row, photos=[upload("b.jpg", jpeg_bytes())])

    add(households[0])
    for url in (AGREEMENTS, HANDOVERS, DEFECTS):
        client.get(url)  # the user's permissions are cached from here on
    for more in households[1:6]:
        add(more)
    with django_assert_num_queries(2):  # count, rows (with head and group)
        assert len(rows(client.get(AGREEMENTS))) == 6
    with django_assert_num_queries(2):
        assert len(rows(client.get(HANDOVERS))) == 6
    with django_assert_num_queries(3):  # count, rows, photos
        assert len(rows(client.get(DEFECTS))) == 12


# -- project access -----------------------------------------------------------------------------


def test_another_projects_agreements_handovers_and_defects_are_not_there(
    settlement_project, handed_over, clerk
):
    household = handed_over
    from tests.households.factories import ProjectFactory
    from tests.people import grant, make_user

    stranger = make_user("clerk_b", "clerk", all_projects=False)
    grant(stranger, ProjectFactory(code="OTHER", name="另一个项目"))
    agreement = _issued(household, clerk)
    ticket = _ticket(household)
    client = client_for(stranger)
    assert rows(client.get(AGREEMENTS)) == []
    assert rows(client.get(HANDOVERS)) == []
    assert rows(client.get(DEFECTS)) == []
    assert client.get(f"{AGREEMENTS}{agreement.pk}/").status_code == 404
    assert client.get(f"{DEFECTS}{ticket.pk}/").status_code == 404
    issuing = client.post(AGREEMENTS, {"household": household.pk}, format="json")
    assert issuing.status_code == 400
    assert fields_of(issuing) == {"household"}
    reporting = client.post(
        DEFECTS, {"household": household.pk, "location": "厨房", "description": "漏水"}
    )
    assert reporting.status_code == 400
    assert DefectTicket.objects.filter(household=household).count() == 1
