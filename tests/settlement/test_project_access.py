"""Statements, groups' settlement and handover pages are seen only by users who may see the
project (households.access); anything else is a 404, as if it did not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.households.factories import ProjectFactory
from tests.people import grant, make_user
from tests.reauth import recently_authenticated
from tests.settlement.factories import statement_of


@pytest.fixture
def other_project(db):
    return ProjectFactory(code="OTHER", name="另一个项目")


@pytest.fixture
def finance_b(roles, other_project):
    """A finance officer (who also does the settlement team's paperwork) of another project."""
    user = make_user("finance_b", "finance", "clerk", all_projects=False)
    grant(user, other_project)
    return user


def test_finance_pages_of_another_project_are_not_found(client, finance_b, money):
    client.force_login(finance_b)
    recently_authenticated(client)  # the password step comes first; then "not found"
    statement = statement_of(money.owes)
    for url in (
        reverse("settlement:project-groups", args=[money.project.code]),
        reverse("settlement:group-detail", args=[money.group.pk]),
        reverse("settlement:statement-detail", args=[statement.pk]),
        reverse("settlement:statement-pdf", args=[statement.pk]),
    ):
        assert client.get(url).status_code == 404, url
    paying = client.post(
        reverse("settlement:payment-record", args=[statement.pk]),
        {"amount": "1.00", "idempotency_key": "k1", "reference": ""},
    )
    assert paying.status_code == 404
    assert not statement.payments.exists()


def test_finance_home_offers_only_granted_projects(client, finance_b, money, other_project):
    client.force_login(finance_b)
    response = client.get(reverse("settlement:finance-home"), follow=True)
    assert money.project.name not in response.content.decode()


def test_handover_and_defect_pages_of_another_project_are_not_found(client, finance_b, money):
    client.force_login(finance_b)
    assert (
        client.get(reverse("settlement:handover-detail", args=[money.owes.pk])).status_code == 404
    )
    assert client.get(reverse("settlement:defect-report", args=[money.owes.pk])).status_code == 404
    listing = client.get(reverse("settlement:handover-list"), {"project": money.project.code})
    assert list(listing.context["progress"]) == []


def test_api_lists_only_granted_statements(finance_b, money):
    api = APIClient()
    api.force_authenticate(finance_b)
    statement = statement_of(money.owes)
    assert api.get("/api/settlement/statements/").json()["results"] == []
    assert api.get(f"/api/settlement/statements/{statement.pk}/").status_code == 404
    groups = api.get("/api/settlement/groups/", {"project": money.project.pk})
    assert groups.status_code == 404
    assert api.get(f"/api/settlement/groups/{money.group.pk}/").status_code == 404


def test_admin_lists_only_granted_statements(client, finance_b, money):
    statement_of(money.owes)
    client.force_login(finance_b)
    response = client.get(reverse("admin:settlement_statement_changelist"))
    assert list(response.context["cl"].queryset) == []


def test_once_granted_the_statement_opens(client, finance_b, money):
    statement = statement_of(money.owes)
    grant(finance_b, money.project)
    client.force_login(finance_b)
    url = reverse("settlement:statement-detail", args=[statement.pk])
    assert client.get(url).status_code == 200


def test_household_inputs_and_send_back_of_another_project_are_not_found(client, finance_b, money):
    client.force_login(finance_b)
    household = money.owes
    assert (
        client.get(reverse("settlement:household-settlement", args=[household.pk])).status_code
        == 404
    )
    computing = client.post(reverse("settlement:statement-compute", args=[household.pk]))
    assert computing.status_code == 404
    statement = statement_of(household)
    sending_back = client.post(
        reverse("settlement:statement-send-back", args=[statement.pk]), {"reason": "试探"}
    )
    assert sending_back.status_code == 404
    assert not statement.send_backs.exists()
