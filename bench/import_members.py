"""Roster import: the project's settings against django-import-export's defaults.

Generates one xlsx of about 15,000 members in 5,000 households (valid ID numbers, several
communities and groups, a mix of qualified and unqualified people), reads it once, then
imports it with

1. the baseline: the same resource (same validation, same verdicts, same history) with
   django-import-export's default Meta options: rows saved one by one, each in its own
   savepoint, looked up by ID number first, diffed and rendered as HTML;
2. the project's import: `households.resources.HouseholdMemberResource` as shipped.

Each run imports into its own, empty project. The baseline is slow, so it imports a prefix
of the file (BENCH_BASELINE_ROWS, whole households); the comparison is rows per second.
Target: the project's import at least 3 times as fast.

The floor (issue 15): a bare `bulk_create` of the very households and members the project's
import saved, with their history rows (simple_history's `bulk_create_with_history`), into
another empty project — what writing the rows costs with no reading, checking or deciding.
Target: the project's import of the whole file at most 2.5 times the floor.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import time
from decimal import Decimal

import openpyxl
import tablib
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from import_export.options import ResourceOptions
from simple_history.utils import bulk_create_with_history

from households import idnumbers
from households.models import Community, Household, Member, Project, VillagerGroup
from households.resources import HEADERS, HouseholdMemberResource
from resettlement.imports.base import import_problems
from resettlement.imports.files import read_roster
from resettlement.roles import ensure_roles

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "5000"))
BASELINE_ROWS = int(os.environ.get("BENCH_BASELINE_ROWS", "3000"))
TARGET = 3.0
FLOOR_TARGET = 2.5
COMMUNITIES = 5
GROUPS_PER_COMMUNITY = 4
# Household sizes cycle through this pattern: three people on average.
SIZES = (3, 2, 4, 3, 1, 5, 3, 3, 2, 4)


class DefaultSettingsResource(HouseholdMemberResource):
    """The project's resource with every performance option at its library default."""

    class Meta(HouseholdMemberResource.Meta):
        use_bulk = ResourceOptions.use_bulk
        batch_size = ResourceOptions.batch_size
        skip_diff = ResourceOptions.skip_diff
        skip_html_diff = ResourceOptions.skip_html_diff
        force_init_instance = ResourceOptions.force_init_instance
        clean_model_instances = ResourceOptions.clean_model_instances


def _member_rows(households: int) -> list[list]:
    """One row per member; the household's columns repeated on each of its rows."""
    rows = []
    person = itertools.count()
    for h in range(households):
        community = h % COMMUNITIES
        group = f"C{community}-G{(h // COMMUNITIES) % GROUPS_PER_COMMUNITY}"
        household = [
            f"H{h:05d}",
            f"C{community}",
            group,
            f"南宫河村{community + 1}组{h}号",
            f"138{h:08d}",
            f"YH-2012-{h:05d}",
            Decimal(90 + h % 120) + Decimal("0.25"),
        ]
        for position in range(SIZES[h % len(SIZES)]):
            k = next(person)
            sex = "M" if k % 2 == 0 else "F"
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=k // 1000 * 7)
            number = idnumbers.make("330110", birth, (k % 1000) // 2, sex)
            relation = ("户主", "配偶", "子女", "子女", "父母")[position]
            moved_in = dt.date(2014, 1, 10) if k % 10 == 7 else None  # after the cut-off
            rows.append(
                household
                + [
                    f"成员{k}",
                    number,
                    "男" if sex == "M" else "女",
                    birth,
                    relation,
                    "农业" if k % 13 else "非农业",
                    moved_in,
                    None,
                    "已婚" if position < 2 else "未婚",
                    "无",
                    "否",
                    "房改房" if k % 20 == 3 else "未享受",
                ]
            )
    return rows


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("安置户名册")
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _project(code: str) -> Project:
    project = Project.objects.create(
        code=code,
        name=f"基准测试 {code}",
        hukou_cutoff_date=dt.date(2013, 6, 30),
        growth_deadline=dt.date(2013, 12, 31),
        area_per_person=Decimal("50.00"),
    )
    for c in range(COMMUNITIES):
        community = Community.objects.create(project=project, code=f"C{c}", name=f"第{c}村")
        for g in range(GROUPS_PER_COMMUNITY):
            VillagerGroup.objects.create(
                project=project, community=community, code=f"C{c}-G{g}", name=f"{g}组"
            )
    return project


def _clerk():
    ensure_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench_clerk")
    user.groups.add(Group.objects.get(name="clerk"))
    # District office staff: sees every project (households.access).
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="households", codename="access_all_projects")
    )
    return get_user_model().objects.get(pk=user.pk)


def _prefix(dataset: tablib.Dataset, rows: int) -> tablib.Dataset:
    """The first households of `dataset` with at most `rows` rows (never half a household)."""
    cut = min(rows, len(dataset))
    code = HEADERS.index("户编号")
    while 0 < cut < len(dataset) and dataset[cut][code] == dataset[cut - 1][code]:
        cut -= 1
    prefix = tablib.Dataset(headers=dataset.headers)
    for row in dataset[:cut]:
        prefix.append(row)
    return prefix


