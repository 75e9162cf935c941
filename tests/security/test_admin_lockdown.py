"""The admin is a configuration tool (issue 11, findings 1 and 2).

1. django-simple-history's version page saved whatever was posted back to it, with mere
   view permission: a finance officer approved a household with 999 m², a notary gave a
   member the ID number "123", past every service, rule and audit entry.
2. The history pages were not scoped: a clerk of one project read another project's members,
   versions included, and deleted rows through the "latest version" fallback.

Now every history page is scoped like the change page (404 outside it) and only to read, the
operational records are read-only for everyone, and the sweep at the end posts every admin
form of every model as every role and finds the tables and the audit chain unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from households.models import Community, Household, Member, Project, VillagerGroup
from households.services import members, registration
from resettlement.admin_readonly import ReadOnlyMixin
from resettlement.admin_services import ServiceAdmin
from resettlement.audit import audit_head
from resettlement.models import AuditEntry
from resettlement.roles import ROLES, ensure_roles
from settlement.models import StatementCorrection
from tests.demo.seeding import demo_settings
from tests.households.factories import VillagerGroupFactory, member_data
from tests.people import grant, make_user

OUR_APPS = ("households", "allocation", "lottery", "settlement", "publicity", "oversight")
APPS = (*OUR_APPS, "resettlement")
ROLE_CODES = tuple(role.code for role in ROLES)
VERSION_POST = re.compile(r"^POST .*/history/\d+/$")

# -- helpers ------------------------------------------------------------------------------


def history_manager(model: type[models.Model]):
    """The model's django-simple-history manager (all the project's are called `history`)."""
    return getattr(model, "history", None)


def url(model: type[models.Model], view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def version_url(obj: models.Model, version) -> str:
    return url(type(obj), "simple_history", obj.pk, version.pk)


def posted(obj: models.Model, **overrides) -> dict:
    """`obj` as its admin form would post it (every editable field), with `overrides`."""
    data = {}
    for name, value in {**model_to_dict(obj), **overrides}.items():
        if isinstance(value, FieldFile) or value is False:
            continue  # files are not re-sent; an unticked box is absent
        if value is True:
            data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(value, dt.datetime):  # the admin splits date and time
            data[f"{name}_0"], data[f"{name}_1"] = value.date().isoformat(), value.time()
        elif isinstance(value, dict | list) and not all(isinstance(v, models.Model) for v in value):
            data[name] = json.dumps(value)
        elif isinstance(value, list):
            data[name] = [v.pk for v in value]
        else:
            data[name] = str(value)
    return data


def table(model: type[models.Model]) -> list[dict]:
    return list(model._base_manager.order_by("pk").values())


def snapshot(*models_: type[models.Model]) -> dict:
    """Every value of every row of `models_`, and the audit chain's length and head."""
    return {
        "rows": {m._meta.label: table(m) for m in models_},
        "audit": (AuditEntry.objects.count(), audit_head()),
    }


def every_table() -> list[type[models.Model]]:
    """The apps' tables (history tables included) and the admin's own log."""
    tables = [m for label in APPS for m in apps.get_app_config(label).get_models()]
    return [*tables, LogEntry]


def registered() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    return [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in APPS]


def latest(obj: models.Model):
    return history_manager(type(obj)).filter(id=obj.pk).latest("history_date")


# -- finding 1: a version page saved what was posted ----------------------------------------


@pytest.fixture
def household(register):
    return register()


def test_finance_posting_a_household_version_approves_nothing(client, roles, household):
    """The attack of the report: post the version form back as finance with the approval
    and a 999 m² entitlement filled in."""
    finance = make_user("finance_qian", "finance")
    client.force_login(finance)
    version = latest(household)
    before = snapshot(Household, Household.history.model, Member)

    response = client.post(
        version_url(household, version),
        posted(
            household,
            status="approved",
            resettlement_population=9,
            entitlement_area="999.00",
            approved_by=finance.pk,
            approved_at=dt.datetime(2026, 1, 5, 9, 30),
        ),
    )

    household.refresh_from_db()
    assert household.status == "registered" and household.entitlement_area is None
    assert snapshot(Household, Household.history.model, Member) == before
    assert response.status_code == 405


