"""The housing and lottery stage of the demo data (`seed_demo`), carried out through the
services after the publicity stage, as the demo users would on allocation day (seed 000:
housing to the village, packaging to the group, lottery to the household; seed 001: drills
before the real day):

- `leader` sets up the housing stock: four apartment types (60, 75, 90 and 120 m²), the
  estate E1 with its floor rule (floors 1–2 and 11 tier C, 3–4 and 9–10 B, 5–8 A) and its
  apartments, imported from a spreadsheet as the office would (`apartments_import`):
  eleven-floor buildings of two stairs with two apartments a landing, each column of
  apartments one type from the ground floor to the top, the types spread along the
  estate's housing orientation, enough for every demand and about 8 % to spare;
- for every approved household the clerk who registered it enters the apartment-type
  combination the family chose (`demand_choose`): one of the combinations closest to its
  entitlement, some over it within the cap, some under (a household where nobody qualified
  has nothing to choose); `leader` locks them
  (`demand_lock`, four-eyes: not the one who entered them);
- a drill: `leader` opens a rehearsal session, `notary` confirms the snapshots and enters
  the witnesses' dice, `operator` draws everything and `notary` signs it off — practice,
  never binding or published;
- the real day: `leader` opens the binding session YH2013-01 (direct assignment, the
  village order drawn; an rs-lottery-v1 session, made through the service's `legacy_v1`
  route as sessions were before v2, to show that those still verify), `notary` confirms
  and enters the entropy, `operator` checks in most households
  (by the notice's lookup code, some by the head's ID number) and draws; the absent ones
  are drawn by proxy (代摇); `notary` signs off with the witnesses, and the bundle is
  verified before the stage ends. The smallest community is drawn after it in a second
  session (YH2013-01B) under rs-lottery-v2: `leader` names that evening's 福彩3D draw when
  creating it, and `notary` enters its numbers (made up: the demo cannot look them up)
  besides the dice; that bundle is verified too;
- once each binding session is signed, a clerk starts its result notices (分房结果通知书,
  with each household's apartments and lottery receipt) for the first villager group it
  allocated to (`notices_render_start`, rendered by Celery after the seeding commits), so
  the notices page has a batch of them to download; the other groups' are a click away;
- after the lottery day, households the leader approves late (reviewed before, approved
  only now): the first is posted in a supplementary entitlement roster of its community
  (补充公示, period running), the second in none yet: its supplementary roster, drafted
  by `leader2`, waits in the leader's inbox to be checked and published; their choices
  are entered and locked, and
  the leader's attempt to open a second session for them is refused by the lottery gate
  (lottery.gates: "not yet through publicity"), the refusal printed in the summary and
  both households listed on the new-session page as held back, with the reason; the third
  family chooses monetised resettlement instead (recorded in the settlement stage).

The inputs are deterministic for a given seed (the same apartments, choices, check-ins and
entropy); the draw itself is not: the server secret comes from `secrets`, as DESIGN §5
requires — nobody, the demo included, can choose it. Runs inside seed_demo's transaction.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import tablib
from django.db import transaction

from allocation.models import Apartment, AreaFit, Demand
from allocation.resources import HEADERS, apartments_import
from allocation.services import demands as allocation_demands
from allocation.services import estates
from demo import dates
from demo import households as demo_households
from demo.households import MAIN_PROJECT_CODE, missing_users, ready_users
from demo.publicity import PRINTER, draft_supplement, publish_supplement
from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from lottery.models import Allocation, LotterySession, SessionMode
from lottery.services import check_in, draws, sessions, sign_off
from lottery.verification import verify_bundle
from publicity.models import NoticeType, RenderJob
from publicity.services import notices
from resettlement import periods
from resettlement.errors import RuleViolation

ESTATE_CODE = "E1"
ESTATE_NAME = "南宫河农民多高层公寓"
ORIENTATION = "自南向北、由东向西:1幢在南端东侧,依次编号"
# (code, name, nominal area, built area)
TYPES = (
    ("T60", "一室一厅(60㎡)", "60.00", "61.72"),
    ("T75", "两室一厅(75㎡)", "75.00", "76.35"),
    ("T90", "两室两厅(90㎡)", "90.00", "91.48"),
    ("T120", "三室两厅(120㎡)", "120.00", "121.06"),
)
FLOORS, STAIRS, PER_LANDING = 11, 2, 2
BANDS = (("C", 1, 2), ("B", 3, 4), ("A", 5, 8), ("B", 9, 10), ("C", 11, 11))
SPARE = Decimal("0.08")
# A household chooses at most this many apartments.
MOST_APARTMENTS = 3
# About this share of households come to the hall; the others are drawn by proxy.
PRESENT = 0.85
WITNESSES = "村民代表:王建华、李春生、张桂英;纪检监督员:陈国庆;公证处:见上"
REHEARSAL_WITNESSES = "演练见证:村民代表王建华、李春生"
# Who acts in the hall; not among demo.households' actors, so checked here.
HALL_ROLES = {"operator": "lottery.operate_session", "notary": "lottery.witness_session"}


@dataclass
class LotterySummary:
    estate: str
    apartments: int
    types: dict[str, int]
    demands: Counter
    rehearsal: LotterySession
    session: LotterySession
    check_ins: int
    proxies: int
    late: list[str] = field(default_factory=list)
    refused: str = ""
    # The second session of the day, rs-lottery-v2 (None when only one community takes part).
    v2: LotterySession | None = None
    # Result notices started, one batch (one villager group) per binding session, by its code.
    result_notices: dict[str, RenderJob] = field(default_factory=dict)

    def lines(self) -> list[str]:
        fits = self.demands
        late = [
            f"  approved after the rosters: {', '.join(self.late)}",
            f"  session {MAIN_PROJECT_CODE}-02 refused: {self.refused}",
        ]
        return [
            f"{MAIN_PROJECT_CODE} housing and lottery",
            f"  estate {self.estate}: {self.apartments} apartments "
            f"({', '.join(f'{t} {n}' for t, n in sorted(self.types.items()))})",
            f"  demands locked: {sum(fits.values())} (within {fits[AreaFit.WITHIN]}, "
            f"over {fits[AreaFit.OVER]}, under {fits[AreaFit.UNDER]})",
            f"  rehearsal {self.rehearsal.code}: signed, practice only",
            f"  session {self.session.code}: signed, {len(self.session.participants)} households "
            f"({self.check_ins} checked in, {self.proxies} by proxy), "
            f"bundle SHA-256 {self.session.bundle_sha256[:16]}…",
            *(
                [
                    f"  session {self.v2.code}: signed, rs-lottery-v2, "
                    f"{len(self.v2.participants)} households, public value named in advance "
                    f"{self.v2.public_source['game']} {self.v2.public_source['draw']} "
                    f"({self.v2.public_source['date']}): {self.v2.public_value}"
                ]
                if self.v2
                else []
            ),
            *(
                [
                    "  result notices (分房结果通知书) started: "
                    + ", ".join(
                        f"{code} {job.parts.get().label}"
                        for code, job in self.result_notices.items()
                    )
                ]
                if self.result_notices
                else []
            ),
            *(late if self.late else []),
        ]


def missing_hall_users() -> list[str]:
    return missing_users(HALL_ROLES)


def hall_users(users: dict) -> dict:
    """`users` with the operator and notary added; DemoUsersMissing when they are not ready."""
    return {**users, **ready_users(HALL_ROLES)}


# -- housing --------------------------------------------------------------------------------


def _combinations(areas: dict[str, Decimal]) -> list[tuple[Decimal, tuple[str, ...]]]:
    """Every combination of one to MOST_APARTMENTS apartments, with its nominal area."""
    combos = []
    for n in range(1, MOST_APARTMENTS + 1):
        for combo in itertools.combinations_with_replacement(sorted(areas), n):
            combos.append((sum(areas[t] for t in combo), combo))
    return combos


def _choice(entitlement: Decimal, combos, cap: Decimal, rng: random.Random) -> dict[str, int]:
    """One of the three combinations closest to the entitlement that stay within the cap,
    fewer apartments first among equals; at random, so some are over and some under."""
    fitting = [(area, combo) for area, combo in combos if area - entitlement <= cap]
    fitting.sort(key=lambda pair: (abs(pair[0] - entitlement), len(pair[1]), pair[1]))
    _area, combo = rng.choice(fitting[:3])
    return dict(Counter(combo))


def _choose_demands(project: Project, users: dict, rng: random.Random) -> Counter:
    """The registering clerk enters each approved household's choice; returns the demand
    in apartments per type. A household where nobody qualified (0.00 ㎡) has nothing to
    choose and takes no part in the lottery."""
    types = {code: Decimal(nominal) for code, _name, nominal, _built in TYPES}
    combos = _combinations(types)
    cap = allocation_demands.allocation_policy_of(project).over_area_cap
    clerks = {users["clerk"].pk: users["clerk"], users["clerk2"].pk: users["clerk2"]}
    wanted: Counter = Counter()
    households = Household.objects.filter(
        project=project, status=HouseholdStatus.APPROVED, entitlement_area__gt=0
    ).order_by("code")
    for household in households:
        items = _choice(household.entitlement_area, combos, cap, rng)
        clerk = clerks.get(household.registered_by_id, users["clerk"])
        allocation_demands.demand_choose(actor=clerk, household=household, items=items)
        wanted.update(items)
    return wanted


def _apartment_rows(wanted: Counter) -> list[list]:
    """The estate as a spreadsheet: each column of apartments (one stair's landing position
    from the ground floor to the top) is one type; columns of each type spread evenly
    along the orientation."""
    built = {code: area for code, _name, _nominal, area in TYPES}
    columns = {
        code: max(1, -(-int(n * (1 + SPARE)) // FLOORS)) for code, n in sorted(wanted.items())
    }
    order = sorted(
        ((k + 0.5) / n, code) for code, n in columns.items() for k in range(n)
    )  # interleaved
    per_building = STAIRS * PER_LANDING
    rows = []
    for index, (_place, code) in enumerate(order):
        building, slot = divmod(index, per_building)
        stair, landing = divmod(slot, PER_LANDING)
        for floor in range(1, FLOORS + 1):
            rows.append(
                [
                    ESTATE_CODE,
                    str(building + 1),
                    building + 1,
                    FLOORS,
                    str(stair + 1),
                    f"{ESTATE_CODE}-{building + 1}-{stair + 1}-{floor:02d}{landing + 1:02d}",
                    floor,
                    built[code],
                    code,
                    "",
                ]
            )
    return rows


def _housing(project: Project, leader):
    """The apartment types and the estate with its floor rule (apartments come later, once
    the demands say how many)."""
    for code, name, nominal, _built in TYPES:
        estates.apartment_type_create(
            actor=leader, project=project, code=code, name=name, nominal_area=nominal
        )
    return estates.estate_create(
        actor=leader,
        project=project,
        code=ESTATE_CODE,
        name=ESTATE_NAME,
        address="余杭经济技术开发区南宫河路",
        orientation=ORIENTATION,
        bands=[estates.Band(tier, low, high) for tier, low, high in BANDS],
    )


def _import_apartments(project: Project, leader, wanted: Counter) -> int:
    dataset = tablib.Dataset(headers=list(HEADERS))
    for row in _apartment_rows(wanted):
        dataset.append(row)
    report = apartments_import(actor=leader, project=project, dataset=dataset)
    if not report.ok:
        raise RuntimeError(f"demo apartments refused: {report.problems[:3]}")
    return report.apartments


# -- the sessions ---------------------------------------------------------------------------


def _dice(rng: random.Random, throws: int = 12) -> str:
    """What the residents' representatives called out, throwing a die on the stage."""
    return " ".join(str(rng.randint(1, 6)) for _ in range(throws))


