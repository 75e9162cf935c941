"""(Not a benchmark: the leading underscore keeps `python -m bench` from running it.)

A project whose households have reached every stage of the workflow, made in bulk with the
ORM (the services that move households along have their own tests and benchmarks): used by
`bench/dashboard.py` and by tests/oversight, which read the dashboard of it.

Each household is described by a `Spec`: the last stage it reached, its villager group,
its working team and the day it reached its stages. Stages are cumulative along the
apartment path — registered → qualified → published → drawn → signed → settled →
handed_over → moved_in — and a "monetised" household is qualified, published, signed and
settled with the monetised outcome (房票), without apartment or keys.

Everything a household did happened on its `on` day (approval, publication, the lottery
session's sign-off, signing, settling, handover, moving in): one signed session and one
published population publication per distinct day. A household that is qualified but not
published is approved after the last publication (so no publication covers it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allocation.models import Apartment, ApartmentType, Building, Estate, Stair
from households.models import Community, Household, HouseholdStatus, Project, VillagerGroup
from lottery.models import Allocation, LotterySession, SessionMode, SessionStatus
from oversight.models import HouseholdAssignment, WorkingTeam
from publicity.models import Publication, PublicationStatus
from settlement.models import Agreement, Handover, Outcome, Statement, StatementStatus

LEVELS = (
    "registered",
    "qualified",
    "published",
    "drawn",
    "signed",
    "settled",
    "handed_over",
    "moved_in",
)
MONETISED = "monetised"
MONETISED_REACHES = ("registered", "qualified", "published", "signed", "settled")
DEFAULT_DAY = dt.date(2025, 3, 3)


@dataclass(frozen=True)
class Spec:
    level: str  # one of LEVELS, or MONETISED
    group: int = 0  # index into the project's groups
    team: int | None = 0  # index into the project's teams; None: not assigned
    on: dt.date = DEFAULT_DAY

    def reached(self, stage: str) -> bool:
        if self.level == MONETISED:
            return stage in MONETISED_REACHES
        return LEVELS.index(stage) <= LEVELS.index(self.level)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def spread(count: int, *, groups: int, teams: int, on: dt.date = DEFAULT_DAY) -> list[Spec]:
    """`count` households cycling through every level (monetised included), groups and
    teams (every tenth household unassigned)."""
    levels = (*LEVELS, MONETISED)
    return [
        Spec(
            level=levels[i % len(levels)],
            group=i % groups,
            team=None if i % 10 == 9 else i % teams,
            on=on,
        )
        for i in range(count)
    ]


def build_progress_project(
    code: str,
    specs: Sequence[Spec],
    *,
    actor,
    communities: int = 2,
    groups_per_community: int = 2,
    teams: int = 3,
) -> Project:
    """The project described by `specs` (see the module docstring); `actor` is recorded as
    every registrar, approver, signer and cashier."""
    project = Project.objects.create(
        code=code,
        name=f"{code} 安置项目",
        hukou_cutoff_date=dt.date(2013, 6, 30),
        growth_deadline=dt.date(2013, 12, 31),
        area_per_person=Decimal("50.00"),
    )
    groups = []
    for c in range(communities):
        community = Community.objects.create(project=project, code=f"C{c}", name=f"第{c + 1}村")
        for g in range(groups_per_community):
            groups.append(
                VillagerGroup.objects.create(
                    project=project,
                    community=community,
                    code=f"C{c}G{g}",
                    name=f"第{g + 1}组",
                )
            )
    team_rows = [
        WorkingTeam.objects.create(
            project=project, code=f"T{t + 1}", name=f"第{t + 1}工作组", updated_by=actor
        )
        for t in range(teams)
    ]

    published_days = sorted({s.on for s in specs if s.reached("published")})
    latest_publication = _at(published_days[-1]) if published_days else None
    households = []
    for index, spec in enumerate(specs):
        group = groups[spec.group]
        approved_at = None
        if spec.reached("qualified"):
            approved_at = _at(spec.on, 9)
            if not spec.reached("published") and latest_publication is not None:
                approved_at = max(approved_at, latest_publication + dt.timedelta(hours=1))
        households.append(
            Household(
                project=project,
                community_id=group.community_id,
                group=group,
                code=f"{code}-{index:05d}",
                status=HouseholdStatus.APPROVED if approved_at else HouseholdStatus.REGISTERED,
                registered_by=actor,
                approved_by=actor if approved_at else None,
                approved_at=approved_at,
                resettlement_population=3 if approved_at else None,
                entitlement_area=Decimal("150.00") if approved_at else None,
            )
        )
    Household.objects.bulk_create(households, batch_size=1000)
    pairs = list(zip(households, specs, strict=True))

    for version, day in enumerate(published_days, start=1):
        Publication.objects.create(
            project=project,
            kind="population",
            title=f"安置人口公示 {day}",
            version=version,
            status=PublicationStatus.PUBLISHED,
            starts_on=day,
            ends_on=day + dt.timedelta(days=7),
            content_hash="0" * 64,
            created_by=actor,
            published_by=actor,
            published_at=_at(day),
        )

    _draw(project, [(h, s) for h, s in pairs if s.reached("drawn")], actor)

    Agreement.objects.bulk_create(
        [
            Agreement(
                household=h,
                project=project,
                number=f"AG-{h.code}",
                pdf_sha256="0" * 64,
                signed_on=s.on,
                signer_name="户主",
                recorded_by=actor,
            )
            for h, s in pairs
            if s.reached("signed")
        ],
        batch_size=1000,
    )
    Statement.objects.bulk_create(
        [
            Statement(
                household=h,
                project=project,
                outcome=Outcome.MONETISED if s.level == MONETISED else Outcome.APARTMENT,
                status=StatementStatus.SETTLED,
                income_total=Decimal("0.00"),
                expenditure_total=Decimal("0.00"),
                net=Decimal("0.00"),
                computed_at=_at(s.on, 10),
                approved_at=_at(s.on, 11),
                settled_at=_at(s.on, 15),
            )
            for h, s in pairs
            if s.reached("settled")
        ],
        batch_size=1000,
    )
    Handover.objects.bulk_create(
        [
            Handover(
                household=h,
                handed_over_on=s.on,
                keys=3,
                water_reading=Decimal("1.00"),
                electricity_reading=Decimal("1.00"),
                handed_over_by=actor,
                received_by="户主",
                signature_record=f"JF-{h.code}",
                moved_in_on=s.on if s.reached("moved_in") else None,
            )
            for h, s in pairs
            if s.reached("handed_over")
        ],
        batch_size=1000,
    )
    HouseholdAssignment.objects.bulk_create(
        [
            HouseholdAssignment(household=h, team=team_rows[s.team], assigned_by=actor)
            for h, s in pairs
            if s.team is not None
        ],
        batch_size=1000,
    )
    return project


def apartments(project: Project, count: int) -> tuple[Estate, list[Apartment]]:
    """`count` new apartments in the project's estate E1 (made on first use)."""
    estate, created = Estate.objects.get_or_create(
        project=project, code="E1", defaults={"name": "安置小区"}
    )
    if created:
        building = Building.objects.create(estate=estate, code="1", sequence=1, floors=30)
        stair = Stair.objects.create(building=building, code="1")
        ApartmentType.objects.create(
            project=project, code="T90", name="三室两厅", nominal_area=Decimal("90.00")
        )
    stair = Stair.objects.get(building__estate=estate, code="1")
    kind = ApartmentType.objects.get(project=project, code="T90")
    first = Apartment.objects.filter(project=project).count()
    rows = [
        Apartment(
            project=project,
            estate=estate,
            building_id=stair.building_id,
            stair=stair,
            code=f"E1-{i:05d}",
            floor=1 + i % 30,
            area=Decimal("90.00"),
            apartment_type=kind,
            tier="B",
        )
        for i in range(first, first + count)
    ]
    Apartment.objects.bulk_create(rows, batch_size=1000)
    return estate, rows


