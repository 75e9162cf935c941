"""No write on a GET (issue 12 item 6): every staff URL of the demo, requested with GET by
each role of the demo, changes no row in any table.

The URLs come from the resolver (every pattern under /staff/), their path parameters from
the demo's own objects (`PARAMETERS`: one object per status where the status changes what
a page does), so a new staff URL is covered as soon as it exists, or this module says which
parameter it needs. Each request runs in a savepoint that is rolled back; before and after
it, every table's row count and checksum (md5 of its rows as text, in PostgreSQL) are
compared. The crawl happens a month and a half after the demo was built, with time
standing still: by then a draft statement's inputs have moved (another month of transition
subsidy), as they do on any office day, and the session's once-a-minute "last seen" stamp
is no write of the page's."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from psycopg2 import sql

from allocation.models import Estate
from demo.management.commands.create_demo_users import DEMO_USERS
from households.models import Document, Household, Member, Project, VillagerGroup
from lottery.models import LotterySession
from oversight.models import LedgerEntry
from publicity.models import Complaint, NoticeType, Objection, Publication, RenderJob, RenderPart
from settlement.models import BankAccount, DefectPhoto, DefectTicket, Statement, SubsidyRun
from tests.demo.seeding import demo_settings
from tickets.models import DeveloperSettlement, HouseTicket

# The smallest demo (seed 7) with a group settled, its keys handed over and defects reported.
HOUSEHOLDS, SEED = 20, 7
# When the pages are read: more than a month after the demo was seeded.
LATER = dt.timedelta(days=45)
STAFF_PREFIX = "staff/"


# -- the staff URLs and their parameters ----------------------------------------------------


def staff_patterns() -> list[tuple[str, str, list[str]]]:
    """(route, URL name with its namespace, path parameters) of every pattern under /staff/."""
    found = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = ":".join(part for part in (namespace, entry.namespace) if part)
                walk(entry.url_patterns, route, inner)
            elif isinstance(entry, URLPattern) and route.startswith(STAFF_PREFIX):
                name = ":".join(part for part in (namespace, entry.name) if part)
                found.append((route, name, list(entry.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "", "")
    return found


def one_per_status(queryset: QuerySet) -> list[int]:
    """The first object (by id) in each status: a page may do different things by status."""
    first: dict[str, int] = {}
    for pk, status in queryset.order_by("pk").values_list("pk", "status"):
        first.setdefault(status, pk)
    return list(first.values())


def pks(queryset: QuerySet) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:1])


def households() -> list[int]:
    return one_per_status(Household.objects.all())


def statement_households() -> list[int]:
    statements = Statement.objects.filter(pk__in=one_per_status(Statement.objects.all()))
    return list(statements.values_list("household_id", flat=True))


def with_pk(ids: Callable[[], Iterable[int]]) -> Callable[[], list[dict]]:
    return lambda: [{"pk": pk} for pk in ids()]


def with_code(codes: Callable[[], Iterable[str]]) -> Callable[[], list[dict]]:
    return lambda: [{"code": code} for code in codes()]


def members() -> list[dict]:
    first = {}
    for member in Member.objects.filter(household__in=households()).order_by("pk"):
        first.setdefault(member.household_id, member.pk)
    return [{"pk": household, "member_pk": member} for household, member in first.items()]


def household_notices() -> list[dict]:
    return [{"pk": pk, "notice_type": kind} for pk in households() for kind in NoticeType.values]


project_codes = with_code(lambda: Project.objects.order_by("code").values_list("code", flat=True))
session_codes = with_code(
    lambda: LotterySession.objects.order_by("pk").values_list("code", flat=True)
)
statement_ids = with_pk(lambda: one_per_status(Statement.objects.all()))
statement_household_ids = with_pk(statement_households)
household_ids = with_pk(households)
publication_ids = with_pk(lambda: one_per_status(Publication.objects.all()))
complaint_ids = with_pk(lambda: one_per_status(Complaint.objects.all()))
render_job_ids = with_pk(lambda: pks(RenderJob.objects.all()))
render_part_ids = with_pk(lambda: pks(RenderPart.objects.all()))
subsidy_run_ids = with_pk(lambda: one_per_status(SubsidyRun.objects.all()))

# URL name -> the path parameters to request it with (an empty list: the demo has no such
# object, and the URL is skipped).
PARAMETERS: dict[str, Callable[[], list[dict]]] = {
    "objections:detail": with_pk(lambda: one_per_status(Objection.objects.all())),
    "objections:attachment": with_pk(lambda: pks(Objection.objects.exclude(attachment=""))),
    "complaints:detail": complaint_ids,
    "complaints:attachment": with_pk(lambda: pks(Complaint.objects.exclude(attachment=""))),
    "complaints:start": complaint_ids,
    "complaints:answer": complaint_ids,
    "complaints:close": complaint_ids,
    "publicity_staff:publication-detail": publication_ids,
    "publicity_staff:publication-publish": publication_ids,
    "publicity_staff:publication-withdraw": publication_ids,
    "publicity_staff:publication-new-version": publication_ids,
    "publicity_pdf:jobs": publication_ids,
    "publicity_pdf:start": publication_ids,
    "publicity_pdf:job-status": render_job_ids,
    "publicity_pdf:part-download": render_part_ids,
    "publicity_pdf:job-zip": render_job_ids,
    "notices:job": render_job_ids,
    "notices:part-download": render_part_ids,
    "notices:household": household_notices,
    "allocation:estate-detail": with_pk(lambda: pks(Estate.objects.all())),
    "allocation:demand-list": project_codes,
    "allocation:demand-lock": project_codes,
    "allocation:demand-edit": household_ids,
    **{
        f"lottery:{name}": session_codes
        for name in (
            "console",
            "state",
            "screen",
            "screen-state",
            "confirm",
            "entropy",
            "public-value",
            "check-in",
            "draw",
            "pick",
            "pause",
            "resume",
            "sign-off",
            "void",
            "record",
        )
    },
    "settlement:project-groups": project_codes,
    "settlement:chain-edit": project_codes,
    "settlement:statements-xlsx": project_codes,
    "settlement:group-approve": with_pk(
        lambda: (
            VillagerGroup.objects.filter(households__statement__isnull=False)
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        )
    ),
    "settlement:group-detail": with_pk(
        lambda: (
            VillagerGroup.objects.filter(households__statement__isnull=False)
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        )
    ),
    **{
        f"settlement:{name}": statement_ids
        for name in (
            "statement-detail",
            "statement-pdf",
            "statement-approve",
            "payment-record",
            "statement-send-back",
        )
    },
    **{
        f"settlement:{name}": statement_household_ids
        for name in (
            "household-settlement",
            "transition-record",
            "adjustment-add",
            "outcome-choose",
            "statement-compute",
            "correction-open",
            "handover-detail",
            "handover-record",
            "handover-move-in",
            "agreement-issue",
            "agreement-download",
            "agreement-sign",
            "defect-report",
            "bank-account-record",
            "switch-to-cash",
        )
    },
    "settlement:bank-account-confirm": with_pk(lambda: one_per_status(BankAccount.objects.all())),
    "settlement:bank-account-reject": with_pk(lambda: one_per_status(BankAccount.objects.all())),
    # Transition-subsidy runs (demo.subsidy_runs makes them once seed_demo calls it).
    "settlement:transition-policy": project_codes,
    "settlement:subsidy-runs": project_codes,
    "settlement:subsidy-run-compute": project_codes,
    **{
        f"settlement:{name}": subsidy_run_ids
        for name in (
            "subsidy-run-detail",
            "subsidy-run-approve",
            "subsidy-run-send-back",
            "subsidy-run-send",
            "subsidy-run-result",
        )
    },
    "settlement:subsidy-run-batch": lambda: [
        {"pk": pk, "kind": kind}
        for pk in one_per_status(SubsidyRun.objects.all())
        for kind in ("xlsx", "csv")
    ],
    "settlement:defect-detail": with_pk(lambda: one_per_status(DefectTicket.objects.all())),
    "settlement:defect-close": with_pk(lambda: one_per_status(DefectTicket.objects.all())),
    "settlement:defect-photo": with_pk(lambda: pks(DefectPhoto.objects.all())),
    **{
        f"staff:{name}": household_ids
        for name in (
            "household-detail",
            "household-edit",
            "household-unmask",
            "member-add",
            "document-upload",
        )
    },
    # The timeline reads every stage: households at each status and with each statement's.
    "oversight:household-timeline": with_pk(lambda: households() + statement_households()),
    "oversight:household-timeline-pdf": with_pk(lambda: statement_households()[:1]),
    "oversight:ledger-household": with_pk(
        lambda: list(LedgerEntry.objects.order_by("pk").values_list("household_id", flat=True)[:2])
    ),
    "staff:member-edit": members,
    "staff:member-review": lambda: [{"pk": m["member_pk"]} for m in members()],
    "staff:household-approval": household_ids,
    "staff:member-remove": members,
    "staff:document-download": with_pk(lambda: pks(Document.objects.all())),
    # House tickets (issue 14): the demo's tickets stage is run by seed_demo once wired in.
    **{
        f"tickets:{name}": project_codes
        for name in (
            "project-tickets",
            "ticket-issue",
            "project-listings",
            "listings-import",
            "project-settlements",
            "settlement-open",
        )
    },
    **{
        f"tickets:{name}": with_pk(lambda: one_per_status(HouseTicket.objects.all()))
        for name in (
            "ticket-detail",
            "ticket-certificate",
            "ticket-purchase",
            "ticket-transfer",
            "ticket-buy-back",
        )
    },
    **{
        f"tickets:{name}": with_pk(lambda: one_per_status(DeveloperSettlement.objects.all()))
        for name in ("settlement-detail", "settlement-approve")
    },
    "tickets:settlement-bank": lambda: [
        {"pk": pk, "kind": kind}
        for pk in one_per_status(DeveloperSettlement.objects.all())
        for kind in ("csv", "xlsx")
    ],
}


# -- every table's state ----------------------------------------------------------------------


def table_states() -> dict[str, tuple[int, str]]:
    """Row count and md5 of the rows (as text, in a fixed order) of every table."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL(
                "SELECT {name}, count(*),"
                " md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} AS t"
            ).format(name=sql.Literal(table), table=sql.Identifier(table))
            for table in tables
        )
        cursor.execute(query.as_string(cursor.cursor))
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def role_users() -> list[str]:
    """One demo user per role (the first one create_demo_users lists), and the superuser."""
    first: dict[str, str] = {}
    for username, _name, roles in DEMO_USERS:
        for role in roles:
            first.setdefault(role, username)
    return [*first.values(), "admin"]


