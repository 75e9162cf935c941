"""The draws in the hall: revealing the call order one by one (or the rest at once), the
picks of order-then-choose mode, pausing and resuming. The operator's part; every change
locks the session row, so two operators clicking at once never reveal one position twice."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from allocation.models import Apartment
from households.models import Household
from lottery import algorithm
from lottery.models import (
    Allocation,
    CheckIn,
    LotterySession,
    Reveal,
    SessionEventKind,
    SessionMode,
    SessionStatus,
)
from lottery.selectors.check_in import checked_in_codes
from lottery.selectors.draws import CallItem, allocation_rows, call_order, scheme_for
from lottery.services._common import (
    OPERATE,
    _code,
    _event,
    _lock,
    _require_drawing,
    _require_status,
)
from lottery.services.four_eyes import _require_operator
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission


def _reveal_rows(
    session: LotterySession, items: Sequence[CallItem], actor
) -> tuple[list[Reveal], list[Allocation]]:
    """Unsaved reveals for `items` and, in direct mode, their households' allocations."""
    household_codes = [i.participant for i in items if i.level == "household"]
    households = (
        dict(
            Household.objects.filter(
                project_id=session.project_id, code__in=household_codes
            ).values_list("code", "pk")
        )
        if household_codes
        else {}
    )
    present = checked_in_codes(session, household_codes) if household_codes else set()
    reveals = [
        Reveal(
            session_id=session.pk,
            position=i.position,
            step_label=i.step_label,
            rank=i.rank,
            participant=i.participant,
            proxy=i.level == "household" and i.participant not in present,
            revealed_by_id=actor.pk,
        )
        for i in items
    ]
    allocations: list[Allocation] = []
    if session.mode == SessionMode.DIRECT and household_codes:
        scheme = scheme_for(session)
        wanted = [c for code in household_codes for c in scheme.allocation[code]]
        apartments = dict(
            Apartment.objects.filter(project_id=session.project_id, code__in=wanted).values_list(
                "code", "pk"
            )
        )
        binding = not session.rehearsal
        for item in items:
            if item.level != "household":
                continue
            for code in scheme.allocation[item.participant]:
                allocations.append(
                    Allocation(
                        session_id=session.pk,
                        household_id=households[item.participant],
                        apartment_id=apartments[code],
                        binding=binding,
                        proxy=item.participant not in present,
                        sequence=item.position,
                        created_by_id=actor.pk,
                    )
                )
    return reveals, allocations


def _next_position(session: LotterySession) -> int:
    return Reveal.objects.filter(session=session).count() + 1


@transaction.atomic
def lottery_draw_next(*, actor, session: LotterySession, expected_position: int) -> Reveal:
    """Reveal the next draw of the call order. `expected_position` is the position the
    operator's screen showed as next: if someone else revealed it first, the request is
    refused cleanly (code `already_drawn`) instead of revealing the one after."""
    require_permission(actor, OPERATE)
    session = _lock(session)
    _require_drawing(session, doing=_("摇号"))
    _require_operator(actor, session)
    order = call_order(session)
    position = _next_position(session)
    if position > len(order):
        raise RuleViolation(
            "all_drawn",
            _("场次 %(code)s 的 %(n)d 个摇号已全部完成。")
            % {"code": session.code, "n": len(order)},
        )
    if expected_position != position:
        raise RuleViolation(
            "already_drawn",
            _("第 %(expected)s 号已摇出或尚未轮到;当前应摇第 %(position)d 号,请刷新页面。")
            % {"expected": expected_position, "position": position},
            details={"position": position},
        )
    reveals, allocations = _reveal_rows(session, [order[position - 1]], actor)
    try:
        with transaction.atomic():
            reveal = reveals[0]
            reveal.save()
            Allocation.objects.bulk_create(allocations)
    except IntegrityError as exc:
        raise RuleViolation(
            "already_drawn",
            _("第 %(p)d 号已由他人摇出,请刷新页面。") % {"p": position},
        ) from exc
    return reveal


@transaction.atomic
def lottery_draw_remaining(*, actor, session: LotterySession) -> int:
    """Reveal every remaining draw at once (rehearsals, the demo, the benchmark): the same
    rows `lottery_draw_next` would make one by one. Returns how many were revealed."""
    require_permission(actor, OPERATE)
    session = _lock(session)
    _require_drawing(session, doing=_("摇号"))
    _require_operator(actor, session)
    order = call_order(session)
    items = order[_next_position(session) - 1 :]
    if not items:
        return 0
    reveals, allocations = _reveal_rows(session, items, actor)
    Reveal.objects.bulk_create(reveals, batch_size=2000)
    Allocation.objects.bulk_create(allocations, batch_size=2000)
    return len(reveals)