@pytest.mark.parametrize("role", ["notary", "clerk", "reviewer", "leader", "supervisor"])
def test_no_role_changes_a_member_by_posting_its_version(client, roles, household, role):
    """A notary "passed" a member with ID number 123 this way."""
    member = household.members.get()
    client.force_login(make_user(f"{role}_x", role))
    before = snapshot(Member, Member.history.model, Household)

    response = client.post(
        version_url(member, latest(member)),
        posted(member, id_number="123", review_status="passed", reviewed_by=member.entered_by_id),
    )

    assert Member.objects.get(pk=member.pk).id_number == member.id_number
    assert snapshot(Member, Member.history.model, Household) == before
    assert response.status_code == 405


def test_a_superuser_cannot_revert_through_a_version_either(client, roles, household, clerk):
    registration.household_update(actor=clerk, household=household, data={"address": "新地址"})
    first = household.history.earliest("history_date")
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    before = snapshot(Household, Household.history.model)

    answers = [
        client.post(version_url(household, first), {**posted(first.instance), **extra})
        for extra in ({"_save": "Revert"}, {"_change_history": "1"})
    ]

    assert Household.objects.get(pk=household.pk).address == "新地址"
    assert snapshot(Household, Household.history.model) == before
    assert [answer.status_code for answer in answers] == [405, 405]


def test_a_version_page_shows_values_as_text_with_no_form_and_no_revert(client, roles, household):
    """No drop-down listing users, communities or groups, no button, nothing to post."""
    VillagerGroupFactory(name="别的项目的小组")  # would be listed by a drop-down
    client.force_login(make_user("reviewer_y", "reviewer"))

    page = client.get(version_url(household, latest(household)))

    assert page.status_code == 200
    html = page.content.decode()
    assert household.code in html and household.address in html
    assert "<select" not in html and "<form" not in html.split('id="content-main"')[1]
    assert "Revert" not in html and "别的项目的小组" not in html


@pytest.mark.parametrize("model", [Household, Member, Community, VillagerGroup, Project])
def test_every_kept_history_has_read_only_version_pages(client, roles, household, model):
    obj = {
        Household: household,
        Member: household.members.first(),
        Community: household.community,
        VillagerGroup: household.group,
        Project: household.project,
    }[model]
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    version = history_manager(model).filter(id=obj.pk).first()
    if version is None:  # factories save without history for some models: make one version
        obj.save()
        version = history_manager(model).get(id=obj.pk)
    before = snapshot(model, history_manager(model).model)

    assert client.get(version_url(obj, version)).status_code == 200
    response = client.post(version_url(obj, version), posted(obj, name="篡改"))
    assert snapshot(model, history_manager(model).model) == before
    assert response.status_code == 405


# -- finding 2: history pages leaked other projects ---------------------------------------


@pytest.fixture
def group_a(db):
    return VillagerGroupFactory(community__project__code="PA", community__project__name="甲项目")


@pytest.fixture
def group_b(db):
    return VillagerGroupFactory(community__project__code="PB", community__project__name="乙项目")


@pytest.fixture
def clerk_a(roles, group_a):
    """A clerk of project A only, like the demo's clerk2011."""
    user = make_user("clerk_a", "clerk", all_projects=False)
    grant(user, group_a.project)
    return user


@pytest.fixture
def member_b(register_in, group_b):
    return register_in(
        group_b, members=[member_data(), member_data("spouse", name="李四", sex="F")]
    ).members.get(relation="spouse")


def test_a_clerk_of_one_project_gets_404_on_another_projects_member_history(
    client, clerk_a, member_b
):
    client.force_login(clerk_a)
    version = latest(member_b)

    assert client.get(url(Member, "history", member_b.pk)).status_code == 404
    page = client.get(version_url(member_b, version))
    assert page.status_code == 404
    assert member_b.id_number not in page.content.decode()


