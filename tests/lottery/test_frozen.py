"""After sign-off nothing changes: the database itself refuses, whatever issues the write."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from lottery.models import Allocation, CheckIn, LotterySession, Reveal


def refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except DatabaseError:
        return True
    return False


def test_a_signed_session_row_cannot_be_updated_or_deleted(signed_session):
    sessions = LotterySession.objects.filter(pk=signed_session.pk)
    assert refused(lambda: sessions.update(title="改过的名称"))
    assert refused(lambda: sessions.update(status="voided", void_reason="x"))
    assert refused(lambda: sessions.delete())
    signed_session.refresh_from_db()
    assert signed_session.title == "S1 摇号"


def test_reveals_and_allocations_of_a_signed_session_cannot_change(signed_session, operator):
    reveal = Reveal.objects.filter(session=signed_session).first()
    allocation = Allocation.objects.filter(session=signed_session).first()
    assert refused(lambda: Reveal.objects.filter(pk=reveal.pk).update(proxy=not reveal.proxy))
    assert refused(lambda: Reveal.objects.filter(pk=reveal.pk).delete())
    assert refused(lambda: Allocation.objects.filter(pk=allocation.pk).update(binding=False))
    assert refused(lambda: Allocation.objects.filter(pk=allocation.pk).delete())
    assert refused(
        lambda: Reveal.objects.create(
            session=signed_session,
            position=999,
            step_label="x",
            rank=999,
            participant="x",
            revealed_by=operator,
        )
    )
    assert refused(
        lambda: CheckIn.objects.create(
            session=signed_session,
            household=allocation.household,
            method="notice_code",
            attendee="x",
            checked_in_by=operator,
        )
    )


def test_an_open_session_still_changes(drawing_session):
    LotterySession.objects.filter(pk=drawing_session.pk).update(title="新名称")
    drawing_session.refresh_from_db()
    assert drawing_session.title == "新名称"


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_with_signed_sessions_flush_cleanly(signed_session, lottery_flushable):
    assert LotterySession.objects.filter(status="signed").count() == 1