def _draw(project: Project, drawn: list[tuple[Household, Spec]], actor) -> None:
    """One apartment each from one signed session per day."""
    if not drawn:
        return
    estate, flats = apartments(project, len(drawn))
    by_day: dict[dt.date, list[tuple[Household, Apartment]]] = {}
    for (household, spec), apartment in zip(drawn, flats, strict=True):
        by_day.setdefault(spec.on, []).append((household, apartment))
    for number, (day, pairs) in enumerate(sorted(by_day.items()), start=1):
        signed_session(
            project, estate, actor, code=f"{project.code}-S{number}", day=day, pairs=pairs
        )


def signed_session(
    project: Project,
    estate: Estate,
    actor,
    *,
    code: str,
    day: dt.date,
    pairs: Sequence[tuple[Household, Apartment]],
    status: str = SessionStatus.SIGNED,
    rehearsal: bool = False,
) -> LotterySession:
    """A session closed on `day` giving each household its apartment. Allocations are
    written while it draws: a signed session's rows cannot change (lottery migration 0003)."""
    secret = code.encode()
    session = LotterySession.objects.create(
        project=project,
        estate=estate,
        code=code,
        title=f"摇号 {day}",
        mode=SessionMode.DIRECT,
        rehearsal=rehearsal,
        status=SessionStatus.DRAWING,
        server_secret=secret.hex(),
        commitment=hashlib.sha256(secret).hexdigest(),
        created_by=actor,
        committed_at=_at(day, 8),
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                session=session,
                household=household,
                apartment=apartment,
                binding=not rehearsal,
                sequence=i + 1,
                created_by=actor,
            )
            for i, (household, apartment) in enumerate(pairs)
        ],
        batch_size=1000,
    )
    if status == SessionStatus.SIGNED:
        session.status, session.closed_at, session.signed_by = status, _at(day, 12), actor
        session.seed, session.bundle = "0" * 64, {}
    else:
        session.status, session.voided_at, session.voided_by = status, _at(day, 12), actor
        session.void_reason = "作废"
    session.save()
    return session


def measure_page(view: Callable, request, runs: int = 5) -> tuple[int, float]:
    """(queries, median seconds) of rendering `view` for `request`, warmed up once
    (templates compiled, permissions cached): what the page benchmarks print."""
    view(request)
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = view(request)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    return queries, statistics.median(times)
