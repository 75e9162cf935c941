"""A whole lottery session for 5,000 households, through the services, against bare inserts.

Set-up (not measured): a project of 5,000 approved households in 10 communities × 5
villager groups × 100 households (made in bulk with bench/_render_setup.py), each with a
locked demand of one or two apartments (four apartment types, mixed within every group),
and an estate whose apartments cover every demand with a few percent to spare, tiered by a
floor rule A/B/C.

Measured:

1. the real service path, as a lottery day runs it: `lottery_session_create` (leader:
   secret, commitment, snapshots) → `lottery_session_confirm` (notary) →
   `lottery_session_enter_entropy` and `lottery_session_enter_public_value` (notary: the
   hall's entropy and the public value named at creation — rs-lottery-v2, docs/lottery.md
   §13a; seed, every step drawn) →
   `lottery_draw_remaining` (operator: every reveal and every apartment saved, absent
   households marked proxy);
2. the baseline, in the same run and database: the same Reveal and Allocation rows written
   by a bare `bulk_create` (the rows the service saved, copied, deleted and inserted again
   in one transaction before sign-off, under the same constraints and triggers; building
   the model instances is measured too).

Then the notary signs off and the bundle is verified twice: with `verify_bundle` in this
process, and with `docs/verify_lottery.py` (standard library only) in a fresh Python.

Targets: the draw — computed and saved: entering the entropy (seed and every step's order)
and revealing every draw (the mapping to apartments, reveals and allocations saved) — at
most 2× the baseline; verifying the bundle under 2 seconds. Creating and confirming the
session (the snapshots, taken before anything is drawn) are printed too, with the ratio of
the whole path for comparison.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from allocation.models import (
    AllocationPolicy,
    Apartment,
    ApartmentType,
    Building,
    Demand,
    DemandItem,
    DemandStatus,
    Estate,
    FloorTier,
    Stair,
)
from bench._render_setup import approved_project, bench_user
from households.models import Community, Household
from publicity.services import publications
from resettlement.roles import ensure_roles

COMMUNITIES = int(os.environ.get("BENCH_LOTTERY_COMMUNITIES", "10"))
GROUPS = int(os.environ.get("BENCH_LOTTERY_GROUPS", "5"))
PER_GROUP = int(os.environ.get("BENCH_LOTTERY_PER_GROUP", "100"))
HOUSEHOLDS = COMMUNITIES * GROUPS * PER_GROUP
TARGET_RATIO = 2.0
TARGET_VERIFY = 2.0
SPARE = 0.03  # apartments beyond the demand, spread along the estate
FLOORS, STAIRS, PER_STAIR = 18, 2, 2
BANDS = (("C", 1, 2), ("B", 3, 5), ("A", 6, 12), ("B", 13, 15), ("C", 16, 18))
# (code, name, nominal area, built area)
TYPES = (
    ("T60", "60㎡一室", "60.00", "61.35"),
    ("T75", "75㎡两室", "75.00", "76.20"),
    ("T90", "90㎡两室", "90.00", "91.48"),
    ("T120", "120㎡三室", "120.00", "121.06"),
)
TYPES_BY_CODE = {t[0]: t for t in TYPES}
# Household sizes cycle; each size's demand (1–2 apartments) fits its entitlement of 50 ㎡
# a person within the 15 ㎡ cap (some over, some under).
SIZES = (3, 2, 4, 3, 1, 5, 3, 3, 2, 4)
DEMANDS = {
    1: {"T60": 1},
    2: {"T90": 1},
    3: {"T75": 2},
    4: {"T90": 1, "T120": 1},
    5: {"T120": 2},
}


def _sizes() -> list[int]:
    # Households go round-robin to the groups (h % groups); shifting the cycle by h // groups
    # gives every group every size, so every group has several demand classes.
    groups = COMMUNITIES * GROUPS
    return [SIZES[(h // groups) % len(SIZES)] for h in range(HOUSEHOLDS)]


def _demands(project, sizes: list[int], clerk, leader) -> Counter:
    types = {t.code: t for t in ApartmentType.objects.filter(project=project)}
    households = list(Household.objects.filter(project=project).order_by("pk"))
    now = timezone.now()
    demands, wanted = [], Counter()
    for household, size in zip(households, sizes, strict=True):
        demand = DEMANDS[size]
        chosen = sum(Decimal(TYPES_BY_CODE[t][2]) * n for t, n in demand.items())
        entitlement = household.entitlement_area
        difference = chosen - entitlement
        demands.append(
            Demand(
                household=household,
                project=project,
                status=DemandStatus.LOCKED,
                entitlement_area=entitlement,
                chosen_area=chosen,
                area_difference=difference,
                area_fit="over" if difference > 0 else "under" if difference < 0 else "within",
                chosen_by=clerk,
                chosen_at=now,
                locked_by=leader,
                locked_at=now,
            )
        )
        wanted.update(demand)
    Demand.objects.bulk_create(demands, batch_size=1000)
    items = [
        DemandItem(demand=demand, apartment_type=types[t], count=n)
        for demand, size in zip(demands, sizes, strict=True)
        for t, n in DEMANDS[size].items()
    ]
    DemandItem.objects.bulk_create(items, batch_size=2000)
    return wanted


def _tier(floor: int) -> str:
    return next(tier for tier, low, high in BANDS if low <= floor <= high)


def _estate(project, wanted: Counter) -> Estate:
    """Enough apartments of each type, the types interleaved along the orientation so every
    stretch of the estate has each type on every tier."""
    estate = Estate.objects.create(
        project=project, code="E1", name="南宫河安置小区", orientation="由南向北"
    )
    FloorTier.objects.bulk_create(
        FloorTier(estate=estate, tier=tier, floor_from=low, floor_to=high)
        for tier, low, high in BANDS
    )
    types = {t.code: t for t in ApartmentType.objects.filter(project=project)}
    counts = {t: n + max(1, int(n * SPARE)) for t, n in wanted.items()}
    # Interleave: the k-th apartment of type t sits at (k + 0.5) / count along the estate.
    sequence = sorted(((k + 0.5) / n, t) for t, n in sorted(counts.items()) for k in range(n))
    per_building = FLOORS * STAIRS * PER_STAIR
    buildings = [
        Building(estate=estate, code=str(b + 1), sequence=b + 1, floors=FLOORS)
        for b in range(-(-len(sequence) // per_building))
    ]
    Building.objects.bulk_create(buildings)
    stairs = [Stair(building=b, code=str(s + 1)) for b in buildings for s in range(STAIRS)]
    Stair.objects.bulk_create(stairs)
    apartments = []
    slots = (
        (stairs[b * STAIRS + s], building, floor, n)
        for b, building in enumerate(buildings)
        for s in range(STAIRS)
        for floor in range(1, FLOORS + 1)
        for n in range(1, PER_STAIR + 1)
    )
    for (_place, code), (stair, building, floor, n) in zip(sequence, slots, strict=False):
        apartments.append(
            Apartment(
                project=project,
                estate=estate,
                building=building,
                stair=stair,
                code=f"E1-{building.code}-{stair.code}-{floor:02d}{n:02d}",
                floor=floor,
                area=Decimal(TYPES_BY_CODE[code][3]),
                apartment_type=types[code],
                tier=_tier(floor),
            )
        )
    Apartment.objects.bulk_create(apartments, batch_size=2000)
    return estate


def _setup():
    ensure_roles()
    clerk = bench_user("bench_clerk", "clerk")
    reviewer = bench_user("bench_reviewer", "reviewer")
    leader = bench_user("bench_leader", "leader")
    notary = bench_user("bench_notary", "notary")
    operator = bench_user("bench_operator", "operator")
    sizes = _sizes()
    project = approved_project(
        "LOT",
        sizes,
        communities=COMMUNITIES,
        groups_per_community=GROUPS,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    AllocationPolicy.objects.get_or_create(project=project)
    for code, name, nominal, _built in TYPES:
        ApartmentType.objects.create(
            project=project, code=code, name=name, nominal_area=Decimal(nominal)
        )
    wanted = _demands(project, sizes, clerk, leader)
    estate = _estate(project, wanted)
    _roster_published_and_ended(project, leader)
    return project, estate, leader, notary, operator


def _roster_published_and_ended(project, leader) -> None:
    """The lottery gate (lottery.gates) takes only households shown in an entitlement roster
    whose period has ended: one drafted by a second leader and published by the first 40 days
    ago (set-up, not timed)."""
    drafter = bench_user("bench_leader2", "leader")
    with time_machine.travel(timezone.now() - dt.timedelta(days=40), tick=False):
        made = publications.publication_create(actor=drafter, project=project, kind="entitlement")
        publications.publication_publish(actor=leader, publication=made)


def _service_path(project, estate, leader, notary, operator):
    from lottery.services.draws import lottery_draw_remaining
    from lottery.services.sessions import (
        lottery_session_confirm,
        lottery_session_create,
        lottery_session_enter_entropy,
        lottery_session_enter_public_value,
    )

    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    times = {}
    started = time.perf_counter()
    session = lottery_session_create(
        actor=leader,
        project=project,
        estate=estate,
        communities=list(Community.objects.filter(project=project).order_by("code")),
        code="LOT-01",
        title="南宫河安置小区第一场摇号(基准测试)",
        mode="direct",
        public_source={"kind": "welfare_lottery", "game": "福彩3D", "draw": "1", "date": tomorrow},
    )
    times["create (secret, snapshots)"] = time.perf_counter() - started
    mark = time.perf_counter()
    session = lottery_session_confirm(
        actor=notary,
        session=session,
        participants_sha256=session.participants_sha256,
        inventory_sha256=session.inventory_sha256,
    )
    times["confirm"] = time.perf_counter() - mark
    mark = time.perf_counter()
    session = lottery_session_enter_entropy(
        actor=notary, session=session, witness_entropy="3 1 4 1 5 9 2 6"
    )
    session = lottery_session_enter_public_value(actor=notary, session=session, value="3 8 1")
    times["enter entropy and public value (seed, steps)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    drawn = lottery_draw_remaining(actor=operator, session=session)
    times["draw remaining (reveals, allocations)"] = time.perf_counter() - mark
    total = time.perf_counter() - started
    draw = (
        times["enter entropy and public value (seed, steps)"]
        + times["draw remaining (reveals, allocations)"]
    )
    return session, drawn, draw, total, times


def _baseline(session) -> tuple[float, int, int]:
    """The same Reveal and Allocation rows, deleted and written again with bulk_create."""
    from lottery.models import Allocation, Reveal

    reveal_fields = ("position", "step_label", "rank", "participant", "proxy", "revealed_by_id")
    allocation_fields = (
        "household_id",
        "apartment_id",
        "binding",
        "proxy",
        "sequence",
        "created_by_id",
    )
    reveals = list(Reveal.objects.filter(session=session).values_list(*reveal_fields))
    allocations = list(Allocation.objects.filter(session=session).values_list(*allocation_fields))
    with transaction.atomic():
        Allocation.objects.filter(session=session).delete()
        Reveal.objects.filter(session=session).delete()
    started = time.perf_counter()
    with transaction.atomic():
        Reveal.objects.bulk_create(
            [
                Reveal(session=session, **dict(zip(reveal_fields, row, strict=True)))
                for row in reveals
            ],
            batch_size=1000,
        )
        Allocation.objects.bulk_create(
            [
                Allocation(session=session, **dict(zip(allocation_fields, row, strict=True)))
                for row in allocations
            ],
            batch_size=1000,
        )
    return time.perf_counter() - started, len(reveals), len(allocations)


def _verify(session) -> tuple[float, float | None, list[str]]:
    from lottery.verification import verify_bundle

    bundle = json.loads(json.dumps(session.bundle))  # as a downloader reads it
    started = time.perf_counter()
    problems = verify_bundle(bundle)
    in_process = time.perf_counter() - started
    script = Path(settings.BASE_DIR, "docs", "verify_lottery.py")
    if not script.exists():
        return in_process, None, problems
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, f"{session.code}.json")
        path.write_text(json.dumps(session.bundle, ensure_ascii=False), encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603 - our own script, our own file
            [sys.executable, str(script), str(path)], capture_output=True, text=True
        )
        standalone = time.perf_counter() - started
    if result.returncode != 0:
        problems = problems + [f"docs/verify_lottery.py: {result.stdout}{result.stderr}"]
    return in_process, standalone, problems


def run() -> None:
    from lottery.models import Allocation, Reveal
    from lottery.services.sign_off import lottery_session_sign_off

    started = time.perf_counter()
    project, estate, leader, notary, operator = _setup()
    apartments = Apartment.objects.filter(estate=estate).count()
    print(
        f"set-up: {HOUSEHOLDS} households in {COMMUNITIES} communities × {GROUPS} groups,"
        f" {apartments} apartments in estate E1"
        f" (made in bulk in {time.perf_counter() - started:.1f} s, not timed below)"
    )

    session, drawn, service, whole, times = _service_path(project, estate, leader, notary, operator)
    reveals = Reveal.objects.filter(session=session).count()
    allocations = Allocation.objects.filter(session=session).count()
    assert allocations == sum(sum(DEMANDS[s].values()) for s in _sizes()), (
        "every demanded apartment is allocated"
    )

    # Before sign-off: a signed session's rows can no longer be deleted or inserted.
    baseline, baseline_reveals, baseline_allocations = _baseline(session)
    assert (baseline_reveals, baseline_allocations) == (reveals, allocations)

    mark = time.perf_counter()
    session = lottery_session_sign_off(
        actor=notary, session=session, witnesses="基准测试见证人甲、基准测试见证人乙"
    )
    sign_off = time.perf_counter() - mark

    verify, standalone, problems = _verify(session)
    assert not problems, problems[:5]
    bundle_size = len(json.dumps(session.bundle, ensure_ascii=False).encode())

    ratio = service / baseline
    print(f"service path, {drawn} draws revealed: {reveals} reveals, {allocations} allocations")
    for step, seconds in times.items():
        print(f"  {step}: {seconds:.2f} s")
    print(f"sign-off (secret revealed, bundle built): {sign_off:.2f} s")
    print(f"bundle: {bundle_size / 1048576:.1f} MB JSON")
    print(
        f"whole session before sign-off (create, confirm, draw): {whole:.2f} s,"
        f" {whole / baseline:.2f}x the baseline"
    )
    print(
        "lottery draw through the services (entropy, public value + every reveal saved):"
        f" {service:.2f} s;"
        f" bare bulk_create of the same {reveals} reveals and {allocations} allocations:"
        f" {baseline:.2f} s"
    )
    print(f"draw vs bulk_create: {ratio:.2f}x (target <= {TARGET_RATIO:g}x)")
    print(f"verify_bundle: {verify:.2f} s (target < {TARGET_VERIFY:g} s)")
    if standalone is not None:
        print(
            f"docs/verify_lottery.py in a new Python process: {standalone:.2f} s"
            f" (target < {TARGET_VERIFY:g} s)"
        )