def _timed_import(resource_class, project: Project, clerk, dataset: tablib.Dataset) -> float:
    resource = resource_class(project=project, user=clerk)
    started = time.perf_counter()
    result = resource.import_data(dataset, file_name="bench.xlsx")
    seconds = time.perf_counter() - started
    problems = import_problems(result)
    assert not problems, problems[:5]
    members = Member.objects.filter(project=project).count()
    histories = Member.history.filter(project=project, history_user=clerk).count()
    assert members == histories == len(dataset), (members, histories, len(dataset))
    assert Household.history.filter(project=project, history_user=clerk).count() == len(
        resource.households
    )
    return seconds


def _floor(imported: Project, clerk, code: str = "BENCH-FLOOR") -> float:
    """Seconds to bulk_create the households and members `imported` holds, with their history
    rows, into a new empty project `code` (the same communities and groups by code)."""
    floor = _project(code)
    communities = dict(Community.objects.filter(project=floor).values_list("code", "pk"))
    groups = dict(VillagerGroup.objects.filter(project=floor).values_list("code", "pk"))
    skip = {"id", "project", "community", "group", "lookup_code"}
    household_fields = [f.attname for f in Household._meta.concrete_fields if f.name not in skip]
    member_fields = [
        f.attname
        for f in Member._meta.concrete_fields
        if f.name not in {"id", "project", "household"}
    ]
    source_households = list(
        Household.objects.filter(project=imported)
        .select_related("community", "group")
        .order_by("pk")
    )
    source_members = list(Member.objects.filter(project=imported).order_by("pk"))
    households = [
        Household(
            project=floor,
            community_id=communities[h.community.code],
            group_id=groups[h.group.code],
            **{name: getattr(h, name) for name in household_fields},
        )
        for h in source_households
    ]
    started = time.perf_counter()
    created = bulk_create_with_history(households, Household, batch_size=1000, default_user=clerk)
    by_source = {old.pk: new.pk for old, new in zip(source_households, created, strict=True)}
    members = [
        Member(
            project=floor,
            household_id=by_source[m.household_id],
            **{name: getattr(m, name) for name in member_fields},
        )
        for m in source_members
    ]
    bulk_create_with_history(members, Member, batch_size=1000, default_user=clerk)
    seconds = time.perf_counter() - started
    assert Member.objects.filter(project=floor).count() == len(source_members)
    assert Member.history.filter(project=floor).count() == len(source_members)
    return seconds


def run() -> None:
    started = time.perf_counter()
    rows = _member_rows(HOUSEHOLDS)
    data = _xlsx(rows)
    print(
        f"roster: {HOUSEHOLDS} households, {len(rows)} members, {len(data) / 1048576:.1f} MB xlsx"
        f" (generated in {time.perf_counter() - started:.1f} s)"
    )
    started = time.perf_counter()
    dataset = read_roster(data, "xlsx")
    print(
        f"read and checked the file once: {time.perf_counter() - started:.2f} s (not timed below)"
    )

    clerk = _clerk()
    prefix = _prefix(dataset, BASELINE_ROWS)

    baseline = _timed_import(DefaultSettingsResource, _project("BENCH-DEFAULTS"), clerk, prefix)
    baseline_rate = len(prefix) / baseline
    print(
        f"baseline, django-import-export defaults (use_bulk=False, skip_diff=False,"
        f" force_init_instance=False), first {len(prefix)} rows:"
        f" {baseline:.2f} s, {baseline_rate:,.0f} rows/s"
    )

    same_rows = _timed_import(HouseholdMemberResource, _project("BENCH-PREFIX"), clerk, prefix)
    print(
        f"project import, same {len(prefix)} rows: {same_rows:.2f} s,"
        f" {len(prefix) / same_rows:,.0f} rows/s"
    )

    imported = _project("BENCH-PROJECT")
    full = _timed_import(HouseholdMemberResource, imported, clerk, dataset)
    rate = len(dataset) / full
    print(f"project import, whole file, {len(dataset)} rows: {full:.2f} s, {rate:,.0f} rows/s")
    print("(every row validated in all runs; every household and member has a history record)")

    ratio = rate / baseline_rate
    print(
        f"import speed-up vs django-import-export defaults: {ratio:.1f}x (target >= {TARGET:g}x;"
        f" rows/s, whole file vs the baseline's first {len(prefix)} rows)"
    )
    floor = _floor(imported, clerk)
    print(
        f"floor, bare bulk_create of the same {Household.objects.filter(project=imported).count()}"
        f" households and {len(dataset)} members with their history rows: {floor:.2f} s"
    )
    floor_ratio = full / floor
    print(
        f"import vs its floor: {floor_ratio:.2f}x (target <= {FLOOR_TARGET:g}x):"
        f" {'met' if floor_ratio <= FLOOR_TARGET else 'NOT met'}"
    )