def test_nor_on_the_history_of_another_projects_household_group_or_project(
    client, clerk_a, member_b
):
    client.force_login(clerk_a)
    household = member_b.household
    for obj in (household, household.group, household.community, household.project):
        model = type(obj)
        assert client.get(url(model, "history", obj.pk)).status_code == 404, model
        version = history_manager(model).filter(id=obj.pk).first()
        if version is not None:
            assert client.get(version_url(obj, version)).status_code == 404, model


def test_a_deleted_member_of_another_project_stays_not_found(client, clerk, clerk_a, member_b):
    """The history list used to fall back to the deleted row's last version, unscoped."""
    version, pk = latest(member_b), member_b.pk
    members.member_remove(actor=clerk, member=member_b)
    client.force_login(clerk_a)

    assert client.get(url(Member, "history", pk)).status_code == 404
    assert client.get(url(Member, "simple_history", pk, version.pk)).status_code == 404


def test_a_deleted_member_of_ones_own_project_keeps_its_history(
    client, clerk, clerk_a, register_in, group_a
):
    household = register_in(group_a, members=[member_data(), member_data("child", name="王五")])
    child = household.members.get(relation="child")
    version, pk = latest(child), child.pk
    members.member_remove(actor=clerk, member=child)
    client.force_login(clerk_a)

    listing = client.get(url(Member, "history", pk))

    assert listing.status_code == 200 and "王五" in listing.content.decode()
    assert client.get(url(Member, "simple_history", pk, version.pk)).status_code == 200


def test_a_clerk_reads_the_history_of_its_own_projects_members(
    client, clerk_a, register_in, group_a
):
    member = register_in(group_a).members.get()
    client.force_login(clerk_a)

    assert client.get(url(Member, "history", member.pk)).status_code == 200
    page = client.get(version_url(member, latest(member)))
    assert page.status_code == 200 and member.id_number in page.content.decode()


def test_a_version_of_one_member_is_not_found_under_another(
    client, clerk_a, member_b, register_in, group_a
):
    """The version id alone must not pick the row: it must be a version of the object the
    address names (which is one the user may see)."""
    own = register_in(group_a).members.get()
    client.force_login(clerk_a)

    response = client.get(url(Member, "simple_history", own.pk, latest(member_b).pk))

    assert response.status_code == 404
    assert member_b.id_number not in response.content.decode()


# -- every admin, by construction ---------------------------------------------------------

CONFIGURATION = {
    "households.Project",
    "households.Community",
    "households.VillagerGroup",
    "allocation.Estate",
    "allocation.ApartmentType",
    "allocation.AllocationPolicy",
    "settlement.PriceRules",
    "publicity.PublicityPeriod",
    "oversight.WorkingTeam",
    "oversight.HouseholdAssignment",
    "oversight.ReturnPlan",
}


def test_every_admin_is_read_only_or_saves_through_a_service_and_scopes_its_history():
    from resettlement.admin_history import ScopedHistoryMixin

    seen = set()
    for model, model_admin in registered():
        label = model._meta.label
        seen.add(label)
        assert isinstance(model_admin, ScopedHistoryMixin), label
        if label in CONFIGURATION:
            assert isinstance(model_admin, ServiceAdmin), label
        else:
            assert isinstance(model_admin, ReadOnlyMixin), label
    assert seen >= CONFIGURATION
    assert "delete_selected" not in dict(admin.site.actions)


def test_review_and_approval_are_no_longer_admin_actions():
    """Members are reviewed and households approved on the staff pages (/staff/review/,
    /staff/approval/), with evidence, 审批意见 and a confirmation naming the count."""
    from households.models import Household, Member

    for model in (Household, Member):
        assert not admin.site._registry[model].actions, model._meta.label


