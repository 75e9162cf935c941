"""The overdue-return ledger: months overdue and the relocation subsidy owed and paid,
worked by hand (docs/oversight.md), kept current by the daily beat task, which flags
subsidy not paid on time; and the yearly return targets' completion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from households.models import Household, HouseholdStatus
from oversight.models import LedgerEntry, LedgerRun
from oversight.selectors.ledger import return_progress
from oversight.services import ledger
from oversight.tasks import refresh_overdue_ledger
from resettlement.celery import app
from settlement.calculation import add_months
from settlement.models import (
    Handover,
    PriceRules,
    Statement,
    StatementLine,
    StatementStatus,
    Transition,
)
from tests.households.factories import VillagerGroupFactory

TODAY = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


def household(group, code: str, actor, *, persons: int = 3) -> Household:
    return Household.objects.create(
        project=group.project,
        community=group.community,
        group=group,
        code=code,
        status=HouseholdStatus.APPROVED,
        registered_by=actor,
        approved_by=actor,
        approved_at=timezone.now(),
        resettlement_population=persons,
        entitlement_area=Decimal("150.00"),
        demolished_area=Decimal("120.00"),
    )


def moved_out(h: Household, actor, on: dt.date, promised: dt.date | None) -> None:
    Transition.objects.create(household=h, moved_out_on=on, promised_by=promised, recorded_by=actor)


def hand_over(h: Household, actor, on: dt.date) -> None:
    Handover.objects.create(
        household=h,
        handed_over_on=on,
        keys=3,
        water_reading=Decimal("1"),
        electricity_reading=Decimal("1"),
        handed_over_by=actor,
        received_by="户主",
        signature_record="交房确认单",
    )


def settled_with_subsidy(h: Household, *, months: int, amount: str) -> None:
    """A settled statement whose subsidy line counts the household's first `months` months
    (its inputs as the statement writes them: from moving out to `subsidy_until`)."""
    amount = Decimal(amount)
    now = timezone.now()
    moved = Transition.objects.get(household=h).moved_out_on
    statement = Statement.objects.create(
        household=h,
        project=h.project,
        status=StatementStatus.SETTLED,
        income_total=amount,
        expenditure_total=Decimal("0.00"),
        net=amount,
        inputs={
            "moved_out_on": moved.isoformat(),
            "subsidy_until": add_months(moved, months).isoformat(),
        },
        computed_at=now,
        approved_at=now,
        settled_at=now,
    )
    StatementLine.objects.create(
        statement=statement,
        position=1,
        side="income",
        rule="transition_subsidy",
        label="临时安置补助费(按安置人口)",
        inputs={"rate": "500.00", "persons": h.resettlement_population, "months": months},
        amount=amount,
    )


@pytest.fixture
def ledger_project(leader, clerk):
    """500 元 per person per month. Households (3 persons unless said):

    A moved out 2024-06-15, promised 2025-06-15, nothing paid;
    B (2 persons) moved out 2025-11-20, promised 2025-12-15 — overdue across the year end;
    C moved out 2025-12-20, promised 2027-12-20 — not overdue;
    D moved out 2024-01-01, promised 2025-01-01, keys 2025-10-01 — returned late;
    E moved out 2024-05-10, promised 2025-05-10; a settled statement paid 18 months;
    F moved out 2025-10-05, promised 2025-12-31; a settled statement paid 4 months;
    G moved out 2025-01-01, promised 2025-06-01, keys 2025-05-20 — returned on time.
    """
    group = VillagerGroupFactory(community__project__code="LED")
    PriceRules.objects.create(
        project=group.project,
        base_price=Decimal("3000"),
        unused_area_price=Decimal("2000"),
        monetised_price=Decimal("5000"),
        subsidy_rate=Decimal("500.00"),
        updated_by=leader,
    )
    rows = {code: household(group, code, clerk) for code in "ACDEFG"}
    rows["B"] = household(group, "B", clerk, persons=2)
    moved_out(rows["A"], clerk, dt.date(2024, 6, 15), dt.date(2025, 6, 15))
    moved_out(rows["B"], clerk, dt.date(2025, 11, 20), dt.date(2025, 12, 15))
    moved_out(rows["C"], clerk, dt.date(2025, 12, 20), dt.date(2027, 12, 20))
    moved_out(rows["D"], clerk, dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    hand_over(rows["D"], clerk, dt.date(2025, 10, 1))
    moved_out(rows["E"], clerk, dt.date(2024, 5, 10), dt.date(2025, 5, 10))
    settled_with_subsidy(rows["E"], months=18, amount="27000.00")
    moved_out(rows["F"], clerk, dt.date(2025, 10, 5), dt.date(2025, 12, 31))
    settled_with_subsidy(rows["F"], months=4, amount="6000.00")
    moved_out(rows["G"], clerk, dt.date(2025, 1, 1), dt.date(2025, 6, 1))
    hand_over(rows["G"], clerk, dt.date(2025, 5, 20))
    return group.project


def entries() -> dict[str, LedgerEntry]:
    return {e.household.code: e for e in LedgerEntry.objects.select_related("household")}


@time_machine.travel(TODAY, tick=False)
def test_months_overdue_and_subsidy_owed_worked_by_hand(ledger_project):
    ledger.ledger_refresh()
    found = entries()
    # D and G have their keys: not in the ledger.
    assert sorted(found) == ["A", "B", "C", "E", "F"]
    a, b, c, e, f = (found[k] for k in "ABCEF")
    # A: 15 Jun 2024 + 19 months = 15 Jan 2026 reaches 10 Jan 2026 (18 months do not):
    # 500 × 3 × 19 = 28,500.00. Promised 15 Jun 2025: + 7 months = 15 Jan 2026 → 7.
    assert (a.months_in_transition, a.subsidy_owed, a.months_overdue) == (
        19,
        Decimal("28500.00"),
        7,
    )
    # B, across the year end: 20 Nov 2025 → 10 Jan 2026 is 2 months (20 Dec < 10 Jan ≤
    # 20 Jan): 500 × 2 persons × 2 = 2,000.00; promised 15 Dec 2025 → 1 month overdue.
    assert (b.months_in_transition, b.subsidy_owed, b.months_overdue) == (
        2,
        Decimal("2000.00"),
        1,
    )
    # C: promised in 2027, not overdue; 1 month of subsidy (1,500.00).
    assert (c.months_overdue, c.subsidy_owed) == (0, Decimal("1500.00"))
    # E: 10 May 2024 + 20 months = 10 Jan 2026, reached exactly: 30,000.00 owed; the settled
    # statement paid 18 months, 27,000.00; 3,000.00 unpaid. 8 months overdue.
    assert (e.months_in_transition, e.subsidy_owed, e.subsidy_paid, e.paid_months) == (
        20,
        Decimal("30000.00"),
        Decimal("27000.00"),
        18,
    )
    assert e.subsidy_unpaid == Decimal("3000.00")
    assert e.months_overdue == 8
    # F: paid its 4 months (to 5 Feb 2026) in full; promised 31 Dec 2025 → 1 month overdue.
    assert (f.subsidy_owed, f.subsidy_paid, f.subsidy_unpaid, f.months_overdue) == (
        Decimal("6000.00"),
        Decimal("6000.00"),
        Decimal("0.00"),
        1,
    )


@time_machine.travel(TODAY, tick=False)
def test_the_beat_task_flags_subsidy_not_paid_on_time(ledger_project):
    result = refresh_overdue_ledger.delay().get()
    assert result == {"households": 5, "overdue": 4, "late": 3}
    found = entries()
    # A: nothing paid since June 2024. B: its first month began 20 Nov 2025, 30 days of
    # grace ended 20 Dec 2025. E: its 19th month began 10 Nov 2025, unpaid.
    assert {code for code, e in found.items() if e.subsidy_late} == {"A", "B", "E"}
    assert found["A"].late_since == dt.date(2026, 1, 10)
    # C's first month began 20 Dec 2025: still within its 30 days. F is paid ahead.
    assert not found["C"].subsidy_late and not found["F"].subsidy_late
    run = LedgerRun.objects.get()
    assert (run.as_of, run.households, run.overdue, run.late) == (dt.date(2026, 1, 10), 5, 4, 3)


def test_the_task_runs_daily_from_celery_beat():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "oversight.tasks.refresh_overdue_ledger"
    )
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {15}
    assert "oversight.tasks.refresh_overdue_ledger" in app.tasks


def test_a_longer_grace_and_a_later_day(ledger_project, leader):
    ledger.return_plan_set(
        actor=leader,
        project=ledger_project,
        department="区住建局",
        person="张主任",
        subsidy_grace_days=60,
        targets=[(2025, 30), (2026, 60), (2027, 100)],
    )
    with time_machine.travel(TODAY, tick=False):
        ledger.ledger_refresh()
    # B's first month plus 60 days ends 19 Jan 2026: not late yet. E's unpaid month began
    # 10 Nov 2025; 60 days end 9 Jan 2026: late.
    assert {code for code, e in entries().items() if e.subsidy_late} == {"A", "E"}

    # A month later: B got its keys on 1 Feb, so it leaves the ledger; A stays flagged
    # since January, its figures moving on.
    hand_over(Household.objects.get(code="B"), leader, dt.date(2026, 2, 1))
    with time_machine.travel(dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        ledger.ledger_refresh()
    found = entries()
    assert "B" not in found
    assert found["A"].late_since == dt.date(2026, 1, 10)
    assert found["A"].months_in_transition == 20
    assert found["A"].subsidy_owed == Decimal("30000.00")
    # C's first month began 20 Dec 2025: 60 days end 18 Feb 2026, not yet late.
    assert not found["C"].subsidy_late and found["C"].late_since is None
    assert LedgerRun.objects.count() == 2


@time_machine.travel(TODAY, tick=False)
def test_return_targets_count_keys_handed_over_by_each_year_end(ledger_project, leader):
    ledger.return_plan_set(
        actor=leader,
        project=ledger_project,
        department="区住建局",
        person="张主任",
        targets=[(2025, 30), (2026, 60), (2027, 100)],
    )
    progress = return_progress(ledger_project)
    # Overdue now or returned late: A, B, E, F and D (G returned on time; C not yet due).
    assert (progress.overdue_ever, progress.returned) == (5, 1)
    rows = [(t.year, t.needed, t.achieved, t.status) for t in progress.targets]
    assert rows == [
        (2025, 2, 1, "missed"),  # 30% of 5 is 1.5: 2 households; only D by 31 Dec 2025
        (2026, 3, 1, "open"),
        (2027, 5, 1, "open"),
    ]


def test_targets_must_not_fall_year_after_year(ledger_project, leader):
    from resettlement.errors import RuleViolation

    with pytest.raises(RuleViolation) as refused:
        ledger.return_plan_set(
            actor=leader,
            project=ledger_project,
            department="区住建局",
            person="张主任",
            targets=[(2025, 60), (2026, 30)],
        )
    assert "不能低于" in refused.value.message


@time_machine.travel(TODAY, tick=False)
def test_the_ledger_page_shows_the_last_run_and_the_overdue_households(
    client, leader, ledger_project
):
    client.force_login(leader)
    page = client.get("/staff/oversight/ledger/", {"project": "LED"}).content.decode()
    assert "台账尚未生成" in page
    refresh_overdue_ledger.delay()
    page = client.get("/staff/oversight/ledger/", {"project": "LED"}).content.decode()
    assert "2026-01-10 17:00" in page  # the run's time, in Asia/Shanghai
    for code in "ABEF":
        assert f'data-household="{code}"' in page
    assert 'data-household="C"' not in page  # not overdue
    assert 'data-owed="28500.00"' in page
    everyone = client.get("/staff/oversight/ledger/", {"project": "LED", "show": "all"})
    assert 'data-household="C"' in everyone.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_the_ledger_reads_in_a_fixed_number_of_queries(
    ledger_project, leader, django_assert_num_queries
):
    from oversight.selectors.ledger import ledger_entries, ledger_totals

    ledger.return_plan_set(
        actor=leader, project=ledger_project, department="区住建局", person="张主任"
    )
    ledger.ledger_refresh()
    with django_assert_num_queries(5):  # rows, totals, plan, targets, target counts
        rows = list(ledger_entries(ledger_project, overdue_only=False))
        for row in rows:
            assert row.household.group.name and row.household.community.name
        ledger_totals(ledger_project)
        return_progress(ledger_project)
    assert len(rows) == 5


def more_in_transition(actor, count: int) -> None:
    """`count` more overdue households in A's group, each with its own moving-out day."""
    group = Household.objects.get(code="A").group
    for i in range(count):
        h = household(group, f"M{i:03d}", actor)
        moved_out(h, actor, dt.date(2024, 1, 1) + dt.timedelta(days=i), dt.date(2025, 1, 1))


