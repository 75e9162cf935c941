"""The publicity kinds of the lottery (公示: 房屋走向/房到村、包到组、摇号结果).

Registered with `resettlement.publicity_kinds`; the publicity app freezes and masks them.
Rows come from the project's signed, binding sessions only (signed off by the notary, not
rehearsals; a voided session is never signed), in the order they were signed: a rehearsal
is practice and never published. A project without such a session has nothing to publish
yet, and the rosters are empty, as the registry's rosters are for a project with no
approved household.

The shares and packages are recomputed from the session's stored snapshots and draw orders
with `lottery.algorithm.scheme_of`, the same function that gave the apartments, so what is
published is exactly what the bundle lets anyone verify.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import Community, Member, Relation, VillagerGroup
from lottery import algorithm
from lottery.models import Allocation, LotterySession, SessionMode, SessionStatus
from lottery.selectors.receipts import (
    household_receipt,
    households_with_receipts,
    receipts_of_households,
)
from resettlement.household_receipts import register_receipts
from resettlement.publicity_kinds import (
    COMMUNITY,
    HOUSEHOLD_HEAD_FIRST,
    Column,
    household_cells,
    register,
)
from resettlement.resident_journey import Fact, JourneySection, register_section


def published_sessions(project) -> list[LotterySession]:
    """The project's sessions whose results are public: signed and not rehearsals."""
    return list(
        LotterySession.objects.filter(project=project, status=SessionStatus.SIGNED, rehearsal=False)
        .select_related("estate")
        .order_by("closed_at", "pk")
    )


def _names(model, project) -> dict[str, str]:
    return dict(model.objects.filter(project=project).values_list("code", "name"))


def _count_text(counts: Mapping[str, int]) -> str:
    return "、".join(f"{key}×{n}" for key, n in sorted(counts.items()))


def _buildings(apartments: Iterable[Mapping[str, Any]]) -> str:
    """The buildings a share spans, in orientation order."""
    return "、".join(dict.fromkeys(a["building"] for a in apartments))


def _area(apartments: Iterable[Mapping[str, Any]]) -> str:
    return f"{sum(float(a['area']) for a in apartments):.2f}"


def _village_step(session: LotterySession) -> Mapping[str, Any]:
    return next(step for step in session.steps if step["label"].endswith("village"))


def _group_order(session: LotterySession, community: str) -> list[str]:
    label = f"{_village_step(session)['label'][: -len('village')]}group/{community}"
    return next(step["order"] for step in session.steps if step["label"] == label)


def _scheme(session: LotterySession, *, packages: bool) -> algorithm.Scheme:
    """The session's shares (and, in direct mode when asked, its packages)."""
    return algorithm.scheme_of(
        session.inventory,
        session.participants,
        session.steps,
        direct=packages and session.mode == SessionMode.DIRECT,
    )


# -- 房屋走向 / 房到村 ----------------------------------------------------------------------


def orientation_rows(project, community=None) -> list[dict[str, Any]]:
    """Each community's place along the estate's housing orientation and its share."""
    communities = _names(Community, project)
    wanted = community.code if community is not None else None
    rows = []
    for session in published_sessions(project):
        village = _village_step(session)
        source = _("村民决议确定") if village.get("fixed") else _("摇号产生")
        scheme = _scheme(session, packages=False)
        for number, code in enumerate(village["order"], start=1):
            if wanted is not None and code != wanted:
                continue
            share = scheme.community_shares[code]
            rows.append(
                {
                    "session": session.code,
                    "estate": session.estate.name,
                    "number": number,
                    "community": communities.get(code, code),
                    "household": "",
                    "source": source,
                    "buildings": _buildings(share),
                    "types": _count_text(Counter(a["type"] for a in share)),
                    "apartments": len(share),
                    "area": _area(share),
                }
            )
    return rows


# -- 包到组 ---------------------------------------------------------------------------------


def _apartment_list(apartments: Sequence[Mapping[str, Any]]) -> str:
    return "、".join(f"{a['code']}({a['tier']})" for a in apartments)


