"""Resettlement agreements: the PDF read back (parties, household, entitlement, apartments or
the monetised outcome, the statement's net, terms, signature boxes), its hash, the number,
re-issue until signed, the signing record, and the staff pages that download and sign."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Member, Relation
from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import Agreement, Outcome, Statement
from settlement.services import agreements
from tests.pdf import pdf_pages, squeezed

pytestmark = pytest.mark.usefixtures("private_media")
FULL_ID = re.compile(r"\d{17}[\dX]")


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "".join(squeezed(page) for page in pdf_pages(pdf))


def _statement(household, *, outcome=Outcome.APARTMENT, income="1000.00", expenditure="0.00"):
    income, expenditure = Decimal(income), Decimal(expenditure)
    return Statement.objects.create(
        household=household,
        project=household.project,
        outcome=outcome,
        income_total=income,
        expenditure_total=expenditure,
        net=income - expenditure,
        computed_at=timezone.now(),
    )


def test_the_agreement_names_the_parties_household_and_its_apartments(
    settlement_project, household, clerk
):
    agreement, pdf = agreements.agreement_issue(actor=clerk, household=household)
    text = _text(pdf)
    project = settlement_project.project
    assert agreement.number == f"{project.code}-AG-{household.code}"
    assert agreement.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    head = Member.objects.get(household=household, relation=Relation.HEAD)
    assert "安置协议" in text and agreement.number in text
    assert squeezed(project.name) in text and head.name in text and household.code in text
    assert f"应安置面积{household.entitlement_area}㎡" in text
    for apartment in settlement_project.apartments_of(household):
        assert f"{apartment.code}号" in text and str(apartment.area) in text
    assert "实物安置" in text
    assert "结算金额以经审批的结算单为准" in text  # no statement yet
    assert "甲方(盖章)" in text and "乙方(户主签字并按手印)" in text
    assert not FULL_ID.search(text)
    assert agreements.agreement_pdf_bytes(agreement) == pdf


def test_the_statements_net_is_written_as_who_pays_whom(settlement_project, household, clerk):
    _statement(household, income="1000.00", expenditure="251234.50")
    _agreement, pdf = agreements.agreement_issue(actor=clerk, household=household)
    assert "乙方应向甲方缴纳250,234.50元" in _text(pdf)


def test_a_monetised_household_gets_an_agreement_without_apartments(
    settlement_project, no_apartment, clerk
):
    with pytest.raises(RuleViolation) as refused:
        agreements.agreement_issue(actor=clerk, household=no_apartment)
    assert refused.value.code == "no_outcome"
    _statement(no_apartment, outcome=Outcome.MONETISED, income="400000.00")
    _agreement, pdf = agreements.agreement_issue(actor=clerk, household=no_apartment)
    text = _text(pdf)
    assert "货币化安置(房票)" in text and "不再分配安置房" in text
    assert "甲方应向乙方支付400,000.00元" in text


def test_reissue_gives_a_new_hash_until_signed_then_never(settlement_project, household, clerk):
    first, first_pdf = agreements.agreement_issue(actor=clerk, household=household)
    first_hash = first.pdf_sha256
    _statement(household, income="500.00")
    again, pdf = agreements.agreement_issue(actor=clerk, household=household)
    assert again.pk == first.pk and again.number == first.number
    assert again.pdf_sha256 != first_hash == hashlib.sha256(first_pdf).hexdigest()
    assert agreements.agreement_pdf_bytes(again) == pdf

    signed = agreements.agreement_sign(
        actor=clerk, agreement=again, signed_on=dt.date(2026, 1, 5), signer_name="王建国"
    )
    assert signed.signed_on == dt.date(2026, 1, 5) and signed.signer_name == "王建国"
    assert signed.recorded_by == clerk
    with pytest.raises(RuleViolation) as refused:
        agreements.agreement_issue(actor=clerk, household=household)
    assert refused.value.code == "already_signed"
    with pytest.raises(RuleViolation) as twice:
        agreements.agreement_sign(
            actor=clerk, agreement=signed, signed_on=dt.date(2026, 1, 6), signer_name="李"
        )
    assert twice.value.code == "already_signed"
    assert Agreement.objects.get().pdf_sha256 == signed.pdf_sha256


def test_signing_needs_a_name_and_a_date_not_in_the_future(settlement_project, household, clerk):
    agreement, _pdf = agreements.agreement_issue(actor=clerk, household=household)
    with pytest.raises(RuleViolation) as refused:
        agreements.agreement_sign(
            actor=clerk,
            agreement=agreement,
            signed_on=timezone.localdate() + dt.timedelta(days=1),
            signer_name=" ",
        )
    fields = {d["field"] for d in refused.value.details}
    assert fields == {"signed_on", "signer_name"}


def test_only_the_settlement_team_issues_and_signs(
    settlement_project, household, clerk, reviewer, outsider
):
    for actor in (reviewer, outsider):
        with pytest.raises(NotAllowed):
            agreements.agreement_issue(actor=actor, household=household)
    agreement, _pdf = agreements.agreement_issue(actor=clerk, household=household)
    with pytest.raises(NotAllowed):
        agreements.agreement_sign(
            actor=reviewer, agreement=agreement, signed_on=dt.date(2026, 1, 5), signer_name="王"
        )


def test_staff_pages_issue_download_and_record_signing(
    client, settlement_project, household, clerk, outsider
):
    client.force_login(clerk)
    page = reverse("settlement:handover-detail", args=[household.pk])
    assert "尚未出具" in client.get(page).content.decode()
    issued = client.post(reverse("settlement:agreement-issue", args=[household.pk]), follow=True)
    agreement = Agreement.objects.get(household=household)
    download_url = reverse("settlement:agreement-download", args=[household.pk])
    # Back on the household's page: the issued agreement and its download, no "not issued".
    html = issued.content.decode()
    assert issued.redirect_chain[-1][0].startswith(page)
    assert "尚未出具安置协议" not in html
    assert "出具安置协议(PDF)" not in html
    assert f"已出具安置协议 {agreement.number}" in html
    assert agreement.number in html and agreement.pdf_sha256 in html
    assert f'href="{download_url}"' in html
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert f"{household.code}.pdf" in download["Content-Disposition"]
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == (
        agreement.pdf_sha256
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"
    assert "sandbox" in download["Content-Security-Policy"]
    signed = client.post(
        reverse("settlement:agreement-sign", args=[household.pk]),
        {"signed_on": "2026-01-05", "signer_name": "王建国"},
    )
    assert signed.status_code == 302
    agreement.refresh_from_db()
    assert agreement.signed_on == dt.date(2026, 1, 5)
    assert "王建国" in client.get(page).content.decode()

    client.force_login(outsider)
    assert client.get(page).status_code == 403
    assert (
        client.get(reverse("settlement:agreement-download", args=[household.pk])).status_code == 403
    )