@time_machine.travel(TODAY, tick=False)
def test_the_refresh_and_the_ledger_page_cost_the_same_for_more_households(
    client, ledger_project, leader, clerk
):
    ledger.return_plan_set(
        actor=leader, project=ledger_project, department="区住建局", person="张主任"
    )
    client.force_login(leader)
    costs = []
    for extra in (0, 40):
        more_in_transition(clerk, extra)
        ledger.ledger_refresh()  # creates the new rows
        with CaptureQueriesContext(connection) as refresh:
            ledger.ledger_refresh()  # the daily run: every row updated
        with CaptureQueriesContext(connection) as page:
            response = client.get("/staff/oversight/ledger/", {"project": "LED"})
        assert response.content.decode().count('data-household="M') == extra
        costs.append((len(refresh), len(page)))
    assert LedgerEntry.objects.count() == 45
    # The refresh: savepoint, transitions, price rules, transition policies, grace days,
    # months held by runs, settled subsidy lines, the existing rows (locked), the old months
    # deleted, one bulk update, the months written, the run, release — for 5 rows as for 45
    # (and their 100 or 1,000 months).
    assert [refresh for refresh, _page in costs] == [13, 13]
    assert costs[0][1] == costs[1][1]


def test_a_subsidy_paid_ahead_leaves_nothing_unpaid_shown_in_yuan():
    ahead = LedgerEntry(subsidy_owed=Decimal("1500.00"), subsidy_paid=Decimal("3000.00"))
    assert str(ahead.subsidy_unpaid) == "0.00"  # as the page prints it, not "0"
    assert LedgerEntry(subsidy_owed=None).subsidy_unpaid is None  # no price rules: "—"


