"""Publication clearance: has a household been through publicity (公示) as the procedure asks?

A household is cleared when it appears in a published (or closed) version of the entitlement
roster (安置面积公示, `households.publicity.ENTITLEMENT`), the latest such version that shows
it has a period that has ended, no objection naming it is still unanswered, and nothing that
feeds its entitlement changed after that version was published (`Household.facts_changed_at`:
a household changed after publication needs a new version, and that version's period to have
ended). A withdrawn publication does not count.

Later stages ask before they act (the lottery gate, `lottery.gates`); the publicity pages use
`changed_after_publication` to mark households whose published row is no longer what they are.

The rows of a snapshot are frozen JSON (lists of masked cells, the household's code unmasked
in its column); the database finds the publications showing a set of households in one query,
whatever their number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from households.models import Household, Project
from households.publicity import ENTITLEMENT
from publicity.models import Objection, ObjectionStatus, Publication, PublicationStatus
from resettlement import periods, publicity_kinds

# The roster a household must have appeared in before it is drawn.
ROSTER_KIND = ENTITLEMENT.code
COUNTED = (PublicationStatus.PUBLISHED, PublicationStatus.CLOSED)


@dataclass(frozen=True)
class Appearance:
    """One publication of a roster kind that shows a household."""

    household_code: str
    publication_id: int
    title: str
    version: int
    starts_on: dt.date
    ends_on: dt.date
    published_at: dt.datetime


def _household_column(kind_code: str) -> int:
    """Where a kind's rows hold the household's code."""
    return [column.key for column in publicity_kinds.get(kind_code).columns].index("household")


def appearances(
    project: Project, codes: Iterable[str], *, kind: str = ROSTER_KIND
) -> dict[str, list[Appearance]]:
    """For each household code, the published or closed publications of `kind` in `project`
    whose frozen rows show it, oldest first. One query."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    index = int(_household_column(kind))
    if connection.vendor != "postgresql":
        return _appearances_read_in_python(project, codes, kind=kind, index=index)
    table = Publication._meta.db_table
    sql = (
        f"SELECT r.value ->> {index}, p.id, p.title, p.version, p.starts_on, p.ends_on, "  # noqa: S608
        f"p.published_at FROM {table} p CROSS JOIN LATERAL jsonb_array_elements(p.rows) r "
        "WHERE p.project_id = %s AND p.kind = %s AND p.status = ANY(%s) "
        f"AND r.value ->> {index} = ANY(%s) ORDER BY p.published_at, p.id"
    )
    found: dict[str, list[Appearance]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [project.pk, kind, [str(s) for s in COUNTED], codes])
        for code, *fields in cursor.fetchall():
            found[code].append(Appearance(code, *fields))
    return dict(found)


def _appearances_read_in_python(
    project: Project, codes: list[str], *, kind: str, index: int
) -> dict[str, list[Appearance]]:
    """The same answer for the embedded SQLite database (`make run`), which has no JSON array
    functions: each publication's frozen rows read here — a demo's few thousand rows."""
    wanted = set(codes)
    found: dict[str, list[Appearance]] = defaultdict(list)
    publications = Publication.objects.filter(
        project=project, kind=kind, status__in=COUNTED
    ).order_by("published_at", "pk")
    for p in publications:
        for row in p.rows or []:
            code = str(row[index]) if len(row) > index and row[index] is not None else None
            if code in wanted:
                found[code].append(
                    Appearance(
                        code, p.pk, p.title, p.version, p.starts_on, p.ends_on, p.published_at
                    )
                )
    return dict(found)


def _day(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        moment = periods.local_date(moment)
    return date_format(moment, "Y-m-d")


def latest_appearances(project: Project, codes: Iterable[str]) -> dict[str, Appearance]:
    """For each household code shown in the entitlement roster, the latest version showing it."""
    return {code: shown[-1] for code, shown in appearances(project, codes).items()}


def changed_after_publication(household: Household, latest: Appearance | None) -> bool:
    """The household's entitlement facts changed after the latest roster that shows it was
    published: what the public saw is no longer what it is."""
    return bool(
        latest is not None
        and household.facts_changed_at is not None
        and household.facts_changed_at > latest.published_at
    )


def publication_clearance(
    project: Project, households: Iterable[Household], *, on: dt.date | None = None
) -> dict[int, str]:
    """For each household not cleared for the stages after publicity, what is missing, in
    words (keyed by household id; a cleared household is absent). Two queries whatever the
    number of households. `households` need `pk`, `code` and `facts_changed_at`."""
    on = on or periods.today()
    households = list(households)
    if not households:
        return {}
    codes = [h.code for h in households]
    shown = appearances(project, codes)
    objections: dict[str, list[dt.datetime]] = defaultdict(list)
    for code, filed_at in Objection.objects.filter(
        publication__project=project, status=ObjectionStatus.OPEN, household_code__in=codes
    ).values_list("household_code", "filed_at"):
        objections[code].append(filed_at)
    missing: dict[int, str] = {}
    for household in households:
        problems = []
        versions = shown.get(household.code)
        if not versions:
            problems.append(_("从未出现在已发布的%(kind)s中") % {"kind": ENTITLEMENT.label})
        else:
            latest = versions[-1]
            named = _("“%(title)s”第%(v)d版") % {"title": latest.title, "v": latest.version}
            if changed_after_publication(household, latest):
                problems.append(
                    _(
                        "%(pub)s于 %(published)s 发布后,该户信息于 %(changed)s 变更,"
                        "须发布新版本并待其公示期满"
                    )
                    % {
                        "pub": named,
                        "published": _day(latest.published_at),
                        "changed": _day(household.facts_changed_at),
                    }
                )
            elif latest.ends_on >= on:
                problems.append(
                    _("%(pub)s公示期至 %(end)s 截止,尚未期满(%(left)s)")
                    % {
                        "pub": named,
                        "end": _day(latest.ends_on),
                        "left": periods.days_left(latest.ends_on, on=on),
                    }
                )
        for filed_at in objections.get(household.code, []):
            problems.append(_("有一件 %(day)s 提出的异议尚未答复") % {"day": _day(filed_at)})
        if problems:
            missing[household.pk] = ";".join(problems)
    return missing


def changed_since(publication: Publication, codes: Iterable[str]) -> list[Household]:
    """The households shown in `publication` (their `codes`) whose entitlement facts changed
    after it was published, oldest change first: until a new version is published, what it
    shows of them is no longer what they are. None for a draft. One query."""
    if publication.published_at is None:
        return []
    return list(
        Household.objects.filter(
            project_id=publication.project_id,
            code__in=list(codes),
            facts_changed_at__gt=publication.published_at,
        )
        .only("pk", "code", "facts_changed_at")
        .order_by("facts_changed_at", "code")
    )


def household_codes_of(publication: Publication, rows: list[list[str]]) -> list[str]:
    """The household codes in a publication's rows (its kind's household column); none when
    the kind has no such column or is no longer registered."""
    try:
        index = _household_column(publication.kind)
    except (KeyError, ValueError):
        return []
    return [row[index] for row in rows if len(row) > index and row[index]]


def changed_households_by_code(
    project: Project, households: Iterable[Household]
) -> dict[str, Appearance]:
    """Of `households`, those changed after the latest entitlement roster showing them, with
    that roster (for the household pages: "changed after publication"). One query."""
    households = list(households)
    latest = latest_appearances(project, [h.code for h in households])
    return {
        h.code: latest[h.code]
        for h in households
        if changed_after_publication(h, latest.get(h.code))
    }
