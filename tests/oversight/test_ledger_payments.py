"""The overdue ledger reads the real payments (issue 14 item 6): the months transition-subsidy
runs paid (a failed bank row pays nothing) and the months a settled statement paid, month by
month — owed, paid, on which day, by which run, days late — per household, per run period and
per project, worked by hand (docs/oversight.md, "The ledger from the real payments")."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from oversight.models import LedgerEntry, LedgerRun
from oversight.selectors.ledger import household_ledger, ledger_periods, ledger_totals
from oversight.services import ledger
from settlement.models import Outcome, Statement, StatementStatus, SubsidyRun
from settlement.services import statements as settlement_statements
from tests.settlement.test_subsidy_runs import Q1, Q2, Q3, Setup, approve_all, pay

pytestmark = pytest.mark.django_db

D = dt.date
JUNE_30 = D(2026, 6, 30)
AUGUST_25 = D(2026, 8, 25)


@pytest.fixture
def setup(leader, clerk, finance_wu):
    """500 元 a person a month, paid quarterly; overdue months count twice."""
    return Setup(leader, clerk, finance_wu)


@pytest.fixture
def paid_across_runs(setup, chain):
    """H001, 2 persons, moved out 20 Nov 2025, promised back by 1 Mar 2026 (months from
    20 Mar 2026 on count twice): run 1 (Q1) paid on 15 Jan 2026, its run-2 row (Q2) failed,
    run 3 (Q3) paid on 10 Jul 2026 with April–June as arrears. H002, 1 person, moved out
    5 Jan 2026, nothing promised (the policy's 24 months): paid by every run."""
    h1 = setup.household("H001", persons=2, promised_by=D(2026, 3, 1))
    h2 = setup.household("H002", persons=1, moved_out=D(2026, 1, 5))
    runs = [approve_all(setup.compute(Q1), chain)]
    pay(runs[0], setup.finance, on=D(2026, 1, 15))
    runs.append(approve_all(setup.compute(Q2), chain))
    pay(runs[1], setup.finance, fail={"H001"}, on=D(2026, 4, 10))
    return setup, h1, h2, runs


def pay_third_run(setup, chain) -> SubsidyRun:
    run = approve_all(setup.compute(Q3), chain)
    pay(run, setup.finance, on=D(2026, 7, 10))
    return run


def months_of(household, today: dt.date) -> dict[str, SimpleNamespace]:
    """The household page's months on `today`, oldest first, each with the run that paid it."""
    rows = household_ledger(household.pk, today).months
    return {
        f"{r.month.month:%Y-%m}": SimpleNamespace(**asdict(r.month), run=r.run)
        for r in reversed(rows)
    }


def test_a_failed_bank_row_leaves_its_months_owed_and_overdue(paid_across_runs):
    setup, h1, _h2, (run1, run2) = paid_across_runs
    ledger.ledger_refresh(today=JUNE_30)
    entry = LedgerEntry.objects.get(household=h1)
    # Due by 30 Jun: the months starting 20 Nov … 20 Jun (8). 1,000 元 a month; from 20 Mar
    # on twice: 1,000 × (4 + 2 × 4) = 12,000.00. Run 1 paid Nov–Mar: 1,000 × (4 + 2).
    assert (entry.months_in_transition, entry.subsidy_owed) == (8, Decimal("12000.00"))
    assert (entry.subsidy_paid, entry.paid_months) == (Decimal("6000.00"), 5)
    # April–June: run 2's row failed, so they are unpaid: 3 × 2,000.00 = owed − paid.
    assert entry.subsidy_arrears == Decimal("6000.00")
    assert entry.subsidy_late and entry.late_since == JUNE_30
    months = months_of(h1, JUNE_30)
    assert list(months) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    nov = months["2025-11"]
    # Due on 20 Nov, 30 days of grace: paid on 15 Jan, 26 days late, by run 1.
    assert (nov.starts_on, nov.deadline, nov.paid_on) == (
        D(2025, 11, 20),
        D(2025, 12, 20),
        D(2026, 1, 15),
    )
    assert (nov.status, nov.run, nov.days_late, nov.paid) == ("paid", run1, 26, 1000)
    assert months["2025-12"].days_late == 0  # deadline 19 Jan, paid 15 Jan
    assert (months["2026-03"].overdue, months["2026-03"].factor) == (True, Decimal("2.00"))
    assert months["2026-03"].paid == 2000
    # Still unpaid: April's deadline was 20 May (41 days ago), May's 19 Jun (11 days);
    # June's is 20 Jul, not yet passed. The failed run holds none of them.
    assert [
        (months[m].status, months[m].owed, months[m].days_late, months[m].run)
        for m in ("2026-04", "2026-05", "2026-06")
    ] == [("unpaid", 2000, 41, None), ("unpaid", 2000, 11, None), ("unpaid", 2000, 0, None)]
    # The worst month and the total: November's 26 days paid late, April 41, May 11.
    assert (entry.days_late_max, entry.days_late_total, entry.paid_late_months) == (41, 78, 1)
    assert run2.lines.get(household=h1).status == "failed"


def test_the_next_run_pays_the_failed_months_late_and_every_month_is_accounted_for(
    paid_across_runs, chain
):
    setup, h1, _h2, (run1, _run2) = paid_across_runs
    run3 = pay_third_run(setup, chain)
    ledger.ledger_refresh(today=AUGUST_25)
    entry = LedgerEntry.objects.get(household=h1)
    # Due by 25 Aug: 20 Nov … 20 Aug (10 months), 4 normal and 6 doubled: 16,000.00.
    # Paid: run 1's 6,000.00 and run 3's April–September (6 doubled months) 12,000.00 —
    # September ahead of its day, so nothing is in arrears.
    assert (entry.months_in_transition, entry.subsidy_owed) == (10, Decimal("16000.00"))
    assert (entry.subsidy_paid, entry.paid_months) == (Decimal("18000.00"), 11)
    assert entry.subsidy_arrears == Decimal("0.00")
    assert not entry.subsidy_late and entry.late_since is None
    months = months_of(h1, AUGUST_25)
    late = {m: (x.days_late, x.paid_on, x.run) for m, x in months.items() if x.days_late}
    # November 26 days (run 1); April due 20 Apr, deadline 20 May, paid 10 Jul: 51 days;
    # May (deadline 19 Jun): 21 days; June (deadline 20 Jul) on time.
    assert late == {
        "2025-11": (26, D(2026, 1, 15), run1),
        "2026-04": (51, D(2026, 7, 10), run3),
        "2026-05": (21, D(2026, 7, 10), run3),
    }
    assert (entry.days_late_max, entry.days_late_total, entry.paid_late_months) == (51, 98, 3)
    september = months["2026-09"]
    assert (september.due, september.owed, september.paid) == (False, 0, 2000)
    assert all(m.status == "paid" for m in months.values())


def test_the_project_totals_and_each_run_period(paid_across_runs, chain):
    setup, _h1, _h2, (run1, run2) = paid_across_runs
    ledger.ledger_refresh(today=JUNE_30)
    totals = ledger_totals(setup.project)
    # H001 as above; H002: Jan–Jun due, 6 × 500 = 3,000.00, paid by runs 1 and 2.
    assert (totals.owed_all, totals.paid_all, totals.arrears_all) == (
        Decimal("15000.00"),
        Decimal("9000.00"),
        Decimal("6000.00"),
    )
    assert (totals.households, totals.in_arrears, totals.paid_late, totals.late) == (2, 1, 1, 1)
    periods = [
        (p.label, p.households, p.owed, p.paid, p.arrears, p.in_arrears, p.paid_late, p.runs)
        for p in ledger_periods(setup.project)
    ]
    assert periods == [
        # H001 April–June doubled and unpaid; H002 paid by run 2.
        (
            "2026年第2季度",
            2,
            Decimal("7500.00"),
            Decimal("1500.00"),
            Decimal("6000.00"),
            1,
            0,
            [run2],
        ),
        # H001 Jan, Feb, Mar ×2 = 4,000; H002 1,500: all paid by run 1 in time.
        ("2026年第1季度", 2, Decimal("5500.00"), Decimal("5500.00"), Decimal("0.00"), 0, 0, [run1]),
        # H001 November (paid 26 days late) and December, before any run: run 1's arrears.
        ("2025年第4季度", 1, Decimal("2000.00"), Decimal("2000.00"), Decimal("0.00"), 0, 1, []),
    ]

    pay_third_run(setup, chain)
    ledger.ledger_refresh(today=AUGUST_25)
    totals = ledger_totals(setup.project)
    # H002: Jan–Aug due (4,000.00), paid Jan–Sep (4,500.00).
    assert (totals.owed_all, totals.paid_all, totals.arrears_all) == (
        Decimal("20000.00"),
        Decimal("22500.00"),
        Decimal("0.00"),
    )
    assert (totals.in_arrears, totals.paid_late, totals.late) == (0, 1, 0)


def test_a_household_settled_by_its_statement_counts_its_statement_months_as_paid(setup):
    household = setup.household("H003", persons=3, account=False)
    # Computed on 10 Feb 2026 (Beijing): 3 months (20 Nov, 20 Dec, 20 Jan) at 1,500.00;
    # settled on 12 Feb.
    with (
        time_machine.travel(dt.datetime(2026, 2, 10, 4, 0, tzinfo=dt.UTC), tick=False),
        transaction.atomic(),
    ):
        statement = settlement_statements._compute(household, actor=None, outcome=Outcome.MONETISED)
    settled = dt.datetime(2026, 2, 12, 2, 0, tzinfo=dt.UTC)
    Statement.objects.filter(pk=statement.pk).update(
        status=StatementStatus.SETTLED, approved_at=settled, settled_at=settled
    )
    ledger.ledger_refresh(today=D(2026, 3, 25))
    entry = LedgerEntry.objects.get(household=household)
    # Due by 25 Mar: Nov … Mar, 5 × 1,500.00; the statement paid 3 of them.
    assert (entry.subsidy_owed, entry.subsidy_paid, entry.paid_months) == (
        Decimal("7500.00"),
        Decimal("4500.00"),
        3,
    )
    assert entry.subsidy_arrears == Decimal("3000.00")
    months = months_of(household, D(2026, 3, 25))
    assert [(m, x.status, x.source, x.paid_on, x.days_late) for m, x in months.items()] == [
        ("2025-11", "paid", "statement", D(2026, 2, 12), 54),  # deadline 20 Dec
        ("2025-12", "paid", "statement", D(2026, 2, 12), 24),  # deadline 19 Jan
        ("2026-01", "paid", "statement", D(2026, 2, 12), 0),  # deadline 19 Feb
        ("2026-02", "unpaid", "", None, 3),  # due 20 Feb, deadline 22 Mar
        ("2026-03", "unpaid", "", None, 0),  # due 20 Mar
    ]
    assert entry.subsidy_late and (entry.days_late_max, entry.days_late_total) == (54, 81)


def test_the_household_page_lists_each_month_and_every_run_line(paid_across_runs, client, leader):
    setup, h1, _h2, (run1, run2) = paid_across_runs
    with time_machine.travel(dt.datetime(2026, 6, 30, 1, 0, tzinfo=dt.UTC), tick=False):
        ledger.ledger_refresh()
        client.force_login(leader)
        runs_before = LedgerRun.objects.count()
        page = client.get(f"/staff/oversight/ledger/households/{h1.pk}/").content.decode()
        assert LedgerRun.objects.count() == runs_before  # a GET refreshes nothing
        listing = client.get("/staff/oversight/ledger/", {"project": setup.project.code})
    assert 'data-month="2025-11" data-status="paid"' in page
    assert 'data-days-late="26"' in page and run1.label in page
    assert 'data-month="2026-04" data-status="unpaid"' in page
    assert "已逾期 41 天" in page
    assert "账户已销户" in page  # run 2's failed row, with the bank's reason
    assert 'data-figure="arrears"' in page and "6,000.00" in page
    text = listing.content.decode()
    assert f"/staff/oversight/ledger/households/{h1.pk}/" in text
    assert 'data-period="2026-04-01"' in text and 'data-arrears="6000.00"' in text


def test_a_household_not_in_the_ledger_is_not_found_and_a_clerk_may_not_look(
    paid_across_runs, client, leader, clerk
):
    _setup, h1, _h2, _runs = paid_across_runs
    client.force_login(leader)
    assert client.get(f"/staff/oversight/ledger/households/{h1.pk}/").status_code == 404
    ledger.ledger_refresh(today=JUNE_30)
    client.force_login(clerk)  # no ledger permission
    assert client.get(f"/staff/oversight/ledger/households/{h1.pk}/").status_code == 403


def test_the_dashboard_shows_the_project_subsidy_figures(paid_across_runs, client, leader):
    setup, *_rest = paid_across_runs
    ledger.ledger_refresh(today=JUNE_30)
    client.force_login(leader)
    page = client.get("/staff/oversight/", {"project": setup.project.code}).content.decode()
    assert 'id="subsidy"' in page
    for figure, value in (("owed", "15,000.00"), ("paid", "9,000.00"), ("arrears", "6,000.00")):
        start = page.index(f'data-subsidy="{figure}"')
        assert value in page[start : page.index("</dd>", start)]


def project_of(leader, clerk, finance, chain, count: int) -> Setup:
    """A project of `count` households (1 or 2 persons), the first run paid, one row failed."""
    setup = Setup(leader, clerk, finance)
    for i in range(count):
        setup.household(f"N{i:03d}", persons=1 + i % 2, promised_by=D(2026, 2, 1))
    run = approve_all(setup.compute(Q1), chain)
    pay(run, finance, fail={"N000"}, on=D(2026, 1, 15))
    return setup


def test_the_refresh_and_the_pages_cost_the_same_for_2_and_for_20_households(
    leader, clerk, finance_wu, chain, client
):
    client.force_login(leader)
    costs = []
    for count in (2, 20):
        setup = project_of(leader, clerk, finance_wu, chain, count)
        with time_machine.travel(dt.datetime(2026, 3, 25, 1, 0, tzinfo=dt.UTC), tick=False):
            ledger.ledger_refresh(project=setup.project)
            with CaptureQueriesContext(connection) as refresh:
                ledger.ledger_refresh(project=setup.project)
            first = LedgerEntry.objects.filter(project=setup.project).first()
            pages = []
            for url, query in (
                ("/staff/oversight/ledger/", {"project": setup.project.code, "show": "all"}),
                (f"/staff/oversight/ledger/households/{first.household_id}/", {}),
                ("/staff/oversight/", {"project": setup.project.code}),
            ):
                with CaptureQueriesContext(connection) as page:
                    assert client.get(url, query).status_code == 200
                pages.append(len(page))
        assert LedgerEntry.objects.filter(project=setup.project).count() == count
        costs.append((len(refresh), *pages))
    assert costs[0] == costs[1]


def test_without_a_policy_no_month_is_multiplied(setup):
    from settlement.models import TransitionPolicy

    household = setup.household("H004", persons=1, promised_by=D(2025, 12, 1))
    TransitionPolicy.objects.filter(project=setup.project).delete()
    ledger.ledger_refresh(today=D(2026, 1, 25))
    entry = LedgerEntry.objects.get(household=household)
    # 20 Nov, 20 Dec, 20 Jan at 500 each: the statement, without a policy, doubles nothing.
    assert (entry.subsidy_owed, entry.months_overdue) == (Decimal("1500.00"), 2)
    assert not any(m.overdue for m in months_of(household, D(2026, 1, 25)).values())


@time_machine.travel(dt.datetime(2026, 6, 30, 1, 0, tzinfo=dt.UTC), tick=False)
def test_the_household_page_reads_in_english_too(paid_across_runs, leader):
    from django.conf import settings
    from django.test import Client

    _setup, h1, _h2, _runs = paid_across_runs
    ledger.ledger_refresh()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(leader)
    page = client.get(f"/staff/oversight/ledger/households/{h1.pk}/").content.decode()
    assert "Month by month" in page and "41 days overdue" in page
    assert "Not paid" in page and "overdue ×2.00" in page


def test_the_bank_result_closing_a_run_refreshes_the_ledger_after_commit(
    setup, chain, django_capture_on_commit_callbacks
):
    household = setup.household("H005", persons=1)
    run = approve_all(setup.compute(Q1), chain)
    with time_machine.travel(dt.datetime(2026, 1, 16, 1, 0, tzinfo=dt.UTC), tick=False):
        ledger.ledger_refresh()
        assert LedgerEntry.objects.get(household=household).subsidy_paid == 0
        with django_capture_on_commit_callbacks(execute=True):
            pay(run, setup.finance, on=D(2026, 1, 15))
    # Nov–Mar, 5 × 500.00, paid on 15 Jan: the ledger says so without waiting for the night.
    entry = LedgerEntry.objects.get(household=household)
    assert (entry.subsidy_paid, entry.paid_months) == (Decimal("2500.00"), 5)


def test_a_households_months_are_read_in_seven_queries(
    paid_across_runs, chain, django_assert_num_queries
):
    setup, h1, _h2, _runs = paid_across_runs
    pay_third_run(setup, chain)
    ledger.ledger_refresh(today=AUGUST_25)
    # The entry, price rules, policy, grace days, months held by runs, settled subsidy
    # lines, the household's run lines (with their runs).
    with django_assert_num_queries(7):
        detail = household_ledger(h1.pk, AUGUST_25)
        assert [r.run.number for r in detail.months if r.run] == [3] * 6 + [1] * 5
        assert len(detail.lines) == 3