def _drawing_communities(project) -> list[Community]:
    return list(
        Community.objects.filter(project=project, households__demand__isnull=False)
        .distinct()
        .order_by("code")
    )


def _v2_community(project) -> Community | None:
    """The community drawn in the day's second session (rs-lottery-v2): the one with the
    fewest households that chose apartments (ties by code); none when only one takes part."""
    communities = _drawing_communities(project)
    if len(communities) < 2:
        return None
    sizes = Counter(
        Demand.objects.filter(project=project).values_list("household__community_id", flat=True)
    )
    return min(communities, key=lambda c: (sizes[c.pk], c.code))


def _welfare_draw_today() -> dict[str, str]:
    """The 福彩3D draw of the lottery day, named when the session is created (it is drawn
    that evening; its number here is the day of the year, as the demo cannot look it up)."""
    today = periods.today()
    return {
        "kind": "welfare_lottery",
        "game": "福彩3D",
        "draw": f"{today.year}{today.timetuple().tm_yday:03d}",
        "date": today.isoformat(),
    }


def _session(
    project,
    estate,
    users,
    *,
    code,
    title,
    rehearsal,
    rng,
    communities=None,
    public_source=None,
    legacy_v1=False,
) -> LotterySession:
    if communities is None:
        communities = _drawing_communities(project)
    session = sessions.lottery_session_create(
        actor=users["leader"],
        project=project,
        estate=estate,
        communities=communities,
        code=code,
        title=title,
        mode=SessionMode.DIRECT,
        rehearsal=rehearsal,
        public_source=public_source,
        legacy_v1=legacy_v1,
    )
    sessions.lottery_session_confirm(
        actor=users["notary"],
        session=session,
        participants_sha256=session.participants_sha256,
        inventory_sha256=session.inventory_sha256,
    )
    return sessions.lottery_session_enter_entropy(
        actor=users["notary"], session=session, witness_entropy=_dice(rng)
    )