# -- the crawl, once for the module, on one demo database rolled back after it --------------


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        call_command("create_demo_users", stdout=io.StringIO())
        call_command(
            "seed_demo", "--households", str(HOUSEHOLDS), "--seed", str(SEED), stdout=io.StringIO()
        )
        urls, skipped, unmapped = [], [], []
        for route, name, parameters in staff_patterns():
            if not parameters:
                urls.append(reverse(name))
            elif name not in PARAMETERS:
                unmapped.append(f"{name} ({route}): {parameters}")
            else:
                found = PARAMETERS[name]()
                urls += [reverse(name, kwargs=kwargs) for kwargs in found]
                if not found:
                    skipped.append(name)
        writes, errors, answered = [], [], set()
        with time_machine.travel(timezone.now() + LATER, tick=False):
            for username in role_users():
                client = Client(raise_request_exception=False)
                client.force_login(get_user_model().objects.get(username=username))
                before = table_states()
                for url in urls:
                    with transaction.atomic():
                        response = client.get(url)
                        after = table_states()
                        transaction.set_rollback(True)
                    changed = sorted(
                        table
                        for table in before.keys() | after.keys()
                        if before.get(table) != after.get(table)
                    )
                    if changed:
                        writes.append(f"{username} GET {url}: {', '.join(changed)}")
                    if response.status_code >= 500:
                        errors.append(f"{username} GET {url}: {response.status_code}")
                    if response.status_code != 405:
                        answered.add(url)
        yield {
            "patterns": staff_patterns(),
            "urls": urls,
            "answered": answered,
            "skipped": skipped,
            "unmapped": unmapped,
            "writes": writes,
            "errors": errors,
            "users": role_users(),
        }
        transaction.set_rollback(True)  # leave the database empty for the next module


def test_every_staff_url_with_parameters_has_them_from_the_demo(crawl):
    """A new staff URL needs an entry in PARAMETERS; only URLs whose objects the demo does
    not make (complaints, attachments, defect photos) are skipped."""
    print(  # shown with -rP: what the crawl covered
        f"{len(crawl['patterns'])} staff URL patterns; {len(crawl['urls'])} URLs requested by "
        f"{len(crawl['users'])} users; {len(crawl['answered'])} answered GET (the rest are "
        f"POST only); skipped for want of a demo object: {crawl['skipped']}"
    )
    assert crawl["unmapped"] == []
    assert len(crawl["skipped"]) < len(crawl["patterns"]) // 5, crawl["skipped"]
    assert len(crawl["users"]) >= 8  # clerk, reviewer, leader, operator, notary, finance, …


def test_no_get_of_a_staff_page_changes_a_row(crawl):
    assert crawl["answered"]
    assert not crawl["writes"], "\n".join(["GETs that wrote:", *crawl["writes"]])


def test_no_get_of_a_staff_page_fails(crawl):
    assert not crawl["errors"], "\n".join(["GETs that failed:", *crawl["errors"]])
