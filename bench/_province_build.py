"""(Not a benchmark: the leading underscore keeps `python -m bench` from running it.)

The province-scale data set of bench/province.py, built through bulk paths only: `projects`
projects of `households` households each, made by bench._progress_setup (households at every
stage of the workflow, 4 communities of 3 villager groups, 6 working teams, a publication,
a signed lottery session, agreements, statements, handovers), then

- their members (3.5 a household on average, one head each, valid and distinct ID numbers,
  common Chinese names) written with PostgreSQL's COPY;
- a history row (simple_history, "+") for every household and member, as the app keeps,
  written by one INSERT … SELECT per table;
- a transition (过渡安置) for every qualified household not yet handed over, promised by a day
  long past, so the overdue ledger has a province of overdue households to refresh;
- ANALYZE, so the planner knows the sizes.

Also used at tiny size by tests/bench/test_province.py.
"""

from __future__ import annotations

import datetime as dt
import io
import time

from django.db import connection, transaction
from django.utils import timezone

from bench._progress_setup import build_progress_project, spread
from households import idnumbers
from households.models import Household, HouseholdStatus, Member, Project
from settlement.models import Handover, Transition

PREFIX = "PV"
# Household sizes cycle through this pattern: 3.5 people a household on average.
SIZES = (3, 4, 2, 5, 3, 4, 3, 6, 2, 3)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = (
    "伟",
    "芳",
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "海燕",
    "国华",
    "晓明",
    "玉梅",
    "春生",
    "丽娟",
    "敏",
    "静",
    "俊杰",
    "雪梅",
    "文斌",
    "红霞",
    "德福",
    "淑珍",
    "子涵",
    "浩然",
    "欣怡",
    "宇轩",
)
RELATIONS = ("head", "spouse", "child", "child", "parent", "grandchild")
REGIONS = ("330110", "330109", "211100", "211122", "370102", "320105")
MOVED_OUT = dt.date(2022, 3, 1)
PROMISED_BY = dt.date(2024, 3, 1)


def project_code(index: int) -> str:
    return f"{PREFIX}{index:02d}"


def member_name(person: int) -> str:
    return SURNAMES[person % len(SURNAMES)] + GIVEN[(person // len(SURNAMES)) % len(GIVEN)]


def member_id_number(person: int) -> str:
    """Distinct for every person number: 500 a sex and birth day, one region a 1,000 days."""
    day, rest = divmod(person, 1000)
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=day % 25000)
    region = REGIONS[(day // 25000) % len(REGIONS)]
    return idnumbers.make(region, birth, rest // 2, "M" if rest % 2 == 0 else "F")


def built(projects: int, households: int) -> bool:
    """Whether this database already holds the data set of that size."""
    codes = [project_code(p) for p in range(projects)]
    return (
        Project.objects.filter(code__in=codes).count() == projects
        and Household.objects.filter(project__code__in=codes).count() == projects * households
        and Member.objects.filter(project__code__in=codes).exists()
    )


def build(projects: int, households: int, *, actor, first: int = 0, say=print) -> None:
    """`projects` projects PV<first>… of `households` households each, with members, history
    rows and transitions (see the module docstring)."""
    started = time.perf_counter()
    numbers = range(first, first + projects)
    for p in numbers:
        with transaction.atomic():
            build_progress_project(
                project_code(p),
                spread(households, groups=12, teams=6),
                actor=actor,
                communities=4,
                groups_per_community=3,
                teams=6,
            )
        if p % 5 == 4 or p == numbers[-1]:
            say(f"  {p + 1 - first}/{projects} projects ({time.perf_counter() - started:.0f} s)")
    codes = [project_code(p) for p in numbers]
    with transaction.atomic():
        people = _members(codes, actor)
    say(f"  {people} members copied ({time.perf_counter() - started:.0f} s)")
    with transaction.atomic():
        _transitions(codes, actor)
        _history(Household, actor)
        _history(Member, actor)
    say(f"  history rows and transitions ({time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  analysed ({time.perf_counter() - started:.0f} s)")


def _members(codes: list[str], actor) -> int:
    """Every household's members through COPY; people in an approved household are passed."""
    rows = (
        Household.objects.filter(project__code__in=codes)
        .order_by("pk")
        .values_list("pk", "project_id", "status")
    )
    now = timezone.now().isoformat()
    columns = (
        "project_id",
        "household_id",
        "name",
        "id_number",
        "sex",
        "birth_date",
        "relation",
        "hukou_nature",
        "marital_status",
        "special_status",
        "one_child_certificate",
        "housing_welfare",
        "entered_by_id",
        "editor_ids",
        "verdict_qualified",
        "verdict_checks",
        "verdict_failures",
        "review_status",
        "review_overridden",
        "review_reason",
        "reviewed_by_id",
        "reviewed_at",
    )
    buffer = io.StringIO()
    person = Member.objects.count()  # distinct numbers when built again beside older rows
    count = 0
    for index, (household, project, status) in enumerate(rows.iterator(chunk_size=5000)):
        approved = status == HouseholdStatus.APPROVED
        for position in range(SIZES[index % len(SIZES)]):
            number = member_id_number(person)
            buffer.write(
                "\t".join(
                    (
                        str(project),
                        str(household),
                        member_name(person),
                        number,
                        "M" if int(number[16]) % 2 else "F",
                        f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                        RELATIONS[position] if position < len(RELATIONS) else "other",
                        "agricultural",
                        "married" if position < 2 else "unmarried",
                        "none",
                        "f",
                        "none",
                        str(actor.pk),
                        "[]",
                        "t",
                        "[]",
                        "",
                        "passed" if approved else "pending",
                        "f",
                        "",
                        str(actor.pk) if approved else r"\N",
                        now if approved else r"\N",
                    )
                )
                + "\n"
            )
            person += 1
            count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {Member._meta.db_table} ({', '.join(columns)}) FROM STDIN", buffer
        )
    return count


def _transitions(codes: list[str], actor) -> None:
    qualified = (
        Household.objects.filter(project__code__in=codes, status=HouseholdStatus.APPROVED)
        .exclude(pk__in=Handover.objects.values("household_id"))
        .exclude(transition__isnull=False)
        .values_list("pk", flat=True)
    )
    Transition.objects.bulk_create(
        [
            Transition(
                household_id=pk,
                moved_out_on=MOVED_OUT,
                promised_by=PROMISED_BY,
                recorded_by=actor,
            )
            for pk in qualified.iterator(chunk_size=5000)
        ],
        batch_size=5000,
    )


def _history(model, actor) -> None:
    """A "+" history row for every row of `model` that has none, in one statement."""
    historical = model.history.model
    base = {f.column for f in model._meta.concrete_fields}
    targets, sources = [], []
    for field in historical._meta.concrete_fields:
        column = field.column
        if column == "history_id":
            continue
        targets.append(column)
        if column in base:
            sources.append(f"b.{connection.ops.quote_name(column)}")
        elif column == "history_date":
            sources.append("now()")
        elif column == "history_type":
            sources.append("'+'")
        elif column == "history_user_id":
            sources.append(str(int(actor.pk)))
        else:
            sources.append("NULL")
    quoted = ", ".join(connection.ops.quote_name(c) for c in targets)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {historical._meta.db_table} ({quoted})"  # noqa: S608 (names from models)
            f" SELECT {', '.join(sources)} FROM {model._meta.db_table} b"
            f" WHERE NOT EXISTS (SELECT 1 FROM {historical._meta.db_table} h WHERE h.id = b.id)"
        )
