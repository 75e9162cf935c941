"""Factories and helpers that build registry data through the same services users call."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from households import idnumbers
from households.models import Community, Project, ProjectAccess, VillagerGroup

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


def make_user(username: str, *roles: str, all_projects: bool = True, **extra):
    """A user with `roles`. By default a district-level user who sees every project
    (`households.access_all_projects`); `all_projects=False` makes one who sees only the
    projects granted to them (see `grant`)."""
    extra.setdefault("is_staff", bool(roles))  # staff may open the admin (review queue)
    user = get_user_model().objects.create_user(
        username=username, password="correct horse battery staple", **extra
    )
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
