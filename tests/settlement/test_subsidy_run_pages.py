"""The transition policy page and the subsidy runs' pages: what finance, approvers and
leaders see and do (docs/settlement.md, "Transition-subsidy runs")."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from settlement.models import SubsidyLineStatus, SubsidyRun, SubsidyRunStatus, TransitionPolicy
from settlement.services import subsidy_runs as runs
from tests.reauth import recently_authenticated
from tests.settlement.test_subsidy_runs import Q1, Setup, approve_all, line_of, result_csv

# Pages pick the period from the schedule around today: Q1 2026 is among them in February.
TODAY = dt.datetime(2026, 2, 10, 4, 0, tzinfo=dt.UTC)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return recently_authenticated(client)


@pytest.fixture
def setup(leader, clerk, finance_wu):
    return Setup(leader, clerk, finance_wu)


def test_a_leader_sets_the_transition_policy_on_its_page(setup):
    url = f"/staff/settlement/projects/{setup.project.code}/transition-policy/"
    response = client_for(setup.leader).post(
        url,
        {
            "schedule": "monthly",
            "transition_months": "18",
            "overdue_multiplier": "1.50",
            "months_after_handover": "6",
            "cash_valuation_day": "promised_day",
        },
    )
    assert response.status_code == 302
    policy = TransitionPolicy.objects.get(project=setup.project)
    assert (policy.schedule, policy.transition_months, policy.months_after_handover) == (
        "monthly",
        18,
        6,
    )


def test_the_policy_page_shows_a_wrong_figure_on_its_field(setup):
    url = f"/staff/settlement/projects/{setup.project.code}/transition-policy/"
    response = client_for(setup.leader).post(
        url,
        {
            "schedule": "quarterly",
            "transition_months": "24",
            "overdue_multiplier": "0.50",
            "months_after_handover": "0",
            "cash_valuation_day": "switch_day",
        },
    )
    assert response.status_code == 200
    assert "超期过渡费倍数应在 1 到 10.00 之间" in response.content.decode()


def test_finance_computes_a_run_from_the_runs_page_and_sees_its_lines(setup):
    setup.household("H001")
    setup.household("H002", account=False)
    client = client_for(setup.finance)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(f"/staff/settlement/projects/{setup.project.code}/subsidy-runs/")
        assert "2026年第1季度" in page.content.decode()
        response = client.post(
            f"/staff/settlement/projects/{setup.project.code}/subsidy-runs/new/",
            {"period": "2026-01-01|2026-03-31"},
        )
    run = SubsidyRun.objects.get(project=setup.project)
    assert response.url == f"/staff/settlement/subsidy-runs/{run.pk}/"
    html = client.get(response.url).content.decode()
    assert 'id="line-H001"' in html
    assert "7,500.00" in html
    assert 'id="blocked-H002"' in html and "没有已复核的银行账户" in html


def test_account_numbers_are_masked_on_the_run_page_except_for_finance(setup, chain):
    setup.household("H001")
    run = setup.compute(Q1)
    url = f"/staff/settlement/subsidy-runs/{run.pk}/"
    assert "6228480402564890018" in client_for(setup.finance).get(url).content.decode()
    shown = client_for(chain.reviewer).get(url).content.decode()
    assert "6228480402564890018" not in shown
    assert "**** **** **** 0018" in shown


def test_the_approver_of_the_next_step_sees_the_button_and_approves(setup, chain):
    setup.household("H001")
    run = setup.compute(Q1)
    url = f"/staff/settlement/subsidy-runs/{run.pk}/"
    assert 'id="approve-form"' not in client_for(setup.finance).get(url).content.decode()
    client = client_for(chain.reviewer)
    assert 'id="approve-form"' in client.get(url).content.decode()
    client.post(f"{url}approve/", {"expected_position": "1"})
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.APPROVING


def test_the_batch_downloads_are_for_finance_only(setup, chain):
    setup.household("H001")
    run = approve_all(setup.compute(Q1), chain)
    client = client_for(setup.finance)
    client.post(f"/staff/settlement/subsidy-runs/{run.pk}/send/")
    csv_response = client.get(f"/staff/settlement/subsidy-runs/{run.pk}/batch.csv")
    assert csv_response.status_code == 200
    assert "6228480402564890018" in b"".join(csv_response.streaming_content).decode("utf-8-sig")
    xlsx = client.get(f"/staff/settlement/subsidy-runs/{run.pk}/batch.xlsx")
    assert xlsx.status_code == 200
    refused = client_for(chain.leader).get(f"/staff/settlement/subsidy-runs/{run.pk}/batch.csv")
    assert refused.status_code == 403


def test_a_result_file_with_problems_is_shown_row_by_row_and_nothing_is_imported(setup, chain):
    household = setup.household("H001")
    run = approve_all(setup.compute(Q1), chain)
    runs.subsidy_run_send(actor=setup.finance, run=run)
    line = line_of(run, household)
    data = result_csv([(line.reference, "1.00", False, "", "")])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(setup.finance).post(
        f"/staff/settlement/subsidy-runs/{run.pk}/result/",
        {"file": SimpleUploadedFile("回盘.csv", data, "text/csv")},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="problems"' in html and "第 2 行" in html and "失败原因" in html
    line.refresh_from_db()
    assert line.status == SubsidyLineStatus.PENDING


def test_the_household_page_lists_its_subsidy_months(setup, chain):
    household = setup.household("H001")
    run = setup.compute(Q1)
    html = (
        client_for(setup.finance)
        .get(f"/staff/settlement/households/{household.pk}/")
        .content.decode()
    )
    assert 'id="subsidy-months"' in html
    assert run.label in html and "2025-11 — 2026-03" in html
