"""Personal data on lottery day: the operator types a member's full ID number to check a
household in, but no console page or answer shows a full ID number back; the public pages
mask any ID or phone number written into a void reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from households import idnumbers
from households.models import Member
from lottery.services.sessions import lottery_session_void

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _check_in(client, session, credential: str):
    return client.post(
        f"/staff/lottery/{session.code}/check-in/",
        {"credential": credential, "attendee": "王建国", "identity_confirmed": "on"},
        **JSON,
    )


def test_an_id_typed_at_check_in_is_never_shown_back_in_full(client, operator, open_session):
    client.force_login(operator)
    stranger = idnumbers.make("330125", dt.date(1980, 1, 1), 123, "M")
    refused = _check_in(client, open_session, stranger)
    assert refused.status_code == 400 and refused.json()["code"] == "credential_unknown"
    assert stranger not in refused.content.decode()
    assert stranger[6:14] not in refused.content.decode()  # not even the birth date

    member = Member.objects.get(household__code="H2102")
    done = _check_in(client, open_session, member.id_number)
    assert done.json()["ok"] and "H2102" in done.json()["message"]
    state = client.get(f"/staff/lottery/{open_session.code}/state.json").content.decode()
    page = client.get(f"/staff/lottery/{open_session.code}/").content.decode()
    for shown in (done.content.decode(), state, page):
        assert member.id_number not in shown
    assert '"household": "H2102"' in state or "H2102" in page


def test_a_void_reason_is_published_with_numbers_masked(client, leader, open_session):
    cache.clear()
    lottery_session_void(
        actor=leader,
        session=open_session,
        reason="户主身份证 330125 19800101 1234 与登记不符,电话 138-1234-5678 联系未果",
    )
    for url in (
        f"/public/lottery/{open_session.code}/",
        f"/public/lottery/{open_session.code}/state.json",
    ):
        body = client.get(url).content.decode()
        assert "与登记不符" in body, url
        for piece in ("19800101", "198*0101", "1234-5678", "12345678"):
            assert piece not in body, (url, piece)