def group_package_rows(project, community=None) -> list[dict[str, Any]]:
    """Each villager group's place within its community's share and its own share; in
    direct mode one row per ABC-balanced package of the group (a household's apartments,
    drawn by the households of the group with that combination)."""
    communities = _names(Community, project)
    groups = _names(VillagerGroup, project)
    wanted = community.code if community is not None else None
    rows = []
    for session in published_sessions(project):
        scheme = _scheme(session, packages=True)
        for code in _village_step(session)["order"]:
            if wanted is not None and code != wanted:
                continue
            for number, group in enumerate(_group_order(session, code), start=1):
                share = scheme.group_shares[group]
                base = {
                    "session": session.code,
                    "community": communities.get(code, code),
                    "household": "",
                    "number": number,
                    "group": groups.get(group, group),
                    "share": _count_text(Counter(a["type"] for a in share)),
                    "buildings": _buildings(share),
                }
                if group not in scheme.packages:
                    tiers = Counter(a["tier"] for a in share)
                    rows.append(
                        base | {"package": "", "tiers": _count_text(tiers), "apartments": ""}
                    )
                    continue
                package_number = 0
                for combination, packages in sorted(scheme.packages[group].items()):
                    for package in packages:
                        package_number += 1
                        points = sum(algorithm.TIER_POINTS[a["tier"]] for a in package)
                        rows.append(
                            base
                            | {
                                "package": _("第%(n)d包(%(c)s)")
                                % {"n": package_number, "c": _count_text(dict(combination))},
                                "tiers": _("%(t)s,%(p)d分")
                                % {
                                    "t": _count_text(Counter(a["tier"] for a in package)),
                                    "p": points,
                                },
                                "apartments": _apartment_list(package),
                            }
                        )
    return rows


# -- 摇号结果 -------------------------------------------------------------------------------


def _call_order(session: LotterySession) -> dict[str, tuple[int, int, int]]:
    """Each household's place in the session's call order: (community's place, group's place
    within its community, the household's draw number within its group)."""
    village = _village_step(session)
    prefix = village["label"][: -len("village")]
    places: dict[str, tuple[int, int, int]] = {}
    by_label = {step["label"]: step["order"] for step in session.steps}
    for c, community in enumerate(village["order"], start=1):
        for g, group in enumerate(by_label[f"{prefix}group/{community}"], start=1):
            for n, household in enumerate(by_label[f"{prefix}household/{group}"], start=1):
                places[household] = (c, g, n)
    return places


def result_rows(project, community=None) -> list[dict[str, Any]]:
    """Every household's draw and apartments from the signed sessions, in call order."""
    rows = []
    for session in published_sessions(project):
        places = _call_order(session)
        allocations = (
            Allocation.objects.filter(session=session, binding=True)
            .select_related("household__community", "household__group", "apartment__apartment_type")
            .order_by("household__code", "apartment__code")
        )
        if community is not None:
            allocations = allocations.filter(household__community=community)
        by_household: dict[int, list[Allocation]] = {}
        for allocation in allocations:
            by_household.setdefault(allocation.household_id, []).append(allocation)
        heads = dict(
            Member.objects.filter(household_id__in=list(by_household), relation=Relation.HEAD)
            .order_by("household_id", "id")
            .values_list("household_id", "name")
        )
        session_rows = []
        for household_id, items in by_household.items():
            household = items[0].household
            apartments = [a.apartment for a in items]
            session_rows.append(
                (
                    places.get(household.code, (0, 0, 0)),
                    household_cells(household, head=heads.get(household_id))
                    | {
                        "session": session.code,
                        "number": places.get(household.code, (0, 0, ""))[2],
                        "apartments": "、".join(a.code for a in apartments),
                        "areas": "、".join(f"{a.area:.2f}" for a in apartments),
                        "types": "、".join(a.apartment_type.name for a in apartments),
                        "proxy": _("代摇") if any(a.proxy for a in items) else "",
                    },
                )
            )
        session_rows.sort(key=lambda pair: (pair[0], pair[1]["household"]))
        rows += [row for _place, row in session_rows]
    return rows


_SESSION = Column("session", gettext_lazy("场次"))

