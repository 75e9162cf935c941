"""Reading lottery sessions: the snapshots a session is built on, the session list, and the
state the console, the hall's big screen and the public live page show.

Every function here reads; the rules that change sessions live in `lottery.services`.
`session_state` runs a fixed number of queries whatever the number of reveals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

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
from lottery.models import CheckIn, LotterySession, Reveal, SessionMode, SessionStatus
from lottery.selectors.draws import CallItem, allocation_rows, call_order, scheme_for
from lottery.selectors.receipts import session_merkle_root
from publicity.selectors.clearance import publication_clearance
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


@dataclass(frozen=True)
class HeldBack:
    """A household whose locked choice would take part in a binding session, but that
    publicity holds back (`lottery.gates.require_publicity_cleared`), and why."""

    code: str
    community: str
    missing: str


def held_back_by_publicity(project: Project) -> list[HeldBack]:
    """Approved households of the project not yet housed, with a locked apartment-type choice,
    that the lottery gate would refuse today: not yet through publicity (what is missing, in
    words: publicity.selectors.clearance). By code; three queries whatever their number."""
    waiting = list(
        _eligible_households(project, Community.objects.filter(project=project))
        .filter(demand__status=DemandStatus.LOCKED)
        .select_related("community")
        .only("pk", "code", "facts_changed_at", "community__name")
        .order_by("code")
    )
    missing = publication_clearance(project, waiting)
    return [HeldBack(h.code, h.community.name, missing[h.pk]) for h in waiting if h.pk in missing]


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


# -- what the screens show ------------------------------------------------------------------


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
        # Household receipts are checked against it (docs/lottery.md §17); None until signed.
        "merkle_root": session_merkle_root(session),
        "server_secret": session.revealed_secret,
        "seed": session.revealed_seed,
        "witness_entropy": session.witness_entropy,
        "algorithm": session.algorithm,
        "public_source": public_source_description(session.public_source),
        "public_source_lookup": public_source_lookup(session.public_source),
        "public_value": session.public_value,
        "public_signature": session.public_signature,
        "public_value_at": _iso(session.public_value_at),
        "waits_for_public_value": session.waits_for_public_value,
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


def public_source_description(source: dict[str, Any] | None) -> str:
    """The public random value a v2 session named in advance, in words (docs/lottery.md
    §13a.1): "中国福利彩票 福彩3D 第2026330期(2026-11-30开奖)" or "drand 链 … 第 N 轮"."""
    if not source:
        return ""
    if source["kind"] == "drand":
        return _("drand 随机信标 链 %(chain)s 第 %(round)s 轮") % {
            "chain": source["chain"],
            "round": source["round"],
        }
    operator = _("中国福利彩票") if source["kind"] == "welfare_lottery" else _("中国体育彩票")
    return _("%(operator)s %(game)s 第 %(draw)s 期(%(date)s 开奖)") % {
        "operator": operator,
        "game": source["game"],
        "draw": source["draw"],
        "date": source["date"],
    }


def commitment_record_text(session: LotterySession) -> str:
    """A v2 session's commitment record as the console and the public page show it (keys
    sorted, one per line); "" for a v1 session."""
    if not session.commitment_record:
        return ""
    return json.dumps(session.commitment_record, ensure_ascii=False, sort_keys=True, indent=1)


def public_source_lookup(source: dict[str, Any] | None) -> str:
    """How a reader looks the public value up, in words."""
    if not source:
        return ""
    if source["kind"] == "drand":
        return _(
            "在任一 drand 中继的 /%(chain)s/public/%(round)s 查看该轮的 randomness 与 "
            "signature;randomness 应等于 signature 的 SHA-256;签名须用 drand 官方工具按该链的"
            "公钥核验(本系统的验证程序不核验 BLS 签名)。"
        ) % {"chain": source["chain"], "round": source["round"]}
    operator = _("中国福利彩票") if source["kind"] == "welfare_lottery" else _("中国体育彩票")
    return _(
        "查阅%(operator)s官方发布的 %(game)s 第 %(draw)s 期开奖公告(%(date)s)中的开奖号码。"
    ) % {
        "operator": operator,
        "game": source["game"],
        "draw": source["draw"],
        "date": source["date"],
    }


def session_list(*, project: Project | None = None):
    """Sessions with what their list rows show, newest first."""
    sessions = LotterySession.objects.select_related("project", "estate").order_by("-created_at")
    if project is not None:
        sessions = sessions.filter(project=project)
    return sessions