def _v2_session(project, estate, users, community, rng: random.Random) -> LotterySession:
    """The day's second session, for one community, under rs-lottery-v2: `leader` names the
    evening's 福彩3D draw when creating it; `notary` confirms, enters the hall's dice and,
    once the draw is out, its numbers (made up here); the draws and sign-off as before."""
    session = _session(
        project,
        estate,
        users,
        code=f"{MAIN_PROJECT_CODE}-01B",
        title=f"{ESTATE_NAME}分房摇号 第一场(续):{community.name}",
        rehearsal=False,
        rng=rng,
        communities=[community],
        public_source=_welfare_draw_today(),
    )
    numbers = " ".join(str(rng.randint(0, 9)) for _ in range(3))
    session = sessions.lottery_session_enter_public_value(
        actor=users["notary"], session=session, value=numbers
    )
    _check_in(session, users["operator"], rng)
    draws.lottery_draw_remaining(actor=users["operator"], session=session)
    session = sign_off.lottery_session_sign_off(
        actor=users["notary"], session=session, witnesses=WITNESSES
    )
    _verified(session)
    return session


def _check_in(session: LotterySession, operator, rng: random.Random) -> int:
    """Most households come; the operator checks them in by the notice's lookup code, or
    for one in five by the head's ID number (the notice left at home)."""
    codes = [p["code"] for p in session.participants]
    households = {
        h.code: h for h in Household.objects.filter(project=session.project_id, code__in=codes)
    }
    heads = {
        m.household_id: m
        for m in Member.objects.filter(
            household__in=list(households.values()), relation=Relation.HEAD
        )
    }
    present = 0
    for code in codes:
        if rng.random() >= PRESENT:
            continue
        household = households[code]
        head = heads.get(household.pk)
        by_id = head is not None and rng.random() < 0.2
        check_in.lottery_check_in(
            actor=operator,
            session=session,
            credential=head.id_number if by_id else household.lookup_code,
            attendee=head.name if head else household.code,
            identity_confirmed=True,
        )
        present += 1
    return present


