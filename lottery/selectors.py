"""Reading lottery sessions: the snapshots a session is built on, its call order, and the
state the console, the hall's big screen and the public live page show.

Every function here reads; the rules that change sessions live in `lottery.services`.
`session_state` runs a fixed number of queries whatever the number of reveals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, Q

from allocation.models import Demand, DemandItem, DemandStatus, Estate
from allocation.selectors import estates
from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    VillagerGroup,
)
from lottery import algorithm
from lottery.models import Allocation, CheckIn, LotterySession, Reveal, SessionMode, SessionStatus
from resettlement.masking import Mask, mask

# -- snapshots ------------------------------------------------------------------------------


def inventory_snapshot(estate: Estate) -> list[dict[str, Any]]:
    """The estate's available apartments in housing-orientation order, as the lottery
    hashes them (one definition: `allocation.selectors.estates.inventory_snapshot`)."""
    return estates.inventory_snapshot(estate)


def _eligible_households(project: Project, communities: Iterable[Community]):
    """Approved households of these communities not yet housed by a binding allocation."""
    return (
        Household.objects.filter(
            project=project, community__in=list(communities), status=HouseholdStatus.APPROVED
        )
        .annotate(binding=Count("allocations", filter=Q(allocations__binding=True)))
        .filter(binding=0)
    )


def participants_snapshot(project: Project, communities: Iterable[Community]) -> list[dict]:
    """Approved households of the communities whose demand is locked and who hold no binding
    allocation, sorted by household code: {code, community, group, demand} (codes only)."""
    communities = list(communities)
    rows = list(
        _eligible_households(project, communities)
        .filter(demand__status=DemandStatus.LOCKED)
        .values_list("pk", "code", "community__code", "group__code")
    )
    demands: dict[int, dict[str, int]] = {pk: {} for pk, *_rest in rows}
    items = DemandItem.objects.filter(demand__household_id__in=list(demands)).values_list(
        "demand__household_id", "apartment_type__code", "count"
    )
    for household_id, type_code, count in items:
        demands[household_id][type_code] = demands[household_id].get(type_code, 0) + count
    snapshot = [
        {"code": code, "community": community, "group": group, "demand": demands[pk]}
        for pk, code, community, group in rows
    ]
    snapshot.sort(key=lambda row: row["code"])
    return snapshot


def households_without_locked_demand(
    project: Project, communities: Iterable[Community]
) -> list[str]:
    """Codes of approved, not yet housed households of the communities whose apartment-type
    choice is missing or not locked: they cannot take part until it is. A household where
    nobody qualified (approved with 0.00 ㎡, docs/qualification.md) and that chose nothing
    is not waiting for a choice: it has no apartment to be drawn."""
    locked = Demand.objects.filter(status=DemandStatus.LOCKED).values("household_id")
    return sorted(
        _eligible_households(project, communities)
        .exclude(pk__in=locked)
        .exclude(Q(entitlement_area=0) & Q(demand__isnull=True))
        .values_list("code", flat=True)
    )


# -- call order -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallItem:
    """One draw of the session: what is revealed at `position` (1-based)."""

    position: int
    step_label: str
    rank: int  # 1-based place in the step's draw order
    level: str  # "village", "group" or "household"
    participant: str  # community, villager group or household code
    parent: str = ""  # the community (group level) or villager group (household level)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _level_of(label: str, prefix: str) -> tuple[str, str]:
    rest = label[len(prefix) :] if prefix and label.startswith(prefix) else label
    if rest == "village":
        return "village", ""
    level, _slash, parent = rest.partition("/")
    return level, parent


def call_order(session: LotterySession) -> list[CallItem]:
    """The session's draws in the order they are revealed, numbered 1..N.

    The steps are taken as `session.steps` lists them (village, then one group step per
    community in village order, then one household step per group): each step's draw order
    is revealed place by place. When the villagers' resolution fixed the order of the
    communities (`fixed_village_order`), the village step was not drawn and has no reveals:
    the order is shown as fixed (`session_state()["village_order"]`), and the call order
    starts with the first group step. Empty until the witness entropy is entered.
    """
    items: list[CallItem] = []
    prefix = session.step_prefix
    for step in session.steps or []:
        level, parent = _level_of(step["label"], prefix)
        if level == "village" and step.get("fixed"):
            continue
        for rank, participant in enumerate(step["order"], start=1):
            items.append(CallItem(len(items) + 1, step["label"], rank, level, participant, parent))
    return items


def household_positions(session: LotterySession) -> dict[str, int]:
    """Household code -> its position in the call order (its pick sequence in choose mode)."""
    return {i.participant: i.position for i in call_order(session) if i.level == "household"}


# -- the scheme -----------------------------------------------------------------------------

_SCHEMES: dict[tuple, algorithm.Scheme] = {}
_SCHEME_CACHE_SIZE = 8


def scheme_for(session: LotterySession) -> algorithm.Scheme:
    """`algorithm.scheme_of` for the session's snapshots and steps (direct mode: with the
    packages and the allocation; choose mode: the shares households pick in).

    The result depends only on data that never changes once the entropy is in, so it is
    kept in memory per process (a few sessions) and shared: treat it as read-only.
    Raises `algorithm.LotteryError` (e.g. too few apartments) and ValueError before the
    entropy is entered.
    """
    if not session.steps:
        raise ValueError("the session has no steps yet")
    key = (
        session.pk,
        session.seed,
        session.mode,
        session.participants_sha256,
        session.inventory_sha256,
    )
    scheme = _SCHEMES.get(key)
    if scheme is None:
        scheme = algorithm.scheme_of(
            session.inventory,
            session.participants,
            session.steps,
            direct=session.mode == SessionMode.DIRECT,
        )
        if len(_SCHEMES) >= _SCHEME_CACHE_SIZE:
            _SCHEMES.pop(next(iter(_SCHEMES)))
        _SCHEMES[key] = scheme
    return scheme


# -- what the screens show ------------------------------------------------------------------


def allocation_rows(session: LotterySession) -> list[dict[str, Any]]:
    """{household, apartments, sequence, proxy} per household, in the order made."""
    picks: dict[str, dict[str, Any]] = {}
    rows = (
        Allocation.objects.filter(session=session)
        .order_by("sequence", "apartment__code")
        .values_list("household__code", "apartment__code", "sequence", "proxy")
    )
    for household, apartment, sequence, proxy in rows:
        row = picks.setdefault(
            household,
            {"household": household, "apartments": [], "sequence": sequence, "proxy": proxy},
        )
        row["apartments"].append(apartment)
    return list(picks.values())


def _head_names(household_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        Member.objects.filter(
            household_id__in=list(household_ids), relation=Relation.HEAD
        ).values_list("household_id", "name")
    )


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def session_state(session: LotterySession, *, public: bool) -> dict[str, Any]:
    """Everything a screen shows about the session, JSON-able.

    `public=True` (big screen, public live page): heads' names, and any ID or phone number
    in the void reason or the witnesses' names, masked with `resettlement.masking.mask`
    (the witness entropy is never changed: the draw is recomputed from it); the server
    secret and seed only once signed. The next draw is announced by position, level and
    step, never by who it will be. A constant number of queries, whatever the number of
    reveals.
    """
    order = call_order(session)
    signed = session.status == SessionStatus.SIGNED
    communities = {c.code: c.name for c in session.communities.all()}
    groups = dict(
        VillagerGroup.objects.filter(community__in=session.communities.all()).values_list(
            "code", "name"
        )
    )
    reveal_rows = list(
        Reveal.objects.filter(session=session)
        .order_by("position")
        .values_list("position", "proxy", "revealed_at")
    )
    revealed = {position: (proxy, at) for position, proxy, at in reveal_rows}
    shown = [item for item in order if item.position in revealed]
    household_codes = [i.participant for i in shown if i.level == "household"]
    households = {
        code: (pk, community, group)
        for pk, code, community, group in Household.objects.filter(
            project_id=session.project_id, code__in=household_codes
        ).values_list("pk", "code", "community__code", "group__code")
    }
    names = _head_names(pk for pk, _c, _g in households.values())
    allocations = allocation_rows(session)
    by_household = {row["household"]: row for row in allocations}
    direct = session.mode == SessionMode.DIRECT

    reveals = []
    for item in shown:
        proxy, at = revealed[item.position]
        row: dict[str, Any] = {
            "position": item.position,
            "level": item.level,
            "label": item.step_label,
            "rank": item.rank,
            "participant": item.participant,
            "revealed_at": _iso(at),
        }
        if item.level == "village":
            row["community"], row["community_name"] = (
                item.participant,
                communities.get(item.participant, ""),
            )
        elif item.level == "group":
            row["community"] = item.parent
            row["community_name"] = communities.get(item.parent, "")
            row["group"], row["group_name"] = item.participant, groups.get(item.participant, "")
        else:
            pk, community, group = households.get(item.participant, (None, "", ""))
            name = names.get(pk, "")
            row.update(
                name=mask(name, Mask.NAME) if public else name,
                community=community,
                community_name=communities.get(community, ""),
                group=group,
                group_name=groups.get(group, ""),
                proxy=proxy,
            )
            if direct:
                allocated = by_household.get(item.participant)
                row["apartments"] = allocated["apartments"] if allocated else []
        reveals.append(row)

    position = len(revealed)
    next_item = order[position] if position < len(order) else None
    check_ins = CheckIn.objects.filter(session=session).count()
    fixed = session.fixed_village_order
    village_step = next((s for s in session.steps or [] if s.get("fixed") is not None), None)
    state: dict[str, Any] = {
        "code": session.code,
        "title": session.title,
        "project": session.project.code,
        "estate": session.estate.code,
        "estate_name": session.estate.name,
        "mode": session.mode,
        "rehearsal": session.rehearsal,
        "status": session.status,
        "status_label": str(SessionStatus(session.status).label),
        "paused": session.paused,
        "commitment": session.commitment,
        "participants_sha256": session.participants_sha256,
        "inventory_sha256": session.inventory_sha256,
        "bundle_sha256": session.bundle_sha256 if signed else "",
        "server_secret": session.revealed_secret,
        "seed": session.revealed_seed,
        "witness_entropy": session.witness_entropy,
        "committed_at": _iso(session.committed_at),
        "confirmed_at": _iso(session.confirmed_at),
        "entropy_at": _iso(session.entropy_at),
        "closed_at": _iso(session.closed_at),
        "voided_at": _iso(session.voided_at),
        "void_reason": mask(session.void_reason, Mask.TEXT) if public else session.void_reason,
        "witnesses": (mask(session.witnesses, Mask.TEXT) if public else session.witnesses)
        if signed
        else "",
        "village_order_fixed": fixed is not None,
        "village_order": list(fixed)
        if fixed is not None
        else (
            village_step["order"] if village_step and position >= len(village_step["order"]) else []
        ),
        "communities": [{"code": c, "name": n} for c, n in sorted(communities.items())],
        "total": len(order),
        "position": position,
        "next": None,
        "reveals": reveals,
        "check_ins": {"count": check_ins, "total": len(session.participants or [])},
    }
    if next_item is not None:
        state["next"] = {
            "position": next_item.position,
            "level": next_item.level,
            "label": next_item.step_label,
            "rank": next_item.rank,
            "parent": next_item.parent,
            "parent_name": (
                communities.get(next_item.parent, "")
                if next_item.level == "group"
                else groups.get(next_item.parent, "")
            ),
        }
    if direct:
        state["allocations"] = allocations
    else:
        state.update(_choose_state(session, order, revealed, allocations, public=public))
    return state


def _choose_state(
    session: LotterySession,
    order: list[CallItem],
    revealed: dict[int, Any],
    allocations: list[dict[str, Any]],
    *,
    public: bool,
) -> dict[str, Any]:
    """Order-then-choose: the picks so far, who picks next and what is free for them."""
    picked = {row["household"] for row in allocations}
    pickers = [i for i in order if i.level == "household"]
    upcoming = next((i for i in pickers if i.participant not in picked), None)
    state: dict[str, Any] = {
        "picks": allocations,
        "picks_total": len(pickers),
        "next_picker": None,
    }
    if upcoming is None or not session.steps:
        return state
    participant = next(p for p in session.participants if p["code"] == upcoming.participant)
    taken = {code for row in allocations for code in row["apartments"]}
    share = scheme_for(session).group_shares.get(participant["group"], [])
    household = (
        Household.objects.filter(project_id=session.project_id, code=upcoming.participant)
        .values_list("pk", flat=True)
        .first()
    )
    name = _head_names([household]).get(household, "") if household else ""
    state["next_picker"] = {
        "household": upcoming.participant,
        "sequence": upcoming.position,
        "revealed": upcoming.position in revealed,
        "name": mask(name, Mask.NAME) if public else name,
        "group": participant["group"],
        "demand": participant["demand"],
        "free_apartments": [dict(a) for a in share if a["code"] not in taken],
    }
    return state


def session_list(*, project: Project | None = None):
    """Sessions with what their list rows show, newest first."""
    sessions = LotterySession.objects.select_related("project", "estate").order_by("-created_at")
    if project is not None:
        sessions = sessions.filter(project=project)
    return sessions


def checked_in_codes(session: LotterySession, among: Iterable[str]) -> set[str]:
    """Which of the households `among` (codes) have checked in to the session."""
    return set(
        CheckIn.objects.filter(session=session, household__code__in=list(among)).values_list(
            "household__code", flat=True
        )
    )
