"""Lottery test data.

Plain rows (fast, and independent of the registry and demand services, which have their own
tests; the shapes are what those services produce): `make_participant` (an approved
household with its head and a locked apartment-type choice), `make_estate`,
`make_apartments`, and `build_lottery_project`, which puts them together (the
`lottery_project` fixture, tests/lottery/fixtures.py).

Through the services (a session's snapshots, commitment and draws must be the service's):
`create_session`, `start_drawing` (the notary confirms and enters the entropy), `pick_all`
(choose mode). `clear_lottery_before_flush`: for transactional tests on SQLite.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from allocation.models import (
    Apartment,
    ApartmentType,
    AreaFit,
    Building,
    Demand,
    DemandItem,
    DemandStatus,
    Estate,
    FloorTier,
    Stair,
)
from households.models import (
    Community,
    Household,
    Project,
    VillagerGroup,
)
from lottery.models import LotterySession
from lottery.services.draws import lottery_pick
from lottery.services.sessions import (
    lottery_session_confirm,
    lottery_session_create,
    lottery_session_enter_entropy,
    lottery_session_enter_public_value,
)
from tests.households.factories import ApprovedHouseholdFactory, HeadFactory, ProjectFactory
from tests.publicity.factories import publish_roster_ended

_names = itertools.cycle(["王建国", "李秀英", "张伟", "刘芳", "陈静", "欧阳明", "赵磊", "孙丽"])

# Apartment types of the test project: code -> (name, nominal area).
TYPES = {"T60": ("两室一厅", "60.00"), "T90": ("三室两厅", "90.00"), "T120": ("四室两厅", "120.00")}

# What households of a group ask for, cycling: one three-room; a two-room plus a
# three-room; one four-room.
DEMANDS = ({"T90": 1}, {"T60": 1, "T90": 1}, {"T120": 1})


@dataclass
class LotteryProject:
    project: Project
    communities: list[Community]
    groups: list[VillagerGroup]
    households: list[Household]
    estate: Estate
    types: dict[str, ApartmentType]
    apartments: list[Apartment] = field(default_factory=list)

    def household(self, code: str) -> Household:
        return next(h for h in self.households if h.code == code)


def make_participant(
    group: VillagerGroup,
    code: str,
    demand: dict[str, ApartmentType | int],
    *,
    actor,
    types: dict[str, ApartmentType],
    name: str | None = None,
    locked: bool = True,
) -> Household:
    """An approved household with a head member and a (locked) apartment-type choice."""
    project = group.project
    chosen = sum((types[t].nominal_area * n for t, n in demand.items()), Decimal("0"))
    entitlement = chosen
    household = ApprovedHouseholdFactory(
        group=group, code=code, registered_by=actor, entitlement_area=entitlement
    )
    HeadFactory(household=household, name=name or next(_names))
    now = timezone.now()
    made = Demand.objects.create(
        household=household,
        project=project,
        status=DemandStatus.LOCKED if locked else DemandStatus.DRAFT,
        entitlement_area=entitlement,
        chosen_area=chosen,
        area_difference=chosen - entitlement,
        area_fit=AreaFit.WITHIN,
        chosen_by=actor,
        chosen_at=now,
        locked_by=actor if locked else None,
        locked_at=now if locked else None,
    )
    for type_code, count in demand.items():
        DemandItem.objects.create(demand=made, apartment_type=types[type_code], count=count)
    return household


def make_estate(project: Project, code: str = "E1", *, buildings: int = 2) -> Estate:
    """An estate with a floor rule (1–2 C, 3–4 A, 5–6 B) and `buildings` six-floor buildings
    of two stairs; returns the estate (apartments via `make_apartments`)."""
    estate = Estate.objects.create(
        project=project, code=code, name=f"{code}安置小区", orientation="由南向北"
    )
    for tier, low, high in (("C", 1, 2), ("A", 3, 4), ("B", 5, 6)):
        FloorTier.objects.create(estate=estate, tier=tier, floor_from=low, floor_to=high)
    return estate


def tier_of(floor: int) -> str:
    return "C" if floor <= 2 else ("A" if floor <= 4 else "B")


def make_apartments(
    estate: Estate, types: dict[str, ApartmentType], layout: list[list[str]]
) -> list[Apartment]:
    """`layout`: one list per building of the type code of each stair; six floors each."""
    apartments = []
    for number, stairs in enumerate(layout, start=1):
        building = Building.objects.create(
            estate=estate, code=f"{number}", sequence=number, floors=6
        )
        for stair_number, type_code in enumerate(stairs, start=1):
            stair = Stair.objects.create(building=building, code=str(stair_number))
            for floor in range(1, 7):
                apartments.append(
                    Apartment.objects.create(
                        project=estate.project,
                        estate=estate,
                        building=building,
                        stair=stair,
                        code=f"{estate.code}-{number}-{stair_number}-{floor}01",
                        floor=floor,
                        area=types[type_code].nominal_area + Decimal("0.37"),
                        apartment_type=types[type_code],
                        tier=tier_of(floor),
                    )
                )
    return apartments


def build_lottery_project(
    actor,
    *,
    communities: int = 2,
    groups_per_community: int = 2,
    households_per_group: int = 3,
    published: bool = True,
) -> LotteryProject:
    """Communities C1, C2…; groups G11, G12, G21…; households H<community><group><n>,
    demands cycling through DEMANDS; estate E1 with 24 apartments (12 × T90, 6 × T60,
    6 × T120), enough for the default 12 households. `published`: the households appear in an
    entitlement roster whose period has ended, as the lottery gate asks
    (tests.publicity.factories.publish_roster_ended)."""
    project = ProjectFactory()
    types = {
        code: ApartmentType.objects.create(
            project=project, code=code, name=name, nominal_area=Decimal(area)
        )
        for code, (name, area) in TYPES.items()
    }
    made_communities, groups, households = [], [], []
    for c in range(1, communities + 1):
        community = Community.objects.create(project=project, code=f"C{c}", name=f"南宫河{c}村")
        made_communities.append(community)
        for g in range(1, groups_per_community + 1):
            group = VillagerGroup.objects.create(
                project=project, community=community, code=f"G{c}{g}", name=f"{c}村第{g}组"
            )
            groups.append(group)
            for n in range(households_per_group):
                households.append(
                    make_participant(
                        group,
                        f"H{c}{g}{n + 1:02d}",
                        DEMANDS[n % len(DEMANDS)],
                        actor=actor,
                        types=types,
                    )
                )
    estate = make_estate(project)
    apartments = make_apartments(estate, types, [["T90", "T60"], ["T120", "T90"]])
    if published:
        publish_roster_ended(project)
    return LotteryProject(project, made_communities, groups, households, estate, types, apartments)


def public_source_tomorrow() -> dict:
    """A 福彩3D draw held tomorrow: a public value that does not exist yet (docs/lottery.md
    §13a), as the leader names it on the new-session form."""
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    return {"kind": "welfare_lottery", "game": "福彩3D", "draw": "2026330", "date": tomorrow}


def public_source_form_fields() -> dict:
    """`public_source_tomorrow` as the new-session form posts it."""
    source = public_source_tomorrow()
    return {
        "public_source_kind": source["kind"],
        "public_game": source["game"],
        "public_draw": source["draw"],
        "public_date": source["date"],
    }


# The value `start_drawing` enters for a session that waits for its public value.
PUBLIC_VALUE = "3 8 1"


def create_session(
    lp: LotteryProject, leader, *, code: str = "S1", mode: str = "direct", **kwargs
) -> LotterySession:
    """A session through the service. A binding session is rs-lottery-v2 and names
    tomorrow's 福彩3D draw unless the test names its own source; `legacy_v1=True` builds a
    v1 session as they were made before v2 (for the tests of v1 verification)."""
    kwargs.setdefault("communities", lp.communities)
    if not kwargs.get("rehearsal") and not kwargs.get("legacy_v1"):
        kwargs.setdefault("public_source", public_source_tomorrow())
    return lottery_session_create(
        actor=leader,
        project=lp.project,
        estate=lp.estate,
        code=code,
        title=f"{code} 摇号",
        mode=mode,
        **kwargs,
    )


def start_drawing(
    session: LotterySession, notary, *, entropy: str = "3 5 1 6 2 4"
) -> LotterySession:
    """Confirm the snapshots as the notary saw them and enter the entropy (and, for a v2
    session, the public value as published: `PUBLIC_VALUE`)."""
    lottery_session_confirm(
        actor=notary,
        session=session,
        participants_sha256=session.participants_sha256,
        inventory_sha256=session.inventory_sha256,
    )
    session = lottery_session_enter_entropy(actor=notary, session=session, witness_entropy=entropy)
    if session.waits_for_public_value:
        session = lottery_session_enter_public_value(
            actor=notary, session=session, value=PUBLIC_VALUE
        )
    return session


def pick_all(session: LotterySession, operator) -> None:
    """Choose mode: every household picks, in turn, the first free apartments of its types."""
    from lottery.selectors.sessions import session_state

    while True:
        session.refresh_from_db()
        state = session_state(session, public=False)
        picker = state["next_picker"]
        if picker is None:
            return
        wanted = dict(picker["demand"])
        codes = []
        for apartment in picker["free_apartments"]:
            if wanted.get(apartment["type"], 0) > 0:
                wanted[apartment["type"]] -= 1
                codes.append(apartment["code"])
        lottery_pick(
            actor=operator,
            session=session,
            household=Household.objects.get(project=session.project, code=picker["household"]),
            apartment_codes=codes,
            expected_sequence=picker["sequence"],
        )


def clear_lottery_before_flush() -> None:
    """Let a transactional test's closing flush empty the lottery tables on SQLite.

    On SQLite the flush deletes row by row and the signed-session triggers refuse (on
    PostgreSQL the flush is a TRUNCATE, which row triggers do not see). So: lift the
    triggers, delete the lottery rows, and put the triggers back as the migration made them.
    """
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    frozen = importlib.import_module("lottery.migrations.0003_signed_sessions_are_frozen")
    names = ["lottery_session_frozen", "lottery_session_no_delete"] + [
        f"{table}_frozen_{event}"
        for table, _column in frozen.CHILD_COLUMNS
        for event in ("insert", "update", "delete")
    ]
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table, _column in frozen.CHILD_COLUMNS:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (the migration's tables)
        cursor.execute("UPDATE lottery_lotterysession SET replaces_id = NULL")
        cursor.execute("DELETE FROM lottery_lotterysession")
        for statement in frozen.SQLITE:
            cursor.execute(statement)
