"""The transition-subsidy runs' API: policy, compute, approve, batch, result, lines."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from settlement.models import SubsidyRun, SubsidyRunStatus, TransitionPolicy
from tests.reauth import recently_authenticated
from tests.settlement.test_subsidy_runs import Q1, Setup, approve_all, line_of, result_csv


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return recently_authenticated(client)


@pytest.fixture
def setup(leader, clerk, finance_wu):
    return Setup(leader, clerk, finance_wu)


def test_a_leader_sets_the_policy_through_the_api(setup):
    response = client_for(setup.leader).post(
        "/api/settlement/transition-policies/",
        {
            "project": setup.project.pk,
            "schedule": "half_yearly",
            "transition_months": 30,
            "overdue_multiplier": "1.50",
            "months_after_handover": 6,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert TransitionPolicy.objects.get(project=setup.project).schedule == "half_yearly"
    body = client_for(setup.finance).get("/api/settlement/transition-policies/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [(row["project_code"], row["transition_months"]) for row in rows] == [
        (setup.project.code, 30)
    ]


def test_finance_computes_a_run_and_the_lines_are_filtered_by_status(setup):
    setup.household("H001")
    setup.household("H002", account=False)
    client = client_for(setup.finance)
    response = client.post(
        "/api/settlement/subsidy-runs/",
        {"project": setup.project.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    run_id = response.json()["id"]
    assert response.json()["next_step"]["code"] == "agreement_review"
    blocked = client.get("/api/settlement/subsidy-lines/", {"run": run_id, "status": "blocked"})
    body = blocked.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["household_code"] for row in rows] == ["H002"]


def test_a_wrong_period_is_refused_with_the_field_named(setup):
    response = client_for(setup.finance).post(
        "/api/settlement/subsidy-runs/",
        {"project": setup.project.pk, "period_start": "2026-02-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period_start"


def test_the_chain_approves_and_finance_sends_and_imports_the_result(setup, chain):
    household = setup.household("H001")
    run = setup.compute(Q1)
    refused = client_for(setup.finance).post(
        f"/api/settlement/subsidy-runs/{run.pk}/approve/", {"expected_position": 1}, format="json"
    )
    assert refused.status_code == 403
    response = client_for(chain.reviewer).post(
        f"/api/settlement/subsidy-runs/{run.pk}/approve/", {"expected_position": 1}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approving"
    approve_all(run, chain)
    finance = client_for(setup.finance)
    sent = finance.post(f"/api/settlement/subsidy-runs/{run.pk}/send/")
    assert sent.json()["status"] == "sent"
    line = line_of(run, household)
    data = result_csv([(line.reference, f"{line.amount:.2f}", True, "", "SERIAL1")])
    imported = finance.post(
        f"/api/settlement/subsidy-runs/{run.pk}/result/",
        {"file": SimpleUploadedFile("回盘.csv", data, "text/csv")},
        format="multipart",
    )
    assert imported.status_code == 200, imported.json()
    assert imported.json() == {"paid": 1, "failed": 0, "waiting": 0}
    assert SubsidyRun.objects.get(pk=run.pk).status == SubsidyRunStatus.CLOSED


def test_the_api_masks_account_numbers_except_for_finance(setup, chain):
    setup.household("H001")
    run = setup.compute(Q1)
    body = client_for(chain.leader).get("/api/settlement/subsidy-lines/", {"run": run.pk}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows[0]["account_number"] == "**** **** **** 0018"
    body = client_for(setup.finance).get("/api/settlement/subsidy-lines/", {"run": run.pk}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows[0]["account_number"] == "6228480402564890018"