@time_machine.travel(TODAY, tick=False)
def test_the_ledger_page_is_paged_and_its_totals_are_the_whole_projects(
    client, ledger_project, leader, clerk, django_assert_num_queries
):
    ledger.return_plan_set(
        actor=leader, project=ledger_project, department="区住建局", person="张主任"
    )
    client.force_login(leader)
    ledger.ledger_refresh()
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/oversight/ledger/", {"project": "LED"})
    more_in_transition(clerk, 60)
    ledger.ledger_refresh()
    with django_assert_num_queries(len(few)):  # the same, a page of 50 rows however many
        first = client.get("/staff/oversight/ledger/", {"project": "LED"}).content.decode()
    second = client.get("/staff/oversight/ledger/", {"project": "LED", "page": 2})
    second = second.content.decode()
    overdue = list(
        LedgerEntry.objects.filter(project=ledger_project, months_overdue__gt=0)
        .order_by("-months_overdue", "household__code")
        .values_list("household__code", flat=True)
    )
    assert len(overdue) == 64
    on_first = [c for c in overdue if f'data-household="{c}"' in first]
    on_second = [c for c in overdue if f'data-household="{c}"' in second]
    assert on_first == overdue[:50] and on_second == overdue[50:]
    assert "第 2 / 2 页" in second

    def totals(body: str) -> list[str]:
        return [line for line in body.splitlines() if "data-total=" in line]

    assert totals(first) == totals(second)
    assert '<dd data-total="overdue"><strong class="bad">64</strong>' in first
    # "show all" stays on while paging: every household in transition, 65 of them.
    everyone = client.get("/staff/oversight/ledger/", {"project": "LED", "show": "all", "page": 2})
    body = everyone.content.decode()
    assert body.count('data-household="') == 15
    assert "show=all" in body and "page=1" in body