# -- the sweep: every admin form of every model, as every role ------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo programme (a few households through every stage, by the demo users of every
    role), seeded once for the module inside a transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("lockdown-media")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_roles()
            with override_settings(**demo_settings(media)):
                call_command("seed_demo", "--households", "20", "--seed", "7", stdout=io.StringIO())
            yield media
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def tampered(obj: models.Model) -> dict:
    """`obj`'s form data with every plain value changed: text, numbers, choices, dates."""
    changes = {}
    for field in obj._meta.concrete_fields:
        if not field.editable or field.primary_key or field.is_relation:
            continue
        value = getattr(obj, field.attname)
        if field.choices:
            others = [c for c, _label in field.flatchoices if c != value]
            if others:
                changes[field.name] = others[0]
        elif isinstance(field, models.CharField | models.TextField):
            changes[field.name] = "篡改"
        elif isinstance(field, models.BooleanField):
            changes[field.name] = not value
        elif isinstance(field, models.DecimalField | models.IntegerField) and value is not None:
            changes[field.name] = value + 7 if isinstance(value, int) else value + Decimal(7)
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            changes[field.name] = dt.date(2001, 2, 3)
    return posted(obj, **changes)


def attempts(client: Client, model, model_admin, obj) -> list[tuple[str, int]]:
    """Every way the admin could write `obj` (or its table), GET and POST; the answers."""
    answers = []

    def hit(method: str, path: str, data: dict | None = None) -> None:
        response = getattr(client, method)(path, data or {})
        answers.append((f"{method.upper()} {path}", response.status_code))

    changelist = url(model, "changelist")
    hit("post", changelist, {"action": "delete_selected", "_selected_action": [obj.pk]})
    hit(
        "post",
        changelist,
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    hit("get", url(model, "delete", obj.pk))
    hit("post", url(model, "delete", obj.pk), {"post": "yes"})
    hit("get", url(model, "history", obj.pk))
    hit("post", url(model, "history", obj.pk), tampered(obj))
    if isinstance(model_admin, ReadOnlyMixin):  # configuration saves through its service
        hit("get", url(model, "change", obj.pk))
        hit("post", url(model, "change", obj.pk), tampered(obj))
        hit("post", url(model, "add"), tampered(obj))
    history = history_manager(model)
    if history is not None:
        versions = list(history.filter(id=obj.pk).order_by("history_date"))
        for version in {versions[0], versions[len(versions) // 2], versions[-1]}:
            hit("get", version_url(obj, version))
            for extra in ({}, {"_save": "Revert"}, {"_change_history": "1"}):
                hit("post", version_url(obj, version), {**tampered(obj), **extra})
    return answers


def history_table(model: type[models.Model]) -> list[type[models.Model]]:
    history = history_manager(model)
    return [history.model] if history is not None else []


def test_no_admin_form_of_any_model_changes_anything_for_any_role(demo, db):
    """The "done when" of issue 11: as each role (the demo's users, clerk2011 scoped to the
    earlier project, and a superuser), for every admin: bulk delete, delete, the history list,
    every version page (plain, "Revert", "Change history") and, for operational records, the
    change and add forms, each fetched and posted with every value changed."""
    users = list(
        get_user_model()
        .objects.filter(username__in=[*ROLE_CODES, "clerk2011", "admin"])
        .order_by("username")
    )
    assert len(users) == len(ROLE_CODES) + 2
    everything = snapshot(*every_table())
    tried, swept = 0, []
    for model, model_admin in registered():
        obj = model._base_manager.order_by("pk").first()
        if obj is None:
            continue
        swept.append(model._meta.label)
        before = snapshot(model, *history_table(model))
        for user in users:
            client = Client()
            client.force_login(user)
            for attempt, status in attempts(client, model, model_admin, obj):
                tried += 1
                assert status < 500, (user.username, attempt, status)
                if VERSION_POST.match(attempt):
                    assert status in (404, 405), (user.username, attempt, status)
        assert snapshot(model, *history_table(model)) == before, model._meta.label
    assert snapshot(*every_table()) == everything
    # The demo fills every table but one (no statement is sent back in it) — and, at this
    # size, the correction after settlement only when the lottery (its secret is random) left
    # the settled group a household that is paid out.
    unfilled = {"settlement.StatementSendBack"}
    if not StatementCorrection.objects.exists():
        unfilled.add("settlement.StatementCorrection")
    assert {m._meta.label for m, _a in registered()} - set(swept) <= unfilled
    assert tried > 2000, tried