def _verified(session: LotterySession) -> None:
    problems = verify_bundle(session.bundle)
    if problems:
        raise RuntimeError(f"the demo session's bundle does not verify: {problems[:3]}")


# -- after the lottery day: households approved late ----------------------------------------

# Said by the leader approving a household after the project's rosters were posted.
LATE_OPINION = "补充材料已核实,同意按政策安置;须经公示期满后参加下一场摇号。"
LATE = 3


def _late_candidates(project: Project) -> list[Household]:
    """Households reviewed but not yet approved, those with someone who qualified first
    (they will choose apartments), in code order: the leader approves `LATE` of them."""
    reviewed = list(
        Household.objects.filter(project=project, status=HouseholdStatus.REVIEWED).order_by("code")
    )
    passed = set(
        Member.objects.filter(
            household__in=reviewed, review_status=ReviewStatus.PASSED
        ).values_list("household_id", flat=True)
    )
    return sorted(reviewed, key=lambda h: h.pk not in passed)[:LATE]


def _approve_late(household: Household, users: dict, rng: random.Random) -> Household:
    """Approved now, after the rosters; the clerk enters the family's choice, the leader
    locks it (four-eyes)."""
    household = demo_households.approve(
        leader=users["leader"], household=household, opinion=LATE_OPINION
    )
    if household.entitlement_area > 0:
        types = {code: Decimal(nominal) for code, _name, nominal, _built in TYPES}
        cap = allocation_demands.allocation_policy_of(household.project).over_area_cap
        items = _choice(household.entitlement_area, _combinations(types), cap, rng)
        clerk = users["clerk2"] if household.registered_by_id == users["clerk2"].pk else None
        allocation_demands.demand_choose(
            actor=clerk or users["clerk"], household=household, items=items
        )
        allocation_demands.demand_lock(
            actor=users["leader"], project=household.project, households=[household]
        )
    return household


