"""Registry test data.

- `ProjectFactory`, `CommunityFactory`, `VillagerGroupFactory`: factory_boy model factories
  (a plain row is right: no service makes these).
- `ApprovedHouseholdFactory`, `HeadFactory`: an approved household and its head as rows,
  for tests of what comes after the registry (allocation, lottery, settlement): the way
  there (registration, review, approval) has its own tests.
- `member_data`, `household_data`, `id_number`: the input a clerk types, for
  `households.services.registration.household_register` (a household is always registered
  through the service; see the `register` fixture in tests/conftest.py).
- `pass_all`, `approve`: review every pending member as passed, then (`approve`) a leader
  approves the household, through `households.services.review` (the one way tests take a
  registered household to approval; the fixtures of the same names wrap these). Both first
  `hand_in_documents`: the project's required documents (the approval gate) as rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from households import idnumbers
from households.models import (
    Community,
    Document,
    Household,
    HouseholdStatus,
    HukouNature,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from households.selectors.documents import document_checklist
from households.services import review

_sequence = itertools.count(1)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"南宫河社区安置项目{n}")
    hukou_cutoff_date = dt.date(2013, 6, 30)
    growth_deadline = dt.date(2013, 12, 31)
    area_per_person = Decimal("50.00")
    one_child_bonus_area = Decimal("20.00")
    single_person_bonus_area = Decimal("15.00")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"C{n:02d}")
    name = factory.Sequence(lambda n: f"南宫河{n}村")


class VillagerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VillagerGroup

    community = factory.SubFactory(CommunityFactory)
    project = factory.SelfAttribute("community.project")
    code = factory.Sequence(lambda n: f"G{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}村民小组")


class ApprovedHouseholdFactory(factory.django.DjangoModelFactory):
    """An approved household; pass `group` and `registered_by` (who also approved it)."""

    class Meta:
        model = Household

    group = factory.SubFactory(VillagerGroupFactory)
    project = factory.SelfAttribute("group.project")
    community = factory.SelfAttribute("group.community")
    code = factory.Sequence(lambda n: f"M{n + 1:04d}")
    address = "南宫河村"
    status = HouseholdStatus.APPROVED
    approved_by = factory.SelfAttribute("registered_by")
    approved_at = factory.LazyFunction(timezone.now)
    resettlement_population = 3
    entitlement_area = Decimal("150.00")


class HeadFactory(factory.django.DjangoModelFactory):
    """The head of `household`, a man born 1970-03-15 with an agricultural hukou."""

    class Meta:
        model = Member

    household = factory.SubFactory(ApprovedHouseholdFactory)
    project = factory.SelfAttribute("household.project")
    name = "王建国"
    sex = "M"
    birth_date = dt.date(1970, 3, 15)
    id_number = factory.LazyAttribute(lambda head: id_number(head.birth_date, head.sex))
    relation = Relation.HEAD
    hukou_nature = HukouNature.AGRICULTURAL
    entered_by = factory.SelfAttribute("household.registered_by")


OVERRIDE_REASON = "经调查核实,予以通过"


def hand_in_documents(household: Household) -> Household:
    """Every document the project's approval checklist asks of this household is on file
    (rows with a placeholder file: nothing in these tests reads the scan)."""
    for item in document_checklist(household):
        if item.required and not item.present:
            Document.objects.create(
                household=household,
                member_id=item.member_id,
                kind=item.kind,
                file=f"documents/test/{household.pk}-{item.kind}-{item.member_id}.pdf",
                original_name=f"{item.kind}.pdf",
                content_type="application/pdf",
                size=1024,
                sha256="0" * 64,
                uploaded_by=household.registered_by,
            )
    return household


def pass_all(household: Household, *, reviewer) -> Household:
    """The reviewer passes every pending member (with a written reason where passing goes
    against the computed verdict, as the service requires), the required documents handed in
    (`hand_in_documents`); `household` is refreshed."""
    hand_in_documents(household)
    for member in household.members.all():
        if member.review_status == ReviewStatus.PENDING:
            review.member_review(
                actor=reviewer,
                member=member,
                decision=ReviewStatus.PASSED,
                reason="" if member.verdict_qualified else OVERRIDE_REASON,
            )
    household.refresh_from_db()
    return household


def approve(household: Household, *, reviewer, leader) -> Household:
    """Pass every pending member, then the leader approves the household (the reviewer and
    leader are not the clerk who registered it, nor each other: four-eyes)."""
    pass_all(household, reviewer=reviewer)
    return review.household_approve(actor=leader, household=household)


def id_number(birth: dt.date, sex: str = "M", region: str = "330110") -> str:
    """A valid, unique-per-test-run resident ID number."""
    return idnumbers.make(region, birth, next(_sequence) % 500, sex)


def member_data(relation: str = "head", **overrides) -> dict:
    birth = overrides.pop("birth_date", dt.date(1970, 3, 15))
    sex = overrides.pop("sex", "M")
    data = {
        "name": "张三",
        "id_number": id_number(birth, sex),
        "sex": sex,
        "birth_date": birth,
        "relation": relation,
        "hukou_nature": "agricultural",
        "hukou_moved_in": None,
        "hukou_moved_out": None,
        "marital_status": "married",
        "special_status": "none",
        "one_child_certificate": False,
        "housing_welfare": "none",
    }
    data.update(overrides)
    return data


_household_codes = itertools.count(1)


def household_data(**overrides) -> dict:
    data = {
        "code": f"H{next(_household_codes):05d}",
        "address": "南宫河村3组12号",
        "phone": "13812345678",
        "agreement_number": "YH-2012-0001",
        "demolished_area": "180.50",
    }
    data.update(overrides)
    return data
