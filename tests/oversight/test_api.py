"""The oversight API (/api/oversight/) gives the figures the ledger pages and the dashboard
show — the same selectors, for a project with a paid run and a failed bank row — with the
head's name masked for a role without full personal data, refused without the permission
(403) or the project (404), at the same query cost for 2 households as for 20."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from households.models import Household
from households.selectors.registration import head
from oversight.models import LedgerEntry
from oversight.selectors.dashboard import project_progress
from oversight.selectors.ledger import household_ledger, ledger_periods, ledger_totals
from oversight.services import ledger
from resettlement.masking import Mask, mask
from tests.oversight import test_ledger_payments as payments
from tests.people import make_user
from tickets.selectors.figures import ticket_figures

pytestmark = pytest.mark.django_db

# The fixtures of the ledger's own tests: a project with a paid run and a failed bank row.
setup = payments.setup
paid_across_runs = payments.paid_across_runs
project_of = payments.project_of

# 30 Jun 2026, 09:00 in Beijing: the day the ledger is refreshed and the months computed.
ON_JUNE_30 = time_machine.travel(dt.datetime(2026, 6, 30, 1, 0, tzinfo=dt.UTC), tick=False)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def cents(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def head_of(household) -> str:
    return Household.objects.annotate(name=head()).get(pk=household.pk).name


def user_with(username: str, *perms: str, **options):
    user = make_user(username, **options)
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def refreshed(paid_across_runs):
    """The ledger refreshed on 30 Jun: H001's April–June unpaid (run 2's row failed)."""
    with ON_JUNE_30:
        ledger.ledger_refresh()
        yield paid_across_runs


def test_the_ledger_lists_each_households_figures_as_the_ledger_page(refreshed, leader):
    setup, h1, h2, _runs = refreshed
    response = api(leader).get("/api/oversight/ledger/", {"project": setup.project.pk})
    assert response.status_code == 200
    rows = {row["household_code"]: row for row in response.json()["results"]}
    assert list(rows) == ["H001", "H002"]  # most overdue first, as the page
    for entry in LedgerEntry.objects.filter(project=setup.project):
        row = rows[entry.household.code]
        assert row["household"] == entry.household_id
        assert row["head_name"] == head_of(entry.household)  # a leader sees names in full
        assert (row["moved_out_on"], row["promised_by"]) == (
            entry.moved_out_on.isoformat(),
            entry.promised_by and entry.promised_by.isoformat(),
        )
        assert (row["months_in_transition"], row["months_overdue"]) == (
            entry.months_in_transition,
            entry.months_overdue,
        )
        assert (row["subsidy_owed"], row["subsidy_paid"], row["subsidy_arrears"]) == (
            cents(entry.subsidy_owed),
            cents(entry.subsidy_paid),
            cents(entry.subsidy_arrears),
        )
        assert (row["paid_late_months"], row["days_late_max"], row["days_late_total"]) == (
            entry.paid_late_months,
            entry.days_late_max,
            entry.days_late_total,
        )
        assert row["as_of"] == "2026-06-30"
    # Worked in tests/oversight/test_ledger_payments.py: H001 owed 12,000.00, paid 6,000.00.
    assert (rows["H001"]["subsidy_owed"], rows["H001"]["subsidy_arrears"]) == (
        "12000.00",
        "6000.00",
    )
    assert (rows["H001"]["days_late_max"], rows["H001"]["days_late_total"]) == (41, 78)
    assert rows["H002"]["subsidy_arrears"] == "0.00"


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"overdue": "true"}, ["H001"]),
        ({"overdue": "false"}, ["H002"]),
        ({"in_arrears": "true"}, ["H001"]),
        ({"paid_late": "true"}, ["H001"]),
        ({"paid_late": "false", "in_arrears": "false"}, ["H002"]),
    ],
)
def test_the_ledger_is_filtered_by_overdue_arrears_and_late_payment(
    refreshed, leader, query, codes
):
    setup, *_rest = refreshed
    response = api(leader).get("/api/oversight/ledger/", {"project": setup.project.pk, **query})
    assert [row["household_code"] for row in response.json()["results"]] == codes


def test_a_households_months_are_those_of_its_ledger_page(refreshed, leader):
    _setup, h1, _h2, (run1, _run2) = refreshed
    response = api(leader).get(f"/api/oversight/ledger/{h1.pk}/months/")
    assert response.status_code == 200
    body = response.json()
    detail = household_ledger(h1.pk)
    assert (body["household_code"], body["today"], body["grace_days"]) == ("H001", "2026-06-30", 30)
    assert [m["month"] for m in body["months"]] == [
        r.month.month.isoformat() for r in detail.months
    ]
    for row, month in zip(body["months"], detail.months, strict=True):
        m = month.month
        assert (row["owed"], row["paid"], row["status"], row["source"], row["days_late"]) == (
            cents(m.owed),
            cents(m.paid),
            m.status,
            m.source,
            m.days_late,
        )
        assert row["paid_on"] == (m.paid_on and m.paid_on.isoformat())
        assert (row["run"] or {}).get("id") == (month.run and month.run.pk)
    months = {row["month"][:7]: row for row in body["months"]}
    # November: paid by run 1 on 15 Jan, 26 days late; April: run 2's row failed, unpaid.
    november = months["2025-11"]
    assert (november["paid_on"], november["days_late"], november["run"]["number"]) == (
        "2026-01-15",
        26,
        run1.number,
    )
    assert (months["2026-04"]["status"], months["2026-04"]["days_late"]) == ("unpaid", 41)
    assert months["2026-04"]["run"] is None and months["2026-04"]["owed"] == "2000.00"
    assert body["figures"]["subsidy_arrears"] == "6000.00"


def test_the_periods_and_totals_are_those_of_the_ledger_page(refreshed, leader):
    setup, _h1, _h2, (run1, run2) = refreshed
    response = api(leader).get("/api/oversight/ledger/periods/", {"project": setup.project.pk})
    assert response.status_code == 200
    body = response.json()
    totals = ledger_totals(setup.project)
    assert (body["totals"]["owed_all"], body["totals"]["paid_all"]) == ("15000.00", "9000.00")
    assert body["totals"]["arrears_all"] == cents(totals.arrears_all) == "6000.00"
    assert (body["totals"]["in_arrears"], body["totals"]["paid_late"]) == (1, 1)
    assert body["totals"]["as_of"] == "2026-06-30"
    expected = [
        (p.label, p.households, cents(p.owed), cents(p.paid), cents(p.arrears), p.in_arrears)
        + (p.paid_late, [r.pk for r in p.runs])
        for p in ledger_periods(setup.project)
    ]
    got = [
        (p["label"], p["households"], p["owed"], p["paid"], p["arrears"], p["in_arrears"])
        + (p["paid_late"], [r["id"] for r in p["runs"]])
        for p in body["periods"]
    ]
    assert got == expected
    assert got[0] == ("2026年第2季度", 2, "7500.00", "1500.00", "6000.00", 1, 0, [run2.pk])


def test_the_dashboard_gives_the_progress_subsidy_and_ticket_figures(refreshed, leader):
    setup, *_rest = refreshed
    response = api(leader).get("/api/oversight/dashboard/", {"project": setup.project.pk})
    assert response.status_code == 200
    body = response.json()
    progress = project_progress(setup.project).totals
    assert body["progress"]["totals"]["registered"] == progress.registered == 2
    assert body["progress"]["totals"]["signed"] == progress.signed
    assert [g["code"] for g in body["progress"]["groups"]] == ["G1"]
    subsidy = ledger_totals(setup.project)
    assert (body["subsidy"]["households"], body["subsidy"]["late"]) == (2, subsidy.late)
    assert (body["subsidy"]["owed_all"], body["subsidy"]["arrears_all"]) == (
        "15000.00",
        "6000.00",
    )
    figures = ticket_figures(setup.project)
    assert body["tickets"]["tickets_issued"] == figures.tickets_issued == 0
    assert body["tickets"]["balance_total"] == "0.00"


def test_a_role_without_full_personal_data_sees_the_head_masked(refreshed):
    setup, h1, _h2, _runs = refreshed
    reader = user_with("ledger_reader", "oversight.view_ledger")
    full = head_of(h1)
    rows = api(reader).get("/api/oversight/ledger/", {"project": setup.project.pk}).json()
    assert rows["results"][0]["head_name"] == mask(full, Mask.NAME) != full
    months = api(reader).get(f"/api/oversight/ledger/{h1.pk}/months/").json()
    assert months["head_name"] == months["entry"]["head_name"] == mask(full, Mask.NAME)


def test_without_the_permission_or_the_project_each_endpoint_refuses(refreshed, clerk):
    setup, h1, _h2, _runs = refreshed
    query = {"project": setup.project.pk}
    urls = [
        ("/api/oversight/ledger/", query),
        (f"/api/oversight/ledger/{h1.pk}/months/", {}),
        ("/api/oversight/ledger/periods/", query),
        ("/api/oversight/dashboard/", query),
    ]
    # The clerk has neither the ledger nor the dashboard.
    for url, params in urls:
        assert api(clerk).get(url, params).status_code == 403, url
    # A leader of another project: the project is "not found", like one that does not exist.
    elsewhere = make_user("leader_elsewhere", "leader", all_projects=False)
    for url, params in urls:
        response = api(elsewhere).get(url, params)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url


def test_the_project_is_required(refreshed, leader):
    for url in ("/api/oversight/ledger/", "/api/oversight/ledger/periods/"):
        response = api(leader).get(url)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        assert [e["field"] for e in response.json()["errors"]] == ["project"]
    response = api(leader).get("/api/oversight/dashboard/", {"project": "x"})
    assert response.status_code == 400
    refused = api(leader).get(
        "/api/oversight/ledger/", {"project": refreshed[0].project.pk, "overdue": "maybe"}
    )
    assert [e["field"] for e in refused.json()["errors"]] == ["overdue"]


def test_a_household_not_in_the_ledger_is_not_found(refreshed, leader):
    setup, *_rest = refreshed
    absent = setup.household("H009", persons=1, account=False)
    assert api(leader).get(f"/api/oversight/ledger/{absent.pk}/months/").status_code == 404
    assert api(leader).get("/api/oversight/ledger/abc/months/").status_code == 404


def test_each_endpoint_costs_the_same_for_2_and_for_20_households(leader, clerk, finance_wu, chain):
    client = api(leader)
    costs = []
    for count in (2, 20):
        setup = project_of(leader, clerk, finance_wu, chain, count)
        with time_machine.travel(dt.datetime(2026, 3, 25, 1, 0, tzinfo=dt.UTC), tick=False):
            ledger.ledger_refresh(project=setup.project)
            first = LedgerEntry.objects.filter(project=setup.project).first()
            query = {"project": setup.project.pk}
            counts = []
            for url, params in (
                ("/api/oversight/ledger/", query),
                (f"/api/oversight/ledger/{first.household_id}/months/", {}),
                ("/api/oversight/ledger/periods/", query),
                ("/api/oversight/dashboard/", query),
            ):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url, params)
                assert response.status_code == 200
                counts.append(len(queries))
        if count == 20:
            assert response.json()["subsidy"]["households"] == 20
        costs.append(counts)
    assert costs[0] == costs[1]