def _refused_session(project: Project, estate, users: dict, late: list[Household]) -> str:
    """The leader tries to open a second session for the late households' communities; the
    lottery gate refuses (they are not through publicity). Returns the refusal's message."""
    communities = Community.objects.filter(pk__in={h.community_id for h in late})
    try:
        with transaction.atomic():
            sessions.lottery_session_create(
                actor=users["leader"],
                project=project,
                estate=estate,
                communities=communities,
                code=f"{MAIN_PROJECT_CODE}-02",
                title=f"{ESTATE_NAME}分房摇号 第二场",
                mode=SessionMode.DIRECT,
                public_source=_welfare_draw_today(),
            )
    except RuleViolation as refusal:
        if refusal.code != "not_cleared_by_publicity":
            raise
        return refusal.message
    raise RuntimeError("the lottery gate let households through before their publicity ended")


def _late_approvals(project: Project, estate, users: dict, rng: random.Random):
    """Three households approved after the lottery day (the module docstring): returns them
    and the refusal of the session the leader tried to open for the first two."""
    candidates = _late_candidates(project)
    if len(candidates) < 2:
        return [], ""
    first = _approve_late(candidates[0], users, rng)
    publish_supplement(users, first, dates.days_ago(dates.SUPPLEMENT_STARTS))
    second = _approve_late(candidates[1], users, rng)
    draft_supplement(second, periods.today())
    drawn = [h for h in (first, second) if h.entitlement_area > 0]
    refused = _refused_session(project, estate, users, drawn) if drawn else ""
    late = [first, second]
    if len(candidates) > 2:
        # The family chooses monetised resettlement (货币化安置): it chooses no apartments.
        late.append(
            demo_households.approve(
                leader=users["leader"], household=candidates[2], opinion=LATE_OPINION
            )
        )
    return late, refused


