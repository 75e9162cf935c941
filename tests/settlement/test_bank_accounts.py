"""Households' bank accounts: recorded by one person, confirmed by a second; the number checked
(digits, length, a card's Luhn digit) and masked for every role but finance — on the page, in
the API and in the audit trail."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from oversight.selectors.inbox import inbox
from oversight.selectors.timeline import household_timeline
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.masking import Mask, mask
from resettlement.models import AuditEntry
from settlement.models import BankAccount, BankAccountStatus
from settlement.services.bank_accounts import (
    bank_account_confirm,
    bank_account_record,
    bank_account_reject,
)

pytestmark = pytest.mark.django_db

# A UnionPay card whose last digit is its Luhn check, and the same with the last digit wrong.
CARD = "6222021234567800010"
CARD_TYPO = "6222021234567800018"
OTHER_CARD = "6228480012345670017"
PASSBOOK = "310012345678901"  # 15 digits: no card, no check digit


def record(actor, household, number=CARD, **extra):
    values = {"holder_name": "王建国", "bank_name": "工商银行城东支行", "reason": "", **extra}
    return bank_account_record(actor=actor, household=household, account_number=number, **values)


def page(user, household) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/staff/settlement/households/{household.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_card_number_failing_the_luhn_check_is_refused_on_its_field(household, clerk):
    with pytest.raises(RuleViolation) as refused:
        record(clerk, household, CARD_TYPO)
    assert refused.value.details[0]["field"] == "account_number"
    assert refused.value.details[0]["code"] == "checksum"
    assert "校验" in refused.value.details[0]["message"]
    assert not BankAccount.objects.exists()


@pytest.mark.parametrize(
    ("number", "code"),
    [("62220212345", "length"), ("6222 0212 3456 7800 01X", "invalid"), ("", "required")],
)
def test_a_number_too_short_or_with_letters_is_refused(household, clerk, number, code):
    with pytest.raises(RuleViolation) as refused:
        record(clerk, household, number)
    assert refused.value.details[0] == {
        "field": "account_number",
        "message": refused.value.details[0]["message"],
        "code": code,
    }


def test_spaces_are_dropped_and_a_passbook_number_needs_no_check_digit(household, clerk):
    assert record(clerk, household, "6222 0212 3456 7800 010").account_number == CARD
    other = BankAccount.objects.get()
    other.delete()
    assert record(clerk, household, PASSBOOK).account_number == PASSBOOK


def test_the_holder_name_is_required(household, clerk):
    with pytest.raises(RuleViolation) as refused:
        record(clerk, household, holder_name=" ")
    assert [d["field"] for d in refused.value.details] == ["holder_name"]


def test_a_second_person_confirms_the_account(household, clerk, finance_wu):
    account = record(clerk, household)
    assert account.status == BankAccountStatus.PENDING
    bank_account_confirm(actor=finance_wu, account=account)
    account.refresh_from_db()
    assert account.status == BankAccountStatus.CONFIRMED
    assert account.confirmed_by == finance_wu


def test_the_recorder_cannot_confirm_their_own_account(household, finance_wu):
    account = record(finance_wu, household)
    with pytest.raises(NotAllowed) as refused:
        bank_account_confirm(actor=finance_wu, account=account)
    assert refused.value.code == "four_eyes"
    assert "四眼" in refused.value.message
    account.refresh_from_db()
    assert account.status == BankAccountStatus.PENDING


def test_a_clerk_cannot_confirm_an_account(household, clerk, other_clerk):
    account = record(clerk, household)
    with pytest.raises(NotAllowed):
        bank_account_confirm(actor=other_clerk, account=account)


def test_a_change_needs_a_reason_and_replaces_the_account_only_once_confirmed(
    household, clerk, finance_wu, finance_zheng
):
    first = record(clerk, household)
    bank_account_confirm(actor=finance_wu, account=first)
    with pytest.raises(RuleViolation) as refused:
        record(clerk, household, OTHER_CARD)
    assert refused.value.details[0]["field"] == "reason"

    change = record(clerk, household, OTHER_CARD, reason="原卡挂失,换新卡")
    first.refresh_from_db()
    assert first.status == BankAccountStatus.CONFIRMED  # still paid into until confirmed
    with pytest.raises(RuleViolation) as twice:
        record(clerk, household, PASSBOOK, reason="再换一张")
    assert twice.value.code == "bank_account_pending"

    bank_account_confirm(actor=finance_zheng, account=change)
    first.refresh_from_db()
    change.refresh_from_db()
    assert first.status == BankAccountStatus.SUPERSEDED
    assert change.status == BankAccountStatus.CONFIRMED


def test_a_rejected_change_leaves_the_account_in_use(household, clerk, finance_wu, finance_zheng):
    first = record(clerk, household)
    bank_account_confirm(actor=finance_wu, account=first)
    change = record(clerk, household, OTHER_CARD, reason="换卡")
    with pytest.raises(RuleViolation):
        bank_account_reject(actor=finance_zheng, account=change, reason="")
    bank_account_reject(actor=finance_zheng, account=change, reason="户名与卡面不符")
    first.refresh_from_db()
    change.refresh_from_db()
    assert first.status == BankAccountStatus.CONFIRMED
    assert change.status == BankAccountStatus.REJECTED
    assert change.rejection_reason == "户名与卡面不符"


def test_every_act_is_audited_with_the_number_masked(household, clerk, finance_wu):
    account = record(clerk, household, reason=f"旧账号 {OTHER_CARD} 已销户")
    bank_account_confirm(actor=finance_wu, account=account)
    entries = list(
        AuditEntry.objects.filter(action__startswith="bank_account.").order_by("sequence")
    )
    assert [e.action for e in entries] == ["bank_account.record", "bank_account.confirm"]
    for entry in entries:
        text = json.dumps(entry.payload, ensure_ascii=False)
        assert CARD not in text and OTHER_CARD not in text
        assert entry.payload["account_number"] == "**** **** **** 0010"


def test_the_mask_shows_only_the_last_four_digits():
    assert mask(CARD, Mask.BANK_ACCOUNT) == "**** **** **** 0010"
    assert mask("6222 0212 3456 7800 010", Mask.BANK_ACCOUNT) == "**** **** **** 0010"
    assert mask("", Mask.BANK_ACCOUNT) == ""


def test_the_page_masks_the_number_for_a_clerk_and_shows_it_to_finance(
    household, clerk, finance_wu, leader
):
    account = record(clerk, household)
    bank_account_confirm(actor=finance_wu, account=account)
    for user in (clerk, leader):
        html = page(user, household)
        assert "**** **** **** 0010" in html
        assert CARD not in html
    assert CARD in page(finance_wu, household)


def test_the_page_tells_the_recorder_a_second_person_must_confirm(household, finance_wu):
    record(finance_wu, household)
    html = page(finance_wu, household)
    assert 'id="bank-account-confirm-form"' not in html
    assert 'id="bank-account-four-eyes"' in html


def test_recording_and_confirming_on_the_page(household, clerk, finance_wu):
    client = Client()
    client.force_login(clerk)
    url = f"/staff/settlement/households/{household.pk}/bank-accounts/"
    refused = client.post(
        url, {"holder_name": "王建国", "bank_name": "工商银行", "account_number": CARD_TYPO}
    )
    assert refused.status_code == 200
    assert "校验位不符" in refused.content.decode()
    response = client.post(
        url, {"holder_name": "王小明", "bank_name": "工商银行", "account_number": CARD}
    )
    assert response.status_code == 302
    account = BankAccount.objects.get()
    assert client.post(f"/staff/settlement/bank-accounts/{account.pk}/confirm/").status_code == 403
    finance = Client()
    finance.force_login(finance_wu)
    assert finance.post(f"/staff/settlement/bank-accounts/{account.pk}/confirm/").status_code == 302
    account.refresh_from_db()
    assert account.status == BankAccountStatus.CONFIRMED


def test_the_api_masks_the_number_except_for_finance(household, clerk, finance_wu, supervisor):
    record(clerk, household)
    for user in (clerk, supervisor):
        rows = api(user).get("/api/settlement/bank-accounts/").json()["results"]
        assert rows[0]["account_number"] == "**** **** **** 0010"
        assert rows[0]["account_number_masked"] is True
    rows = api(finance_wu).get("/api/settlement/bank-accounts/").json()["results"]
    assert rows[0]["account_number"] == CARD


def test_recording_and_confirming_over_the_api(household, clerk, finance_wu):
    created = api(clerk).post(
        "/api/settlement/bank-accounts/",
        {
            "household": household.pk,
            "holder_name": "王建国",
            "bank_name": "工商银行",
            "account_number": CARD_TYPO,
        },
        format="json",
    )
    assert created.status_code == 400
    assert created.json()["errors"][0]["field"] == "account_number"
    created = api(clerk).post(
        "/api/settlement/bank-accounts/",
        {
            "household": household.pk,
            "holder_name": "王建国",
            "bank_name": "工商银行",
            "account_number": CARD,
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    pk = created.json()["id"]
    mine = api(clerk).post(f"/api/settlement/bank-accounts/{pk}/confirm/")
    assert mine.status_code == 403
    confirmed = api(finance_wu).post(f"/api/settlement/bank-accounts/{pk}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["account_number"] == CARD


def test_finance_finds_a_change_waiting_in_its_inbox_but_not_its_own(household, clerk, finance_wu):
    record(clerk, household)
    lines = [line for p in inbox(finance_wu) for line in p.lines if line.kind == "bank_accounts"]
    assert [line.count for line in lines] == [1]
    assert f"/households/{household.pk}/" in lines[0].url
    BankAccount.objects.update(recorded_by=finance_wu)
    lines = [line for p in inbox(finance_wu) for line in p.lines if line.kind == "bank_accounts"]
    assert lines == []


def test_the_timeline_shows_the_account_events_with_the_number_masked(household, clerk, finance_wu):
    account = record(clerk, household)
    bank_account_confirm(actor=finance_wu, account=account)
    events = [e for e in household_timeline(household).events if e.kind == "bank_account"]
    assert [e.title for e in events] == ["录入银行账户", "复核确认银行账户"]
    assert all("**** **** **** 0010" in e.detail and CARD not in e.detail for e in events)
