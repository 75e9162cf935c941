"""The overdue ledger follows the events that change it: a subsidy settled shows as paid as
soon as the settlement commits (not the next morning), and an official can bring the
ledger up to date from its page (audited). The pages explain their figures themselves."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from oversight.models import LedgerEntry, LedgerRun
from oversight.services import ledger
from resettlement.models import AuditEntry
from settlement.models import Statement
from settlement.services import payments
from tests.oversight.test_ledger import TODAY, ledger_project, settled_with_subsidy  # noqa: F401
from tests.reauth import recently_authenticated
from tests.settlement.factories import approve_through, statement_of

pytestmark = pytest.mark.django_db


def entry(code: str) -> LedgerEntry:
    return LedgerEntry.objects.get(household__code=code)


@time_machine.travel(TODAY, tick=False)
def test_a_subsidy_settled_shows_as_paid_once_the_settlement_commits(
    ledger_project,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    ledger.ledger_refresh()
    assert entry("A").subsidy_paid == 0 and entry("A").subsidy_late
    household = entry("A").household
    with django_capture_on_commit_callbacks(execute=True):
        settled_with_subsidy(household, months=20, amount="30000.00")
    refreshed = entry("A")
    assert refreshed.subsidy_paid == 30000
    assert refreshed.paid_months == 20
    assert not refreshed.subsidy_late


@time_machine.travel(TODAY, tick=False)
def test_nothing_is_refreshed_before_the_commit(
    ledger_project,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    ledger.ledger_refresh()
    household = entry("A").household
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        settled_with_subsidy(household, months=20, amount="30000.00")
    assert entry("A").subsidy_paid == 0  # waits for the commit
    assert callbacks


@time_machine.travel(TODAY, tick=False)
def test_many_events_in_one_transaction_refresh_the_ledger_once(
    ledger_project,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    ledger.ledger_refresh()
    household = entry("A").household
    runs = LedgerRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        settled_with_subsidy(household, months=20, amount="30000.00")
        Statement.objects.get(household=household).save()  # a second event, same project
    assert len(callbacks) == 2
    assert LedgerRun.objects.count() == runs + 1  # one refresh of the project at the commit
    assert entry("A").subsidy_paid == 30000


@time_machine.travel(TODAY, tick=False)
def test_an_official_refreshes_the_ledger_from_its_page_and_it_is_audited(
    ledger_project,  # noqa: F811
    leader,
):
    ledger.ledger_refresh()
    # Settled behind the ledger's back (no commit hook runs inside the test's transaction).
    settled_with_subsidy(entry("A").household, months=20, amount="30000.00")
    client = recently_authenticated(Client())
    client.force_login(leader)
    page = client.get(f"/staff/oversight/ledger/?project={ledger_project.code}").content.decode()
    assert 'id="refresh-form"' in page and "立即更新台账" in page
    response = client.post(
        "/staff/oversight/ledger/refresh/", {"project": ledger_project.code}, follow=True
    )
    assert response.status_code == 200
    assert "台账已更新" in response.content.decode()
    assert entry("A").subsidy_paid == 30000
    audit = AuditEntry.objects.filter(action="ledger.refresh").get()
    assert audit.actor == leader and audit.payload["project"] == ledger_project.code


def test_a_get_does_not_refresh_and_a_clerk_may_not(ledger_project, clerk, leader):  # noqa: F811
    runs = LedgerRun.objects.count()
    client = recently_authenticated(Client())
    client.force_login(leader)
    got = client.get("/staff/oversight/ledger/refresh/", {"project": ledger_project.code})
    assert got.status_code == 405
    client = Client()
    client.force_login(clerk)
    refused = client.post("/staff/oversight/ledger/refresh/", {"project": ledger_project.code})
    assert refused.status_code == 403
    assert not AuditEntry.objects.filter(action="ledger.refresh").exists()
    assert LedgerRun.objects.count() == runs


def test_the_ledger_and_dashboard_explain_their_figures_on_the_page(ledger_project, leader):  # noqa: F811
    client = Client()
    client.force_login(leader)
    for path, help_id in (
        ("/staff/oversight/ledger/", "ledger-help"),
        ("/staff/oversight/", "dashboard-help"),
    ):
        html = client.get(f"{path}?project={ledger_project.code}").content.decode()
        assert "docs/oversight.md" not in html
        assert f'id="{help_id}"' in html
    ledger_html = client.get(f"/staff/oversight/ledger/?project={ledger_project.code}")
    assert "超期月数:承诺回迁日期次日起" in ledger_html.content.decode()


def test_the_explanations_are_in_english_too(ledger_project, leader):  # noqa: F811
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(leader)
    html = client.get(f"/staff/oversight/ledger/?project={ledger_project.code}").content.decode()
    assert "How the ledger is computed" in html
    assert "Refresh the ledger now" in html
    html = client.get(f"/staff/oversight/?project={ledger_project.code}").content.decode()
    assert "How progress is counted" in html


def test_a_payment_recorded_refreshes_its_projects_ledger_after_commit(
    money, chain, django_capture_on_commit_callbacks
):
    statement = approve_through(statement_of(money.elsewhere), chain)
    before = LedgerRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        payments.payment_record(
            actor=chain.cashier, statement=statement, amount="1000.00", idempotency_key="p1"
        )
    assert callbacks  # queued for after the commit, not run inside the payment
    assert LedgerRun.objects.count() > before