ORIENTATION = register(
    code="orientation",
    label=gettext_lazy("房屋走向公示(房到村)"),
    columns=(
        _SESSION,
        Column("estate", gettext_lazy("安置小区")),
        Column("number", gettext_lazy("走向顺序")),
        COMMUNITY,
        Column("source", gettext_lazy("顺序来源")),
        Column("buildings", gettext_lazy("楼栋")),
        Column("types", gettext_lazy("户型及套数")),
        Column("apartments", gettext_lazy("套数")),
        Column("area", gettext_lazy("建筑面积合计(㎡)")),
    ),
    build_rows=orientation_rows,
)

GROUP_PACKAGES = register(
    code="group_packages",
    label=gettext_lazy("包到组公示"),
    columns=(
        _SESSION,
        COMMUNITY,
        Column("number", gettext_lazy("组序")),
        Column("group", gettext_lazy("村民小组")),
        Column("share", gettext_lazy("小组房源(户型×套数)")),
        Column("buildings", gettext_lazy("楼栋")),
        Column("package", gettext_lazy("房源包")),
        Column("tiers", gettext_lazy("档次")),
        Column("apartments", gettext_lazy("包内房号(档次)")),
    ),
    build_rows=group_package_rows,
)

LOTTERY_RESULTS = register(
    code="lottery_results",
    label=gettext_lazy("摇号结果公示"),
    columns=(
        _SESSION,
        *HOUSEHOLD_HEAD_FIRST,
        Column("number", gettext_lazy("摇号顺序")),
        Column("apartments", gettext_lazy("房号")),
        Column("areas", gettext_lazy("建筑面积(㎡)")),
        Column("types", gettext_lazy("户型")),
        Column("proxy", gettext_lazy("代摇")),
    ),
    build_rows=result_rows,
)


# --- The resident's own page (resettlement.resident_journey) -------------------------------


def journey_lottery(lookup_code: str) -> JourneySection | None:
    """The household's lottery result and the apartments it won: binding allocations of
    signed sessions that are not rehearsals (what the results publication shows)."""
    allocations = list(
        Allocation.objects.filter(
            household__lookup_code=lookup_code,
            binding=True,
            session__status=SessionStatus.SIGNED,
            session__rehearsal=False,
        )
        .select_related(
            "session",
            "household",
            "apartment__estate",
            "apartment__building",
            "apartment__apartment_type",
        )
        .order_by("apartment__code")
    )
    if not allocations:
        return None
    first = allocations[0]
    # The household's receipt (docs/lottery.md §17): its row and proof, checked on the phone
    # page against the session's published Merkle root.
    receipt = household_receipt(first.session, first.household.code)
    facts = [
        Fact(gettext_lazy("摇号场次"), f"{first.session.code} {first.session.title}"),
        Fact(gettext_lazy("签署日期"), timezone.localdate(first.session.closed_at).isoformat()),
        Fact(gettext_lazy("选房序号"), str(first.sequence)),
    ]
    if any(a.proxy for a in allocations):
        facts.append(Fact(gettext_lazy("摇号方式"), _("代摇")))
    return JourneySection(
        key="lottery",
        title=gettext_lazy("摇号结果与安置房"),
        facts=facts,
        columns=(
            gettext_lazy("安置小区"),
            gettext_lazy("楼栋"),
            gettext_lazy("房号"),
            gettext_lazy("楼层"),
            gettext_lazy("户型"),
            gettext_lazy("建筑面积(㎡)"),
        ),
        rows=[
            (
                a.apartment.estate.name,
                a.apartment.building.code,
                a.apartment.code,
                str(a.apartment.floor),
                a.apartment.apartment_type.name,
                f"{a.apartment.area:.2f}",
            )
            for a in allocations
        ],
        link=receipt.url.removeprefix(settings.PUBLIC_BASE_URL) if receipt else "",
        link_label=gettext_lazy("核验本户摇号回执") if receipt else "",
        qr=receipt.url if receipt else "",
        qr_caption=(
            _("摇号回执:场次 %(session)s 第 %(number)d 行(共 %(count)d 行),默克尔根 %(root)s")
            % {
                "session": receipt.session,
                "number": receipt.index + 1,
                "count": receipt.count,
                "root": receipt.root,
            }
            if receipt
            else ""
        ),
    )


register_section("lottery", journey_lottery, order=30)
register_receipts("lottery", receipts_of_households, households_with_receipts)