def seed_lottery(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> LotterySummary:
    """Housing stock, demands, a signed rehearsal and a signed binding session for the main
    demo project (see the module docstring). Precondition: the registry (and publicity)
    stages have run in this transaction."""
    rng = random.Random(f"{seed}:lottery")
    users = hall_users(users)
    leader, operator, notary = users["leader"], users["operator"], users["notary"]
    project = Project.objects.get(code=MAIN_PROJECT_CODE)

    estate = _housing(project, leader)
    wanted = _choose_demands(project, users, rng)
    locked = allocation_demands.demand_lock(actor=leader, project=project)
    progress(f"  {MAIN_PROJECT_CODE}: {locked} apartment-type choices entered and locked")
    apartments = _import_apartments(project, leader, wanted)
    progress(f"  {MAIN_PROJECT_CODE}: estate {ESTATE_CODE}, {apartments} apartments imported")

    rehearsal = _session(
        project,
        estate,
        users,
        code=f"{MAIN_PROJECT_CODE}-R1",
        title=f"{ESTATE_NAME}分房摇号 演练",
        rehearsal=True,
        rng=rng,
    )
    draws.lottery_draw_remaining(actor=operator, session=rehearsal)
    rehearsal = sign_off.lottery_session_sign_off(
        actor=notary, session=rehearsal, witnesses=REHEARSAL_WITNESSES
    )
    progress(f"  {MAIN_PROJECT_CODE}: rehearsal {rehearsal.code} drawn and signed")

    second = _v2_community(project)
    session = _session(
        project,
        estate,
        users,
        code=f"{MAIN_PROJECT_CODE}-01",
        title=f"{ESTATE_NAME}分房摇号 第一场",
        rehearsal=False,
        rng=rng,
        communities=[c for c in _drawing_communities(project) if c != second],
        # Made as binding sessions were before rs-lottery-v2 (the service's documented
        # legacy route, which the form and the API never take): the demo keeps one v1
        # session to show that sessions created before v2 still verify.
        legacy_v1=True,
    )
    check_ins = _check_in(session, operator, rng)
    draws.lottery_draw_remaining(actor=operator, session=session)
    session = sign_off.lottery_session_sign_off(actor=notary, session=session, witnesses=WITNESSES)
    _verified(session)
    progress(f"  {MAIN_PROJECT_CODE}: lottery {session.code} signed off, bundle verified")
    v2 = _v2_session(project, estate, users, second, rng) if second else None
    if v2:
        progress(f"  {MAIN_PROJECT_CODE}: lottery {v2.code} (rs-lottery-v2) signed off, verified")
    result_notices = {
        signed.code: _start_result_notices(users[PRINTER], signed)
        for signed in (session, v2)
        if signed is not None
    }
    progress(f"  {MAIN_PROJECT_CODE}: result notices started for {len(result_notices)} sessions")
    late, refused = _late_approvals(project, estate, users, rng)

    fits = Counter(
        Demand.objects.filter(project=project).values_list("area_fit", flat=True).order_by()
    )
    return LotterySummary(
        estate=ESTATE_CODE,
        apartments=apartments,
        types=_type_counts(estate),
        demands=fits,
        rehearsal=rehearsal,
        session=session,
        check_ins=check_ins,
        proxies=len(session.participants) - check_ins,
        late=[h.code for h in late],
        refused=refused,
        v2=v2,
        result_notices=result_notices,
    )


def _start_result_notices(actor, session: LotterySession) -> RenderJob:
    """The signed session's result notices (分房结果通知书) for the first villager group it
    allocated apartments to, started by a clerk as from the notices page; Celery renders
    them after the seeding commits (in the embedded setup, at once)."""
    first = (
        Allocation.objects.filter(session=session, binding=True)
        .order_by("household__group__code")
        .values_list("household__group_id", flat=True)
        .first()
    )
    return notices.notices_render_start(
        actor=actor,
        project=session.project,
        notice_type=NoticeType.RESULT,
        groups=[VillagerGroup.objects.get(pk=first)],
    )


def _type_counts(estate) -> dict[str, int]:
    return dict(
        Counter(
            Apartment.objects.filter(estate=estate)
            .values_list("apartment_type__code", flat=True)
            .order_by()
        )
    )