@transaction.atomic
def lottery_pick(
    *,
    actor,
    session: LotterySession,
    household: Household,
    apartment_codes: list[str],
    expected_sequence: int,
) -> list[Allocation]:
    """Order-then-choose: the next household in call order picks its apartments inside its
    group's share — free ones, exactly the combination of types it demanded.

    `expected_sequence` is the picker's position in the call order as the operator's
    screen showed it (`session_state()["next_picker"]["sequence"]`); a stale screen is
    refused with code `already_picked`.
    """
    require_permission(actor, OPERATE)
    session = _lock(session)
    if session.mode != SessionMode.CHOOSE:
        raise RuleViolation("not_choose_mode", _("本场次为直接摇房号,不需要选房。"))
    _require_drawing(session, doing=_("选房"))
    _require_operator(actor, session)
    order = call_order(session)
    done = allocation_rows(session)
    picked = {row["household"] for row in done}
    upcoming = next(
        (i for i in order if i.level == "household" and i.participant not in picked), None
    )
    if upcoming is None:
        raise RuleViolation("all_picked", _("所有安置户均已选房。"))
    if expected_sequence != upcoming.position:
        raise RuleViolation(
            "already_picked",
            _("选房序号 %(s)s 已选过或尚未轮到;当前轮到序号 %(n)d(%(h)s),请刷新页面。")
            % {"s": expected_sequence, "n": upcoming.position, "h": upcoming.participant},
            details={"sequence": upcoming.position, "household": upcoming.participant},
        )
    if household.project_id != session.project_id or household.code != upcoming.participant:
        raise RuleViolation(
            "not_next_picker",
            _("现在轮到安置户 %(n)s 选房,不是 %(h)s。")
            % {"n": upcoming.participant, "h": household.code},
        )
    if upcoming.position >= _next_position(session):
        raise RuleViolation(
            "not_revealed",
            _("安置户 %(h)s 的选房顺序号(第 %(p)d 号)尚未摇出。")
            % {"h": household.code, "p": upcoming.position},
        )
    codes = [str(c).strip() for c in apartment_codes if str(c).strip()]
    participant = next(p for p in session.participants if p["code"] == household.code)
    _check_pick(session, participant, codes, done)
    apartments = dict(
        Apartment.objects.filter(project_id=session.project_id, code__in=codes).values_list(
            "code", "pk"
        )
    )
    proxy = not CheckIn.objects.filter(session=session, household=household).exists()
    rows = [
        Allocation(
            session=session,
            household=household,
            apartment_id=apartments[code],
            binding=not session.rehearsal,
            proxy=proxy,
            sequence=upcoming.position,
            created_by=actor,
        )
        for code in sorted(codes)
    ]
    try:
        with transaction.atomic():
            return Allocation.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise RuleViolation(
            "apartment_taken", _("所选房源已被分配,请重新选择。"), details={"apartments": codes}
        ) from exc


def _check_pick(
    session: LotterySession, participant: dict, codes: list[str], done: list[dict]
) -> None:
    """A pick's problems in words people read first; then `algorithm.check_picks` over all
    picks so far is the authority (it is what the verifier will run)."""
    group = participant["group"]
    scheme = scheme_for(session)
    share = {a["code"]: a for a in scheme.group_shares.get(group, [])}
    taken = {code for row in done for code in row["apartments"]}
    if not codes:
        raise RuleViolation("pick_empty", _("请选择房源。"))
    if len(set(codes)) != len(codes):
        raise RuleViolation("pick_duplicate", _("同一套房源不能选两次。"))
    for code in codes:
        if code not in share:
            raise RuleViolation(
                "not_in_share",
                _("房源 %(a)s 不在村民小组 %(g)s 的分房范围内。") % {"a": code, "g": group},
            )
        if code in taken:
            raise RuleViolation("apartment_taken", _("房源 %(a)s 已被选走。") % {"a": code})
    chosen: dict[str, int] = {}
    for code in codes:
        chosen[share[code]["type"]] = chosen.get(share[code]["type"], 0) + 1
    if algorithm.signature(chosen) != algorithm.signature(participant["demand"]):

        def spell(demand: dict) -> str:
            return "、".join(f"{t}×{n}" for t, n in algorithm.signature(demand))

        raise RuleViolation(
            "pick_wrong_types",
            _("安置户 %(h)s 应选 %(want)s,所选为 %(got)s。")
            % {
                "h": participant["code"],
                "want": spell(participant["demand"]),
                "got": spell(chosen),
            },
        )
    picks = [{"household": r["household"], "apartments": r["apartments"]} for r in done]
    picks.append({"household": participant["code"], "apartments": sorted(codes)})
    try:
        algorithm.check_picks(scheme, session.participants, session.steps, picks)
    except algorithm.LotteryError as exc:
        raise RuleViolation("invalid_pick", _("选房不符合规则:%(e)s") % {"e": exc}) from exc


@transaction.atomic
def lottery_pause(*, actor, session: LotterySession) -> LotterySession:
    require_permission(actor, OPERATE)
    session = _lock(session)
    _require_status(session, SessionStatus.DRAWING, doing=_("暂停"))
    _require_operator(actor, session)
    if session.paused:
        raise RuleViolation("already_paused", _("场次 %(code)s 已处于暂停中。") % _code(session))
    session.paused = True
    session.save(update_fields=["paused"])
    _event(session, SessionEventKind.PAUSED, actor)
    return session


@transaction.atomic
def lottery_resume(*, actor, session: LotterySession) -> LotterySession:
    require_permission(actor, OPERATE)
    session = _lock(session)
    _require_status(session, SessionStatus.DRAWING, doing=_("继续"))
    _require_operator(actor, session)
    if not session.paused:
        raise RuleViolation("not_paused", _("场次 %(code)s 没有暂停。") % _code(session))
    session.paused = False
    session.save(update_fields=["paused"])
    _event(session, SessionEventKind.RESUMED, actor)
    return session
