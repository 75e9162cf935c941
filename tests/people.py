"""People by role, for every test (a pytest plugin registered in tests/conftest.py).

One fixture per person, named by what they do: `clerk`, `other_clerk`, `reviewer`,
`leader`, `leader2`, `other_leader`, `notary`, `other_notary`, `operator`, `other_operator`,
`finance_wu`/`finance_zheng`/`finance_feng`/`finance_jiang`, `supervisor`, `office`,
`outsider`, `all_hats`, and `chain` (one person per step of the seven-step approval
chain). Anyone else a test needs: `make_user(username, *roles)`; `grant(user, *projects)`
for a project-scoped user.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from households.models import Project, ProjectAccess
from resettlement.roles import ensure_roles

PASSWORD = "correct horse battery staple"


def make_user(username: str, *roles: str, all_projects: bool = True, **extra):
    """A user with `roles`. By default a district-level user who sees every project
    (`households.access_all_projects`); `all_projects=False` makes one who sees only the
    projects granted to them (see `grant`)."""
    extra.setdefault("is_staff", bool(roles))  # staff may open the admin (review queue)
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    if all_projects:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="households", codename="access_all_projects"
            )
        )
    return user


def grant(user, *projects: Project) -> None:
    """Grant a project-scoped user access to `projects`."""
    for project in projects:
        ProjectAccess.objects.get_or_create(user=user, project=project)


@pytest.fixture
def roles(db):
    ensure_roles()


# The registry: clerks register, reviewers review members, leaders approve.


@pytest.fixture
def clerk(roles):
    return make_user("clerk_li", "clerk", first_name="李登记")


@pytest.fixture
def other_clerk(roles):
    return make_user("clerk_wang", "clerk", first_name="王登记")


@pytest.fixture
def reviewer(roles):
    return make_user("reviewer_zhao", "reviewer", first_name="赵审核")


@pytest.fixture
def leader(roles):
    return make_user("leader_chen", "leader", first_name="陈领导")


@pytest.fixture
def leader2(roles):
    return make_user("leader_yang", "leader", first_name="杨领导")


@pytest.fixture
def other_leader(roles):
    return make_user("leader_liu", "leader", first_name="刘领导")


@pytest.fixture
def all_hats(roles):
    """One person holding clerk, reviewer and leader roles at once."""
    return make_user("all_hats", "clerk", "reviewer", "leader")


@pytest.fixture
def office(roles):
    """The resettlement office's clerk recorded on rows built in bulk (oversight tests)."""
    return make_user("office_he", "clerk", first_name="何办公室")


# The lottery hall: operators draw, notaries witness.


@pytest.fixture
def operator(roles):
    return make_user("operator_zhou", "operator", first_name="周操作")


@pytest.fixture
def other_operator(roles):
    return make_user("operator_wu", "operator", first_name="吴操作")


@pytest.fixture
def notary(roles):
    return make_user("notary_sun", "notary")


@pytest.fixture
def other_notary(roles):
    return make_user("notary_qian", "notary")


# Money: finance officers, and the seven-step approval chain.


@pytest.fixture
def finance_wu(roles):
    return make_user("finance_wu", "finance", first_name="吴财务")


@pytest.fixture
def finance_zheng(roles):
    return make_user("finance_zheng", "finance", first_name="郑财务")


@pytest.fixture
def finance_feng(roles):
    return make_user("finance_feng", "finance", first_name="冯财务")


@pytest.fixture
def finance_jiang(roles):
    return make_user("finance_jiang", "finance", first_name="蒋财务")


@dataclass
class Chain:
    """One person per step of the default chain, in order."""

    reviewer: object
    leader: object
    director: object
    finance_leader: object
    company: object
    bank: object
    cashier: object

    @property
    def people(self) -> list:
        return [
            self.reviewer,
            self.leader,
            self.director,
            self.finance_leader,
            self.company,
            self.bank,
            self.cashier,
        ]


@pytest.fixture
def chain(roles) -> Chain:
    return Chain(
        reviewer=make_user("m_reviewer", "reviewer", first_name="赵审核"),
        leader=make_user("m_leader", "leader", first_name="陈分管"),
        director=make_user("m_director", "leader", first_name="钱主任"),
        finance_leader=make_user("m_finlead", "finance", first_name="孙财务领导"),
        company=make_user("m_company", "finance", first_name="周公司"),
        bank=make_user("m_bank", "finance", first_name="吴银行"),
        cashier=make_user("m_cashier", "finance", first_name="郑出纳"),
    )


# Oversight and everyone else.


@pytest.fixture
def supervisor(roles):
    return make_user("supervisor_han", "supervisor", first_name="韩纪检")


@pytest.fixture
def outsider(roles):
    return make_user("outsider", first_name="无角色")
