"""Every change to a lottery session goes through these functions (DESIGN §5, rs-lottery-v1).

The life of a session: `lottery_session_create` (leader: secret drawn, commitment public at
once, participant and inventory snapshots taken) → `lottery_session_confirm` (notary: the
snapshot hashes they saw) → `lottery_session_enter_entropy` (notary: the seed, hence every
step's order, is fixed) → draws revealed one by one in call order (`lottery_draw_next`,
operator; `lottery_draw_remaining` in bulk) and, in order-then-choose mode, picks
(`lottery_pick`) → `lottery_session_sign_off` (notary: bundle built, secret revealed).
Before sign-off a session may be voided with a written reason; after it nothing changes
(the database refuses too: migration 0003).

Each function takes the acting user as `actor`, checks the permission and the four-eyes
rule (the notary who witnessed a session never operates its draws, and the notary who signs
never operated), runs in one transaction and raises `RuleViolation` with a message naming
the problem. Session rows are locked (`select_for_update`) for every change, so two
operators clicking at once never reveal one position twice.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import Apartment, ApartmentStatus, ApartmentType, Estate
from households import idnumbers
from households.access import require_project_access
from households.models import Community, Household, Member, Project
from lottery import algorithm, selectors, verification
from lottery.models import (
    Allocation,
    CheckIn,
    CheckInMethod,
    LotterySession,
    Reveal,
    SessionEvent,
    SessionEventKind,
    SessionMode,
    SessionStatus,
)
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.masking import Mask, mask
from resettlement.roles import require_permission

OPEN_STATUSES = (SessionStatus.COMMITTED, SessionStatus.CONFIRMED, SessionStatus.DRAWING)
OPERATE = "lottery.operate_session"
WITNESS = "lottery.witness_session"
VOID = "lottery.void_session"


# -- helpers --------------------------------------------------------------------------------

# Session codes appear in URLs (/staff/lottery/<code>/, /public/lottery/<code>/): letters,
# digits, "-" and "_" only, and never the word a page of their own uses.
SESSION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
RESERVED_SESSION_CODES = {"new"}


def _lock(session: LotterySession) -> LotterySession:
    """The session's row, locked until the transaction ends (PostgreSQL), freshly read."""
    return LotterySession.objects.select_for_update().get(pk=session.pk)


def _event(session: LotterySession, kind: str, actor, note: str = "") -> None:
    SessionEvent.objects.create(session=session, kind=kind, actor=actor, note=note)


def _require_status(session: LotterySession, *statuses: str, doing: str) -> None:
    if session.status not in statuses:
        raise RuleViolation(
            "wrong_status",
            _("场次 %(code)s 当前状态为“%(status)s”,不能%(doing)s。")
            % {
                "code": session.code,
                "status": SessionStatus(session.status).label,
                "doing": doing,
            },
        )


def _require_drawing(session: LotterySession, *, doing: str) -> None:
    _require_status(session, SessionStatus.DRAWING, doing=doing)
    if session.paused:
        raise RuleViolation(
            "paused", _("场次 %(code)s 已暂停,请先继续再%(doing)s。") % _code(session, doing)
        )


def _code(session: LotterySession, doing: str = "") -> dict[str, str]:
    return {"code": session.code, "doing": doing}


def operator_ids(session: LotterySession) -> set[int]:
    """Everyone who revealed a draw, made a pick or checked a household in."""
    ids = set(Reveal.objects.filter(session=session).values_list("revealed_by", flat=True))
    ids |= set(Allocation.objects.filter(session=session).values_list("created_by", flat=True))
    ids |= set(CheckIn.objects.filter(session=session).values_list("checked_in_by", flat=True))
    return ids


# Who may take which part in a session. The services call these once the session is locked
# (after a bare permission check that spares strangers the lock); `session_abilities` asks
# the same functions without raising, so the console offers a user exactly the panels the
# services would accept them in.


def _require_operator(actor, session: LotterySession) -> None:
    """Checking in, drawing, picking, pausing: the operator's permission, and four-eyes —
    the notary who confirmed the lists or entered the entropy never operates."""
    require_permission(actor, OPERATE)
    if actor.pk in {session.confirmed_by_id, session.entropy_by_id}:
        raise NotAllowed(
            "four_eyes",
            _("您是本场次的见证公证员,不能操作摇号、选房或签到(四眼原则)。"),
        )


def _require_witness(actor, session: LotterySession, *, signing: bool = False) -> None:
    """Confirming, entering the entropy, signing: the notary's permission, and four-eyes —
    whoever checked a household in, drew or picked never witnesses."""
    require_permission(actor, WITNESS)
    if actor.pk in operator_ids(session):
        raise NotAllowed(
            "four_eyes",
            _("您操作过本场次的签到、摇号或选房,不能签署本场次(四眼原则)。")
            if signing
            else _("您已操作过本场次的签到,不能再担任见证公证员。"),
        )


def _require_voider(actor, session: LotterySession) -> None:
    require_permission(actor, VOID)


@dataclass(frozen=True)
class SessionAbilities:
    """The parts of an open session `actor` may take now (each step still checks its own
    status and input)."""

    operate: bool
    witness: bool
    void: bool


def session_abilities(session: LotterySession, actor) -> SessionAbilities:
    """Which panels of the session's console to offer `actor`: the services' own checks,
    asked without raising. A closed session offers none."""
    if session.status not in OPEN_STATUSES:
        return SessionAbilities(operate=False, witness=False, void=False)

    def passes(check: Callable[..., None]) -> bool:
        try:
            check(actor, session)
        except NotAllowed:
            return False
        return True

    return SessionAbilities(
        operate=passes(_require_operator),
        witness=passes(_require_witness),
        void=passes(_require_voider),
    )


def _type_names(project: Project) -> dict[str, str]:
    return {t.code: t.name for t in ApartmentType.objects.filter(project=project)}


def _shortages(
    participants: Sequence[dict], inventory: Sequence[dict], project: Project
) -> list[dict]:
    needed = algorithm.demand_of(participants)
    available: dict[str, int] = {}
    for apartment in inventory:
        available[apartment["type"]] = available.get(apartment["type"], 0) + 1
    names = _type_names(project)
    return [
        {
            "type": code,
            "name": names.get(code, code),
            "needed": n,
            "available": available.get(code, 0),
        }
        for code, n in sorted(needed.items())
        if n > available.get(code, 0)
    ]


# -- creating and witnessing ----------------------------------------------------------------


def _refusal(code: str, field: str, message: str, **context: Any) -> RuleViolation:
    """A refusal naming the input it is about: details [{"field", "message", ...context}],
    which the new-session form puts on that field."""
    return RuleViolation(code, message, details=[{"field": field, "message": message, **context}])


@transaction.atomic
def lottery_session_create(
    *,
    actor,
    project: Project,
    estate: Estate,
    communities: Iterable[Community],
    code: str,
    title: str,
    mode: str,
    rehearsal: bool = False,
    fixed_village_order: Sequence[str] | None = None,
    replaces: LotterySession | None = None,
) -> LotterySession:
    """Open a session: draw its secret, publish the commitment, snapshot who takes part
    and which apartments are available (DESIGN §5 item 1).

    Refused when the participant list is empty, a household of the communities has no
    locked apartment-type choice, an apartment type is short, another binding session is
    open on the estate, or `fixed_village_order` does not list each community once.
    """
    require_permission(actor, "lottery.add_lotterysession")
    require_project_access(actor, project)
    communities = sorted(set(communities), key=lambda c: c.code)
    code, title = (code or "").strip(), (title or "").strip()
    errors: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    if not code:
        problem("code", _("请填写场次编号。"))
    elif not SESSION_CODE.fullmatch(code) or code.lower() in RESERVED_SESSION_CODES:
        problem(
            "code",
            _("场次编号只能由字母、数字、“-”和“_”组成,不超过32个字符,且不能是“%(word)s”。")
            % {"word": "new"},
        )
    elif LotterySession.objects.filter(code=code).exists():
        problem("code", _("场次编号 %(code)s 已被使用。") % {"code": code})
    if not title:
        problem("title", _("请填写场次名称。"))
    if mode not in SessionMode.values:
        problem("mode", _("摇号方式无效:%(mode)s。") % {"mode": mode})
    if estate.project_id != project.pk:
        problem(
            "estate",
            _("安置小区 %(e)s 不属于项目 %(p)s。") % {"e": estate.code, "p": project.code},
        )
    if not communities:
        problem("communities", _("请至少选择一个参加摇号的村/社区。"))
    for community in communities:
        if community.project_id != project.pk:
            problem(
                "communities",
                _("村/社区 %(c)s 不属于项目 %(p)s。") % {"c": community.code, "p": project.code},
            )
    codes = [c.code for c in communities]
    if fixed_village_order is not None:
        fixed_village_order = [str(c).strip() for c in fixed_village_order]
        if sorted(fixed_village_order) != sorted(codes):
            problem(
                "fixed_village_order",
                _("决议确定的村序必须恰好列出每个参加的村/社区一次(应为:%(codes)s)。")
                % {"codes": "、".join(codes)},
            )
    if replaces is not None:
        if replaces.status != SessionStatus.VOIDED:
            problem(
                "replaces",
                _("只能替代已作废的场次,场次 %(code)s 未作废。") % {"code": replaces.code},
            )
        elif replaces.project_id != project.pk:
            problem("replaces", _("被替代的场次 %(code)s 不属于本项目。") % {"code": replaces.code})
        elif LotterySession.objects.filter(replaces=replaces).exists():
            problem("replaces", _("场次 %(code)s 已有替代场次。") % {"code": replaces.code})
    if errors:
        raise RuleViolation("invalid_input", errors[0]["message"], details=errors)

    if not rehearsal and (
        LotterySession.objects.filter(estate=estate, rehearsal=False, status__in=OPEN_STATUSES)
        .exclude(pk=getattr(replaces, "pk", None))
        .exists()
    ):
        raise _refusal(
            "session_open",
            "estate",
            _("安置小区 %(e)s 已有一场正式摇号尚未结束;请先签署或作废该场次。")
            % {"e": estate.name},
        )
    missing = selectors.households_without_locked_demand(project, communities)
    if missing:
        raise _refusal(
            "demand_not_locked",
            "communities",
            _("以下 %(n)d 户的户型选择尚未锁定,不能参加摇号:%(codes)s")
            % {"n": len(missing), "codes": "、".join(missing)},
            households=missing,
        )
    participants = selectors.participants_snapshot(project, communities)
    if not participants:
        raise _refusal(
            "no_participants",
            "communities",
            _("所选村/社区没有已审批、户型已锁定且尚未分房的安置户。"),
        )
    present = {p["community"] for p in participants}
    empty = [c for c in codes if c not in present]
    if empty:
        raise _refusal(
            "community_without_participants",
            "communities",
            _("以下村/社区没有参加摇号的安置户,请不要选择:%(codes)s") % {"codes": "、".join(empty)},
            communities=empty,
        )
    inventory = selectors.inventory_snapshot(estate)
    short = _shortages(participants, inventory, project)
    if short:
        details = [
            {
                "field": "estate",
                "message": _(
                    "户型 %(name)s(%(type)s)房源不足:需要 %(needed)d 套,可分配 %(available)d 套。"
                )
                % type_short,
                **type_short,
            }
            for type_short in short
        ]
        raise RuleViolation("not_enough_apartments", details[0]["message"], details=details)

    secret = secrets.token_bytes(algorithm.SECRET_BYTES)
    now = timezone.now()
    several_estates = Estate.objects.filter(project=project).count() > 1
    session = LotterySession(
        project=project,
        estate=estate,
        code=code,
        title=title,
        mode=mode,
        rehearsal=bool(rehearsal),
        fixed_village_order=list(fixed_village_order) if fixed_village_order is not None else None,
        server_secret=secret.hex(),
        commitment=algorithm.commitment_of(secret),
        participants=participants,
        participants_sha256=algorithm.snapshot_hash(participants),
        inventory=inventory,
        inventory_sha256=algorithm.snapshot_hash(inventory),
        step_prefix=algorithm.step_prefix(estate.code, several_estates),
        created_by=actor,
        committed_at=now,
        replaces=replaces,
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:
        raise _refusal(
            "session_open",
            "estate",
            _("安置小区 %(e)s 已有一场正式摇号尚未结束,或场次编号已被使用。") % {"e": estate.name},
        ) from exc
    session.communities.set(communities)
    _event(session, SessionEventKind.CREATED, actor, session.commitment)
    return session


@transaction.atomic
def lottery_session_confirm(
    *, actor, session: LotterySession, participants_sha256: str, inventory_sha256: str
) -> LotterySession:
    """The notary confirms the participant list and inventory snapshot they were shown: the
    hashes they pass must be the stored ones, and the data must not have moved since."""
    require_permission(actor, WITNESS)
    session = _lock(session)
    _require_status(session, SessionStatus.COMMITTED, doing=_("确认名单与房源"))
    _require_witness(actor, session)
    given = {
        "participants": (participants_sha256 or "").strip().lower(),
        "inventory": (inventory_sha256 or "").strip().lower(),
    }
    if given["participants"] != session.participants_sha256:
        raise RuleViolation(
            "hash_mismatch",
            _("名单哈希与本场次记录的不一致(记录为 %(h)s),请核对后再确认。")
            % {"h": session.participants_sha256},
        )
    if given["inventory"] != session.inventory_sha256:
        raise RuleViolation(
            "hash_mismatch",
            _("房源哈希与本场次记录的不一致(记录为 %(h)s),请核对后再确认。")
            % {"h": session.inventory_sha256},
        )
    communities = list(session.communities.all())
    now_participants = selectors.participants_snapshot(session.project, communities)
    now_inventory = selectors.inventory_snapshot(session.estate)
    if (
        algorithm.snapshot_hash(now_participants) != session.participants_sha256
        or algorithm.snapshot_hash(now_inventory) != session.inventory_sha256
    ):
        raise RuleViolation(
            "snapshot_changed",
            _("创建场次后名单或房源已有变动,快照已不是现状;请作废本场次并重新创建。"),
        )
    session.status = SessionStatus.CONFIRMED
    session.confirmed_by = actor
    session.confirmed_at = timezone.now()
    session.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    _event(session, SessionEventKind.CONFIRMED, actor)
    return session


@transaction.atomic
def lottery_session_enter_entropy(
    *, actor, session: LotterySession, witness_entropy: str
) -> LotterySession:
    """The notary enters the witness entropy (NFC-normalised, surrounding spaces removed):
    the seed and every step's draw order are fixed now (DESIGN §5 items 2–4)."""
    require_permission(actor, WITNESS)
    session = _lock(session)
    _require_status(session, SessionStatus.CONFIRMED, doing=_("录入见证随机数"))
    _require_witness(actor, session)
    entropy = algorithm.normalise_entropy((witness_entropy or "").strip())
    if not entropy:
        raise RuleViolation("entropy_blank", _("请录入现场产生的见证随机数,不能为空。"))
    secret = bytes.fromhex(session.server_secret)
    seed = algorithm.seed_of(secret, entropy)
    try:
        steps = algorithm.draw_all(
            seed,
            session.participants,
            fixed_village_order=session.fixed_village_order,
            prefix=session.step_prefix,
        )
    except algorithm.LotteryError as exc:
        raise RuleViolation("cannot_draw", _("无法生成摇号步骤:%(e)s") % {"e": exc}) from exc
    session.witness_entropy = entropy
    session.seed = seed.hex()
    session.steps = steps
    session.status = SessionStatus.DRAWING
    session.entropy_by = actor
    session.entropy_at = timezone.now()
    try:
        selectors.scheme_for(session)  # the allocation must be computable before any draw
    except algorithm.LotteryError as exc:
        raise RuleViolation("cannot_allocate", _("无法按方案分配房源:%(e)s") % {"e": exc}) from exc
    session.save(
        update_fields=["witness_entropy", "seed", "steps", "status", "entropy_by", "entropy_at"]
    )
    _event(session, SessionEventKind.ENTROPY, actor, entropy)
    return session


# -- in the hall ----------------------------------------------------------------------------


@transaction.atomic
def lottery_check_in(
    *, actor, session: LotterySession, credential: str, attendee: str, identity_confirmed: bool
) -> CheckIn:
    """Check a participating household in by its notice's lookup code or a member's ID
    number, once the operator has seen the attendee's ID card (`identity_confirmed`)."""
    require_permission(actor, OPERATE)
    session = _lock(session)
    _require_status(session, *OPEN_STATUSES, doing=_("签到"))
    _require_operator(actor, session)
    if not identity_confirmed:
        raise RuleViolation(
            "identity_not_confirmed", _("请先核验到场人的身份证件,并勾选“已核对到场人身份证件”。")
        )
    attendee = (attendee or "").strip()
    if not attendee:
        raise RuleViolation("attendee_blank", _("请填写到场人姓名。"))
    if len(attendee) > 50:
        raise RuleViolation("attendee_too_long", _("到场人姓名不能超过50个字符。"))
    value = idnumbers.normalise(credential or "")
    if not value:
        raise RuleViolation("credential_blank", _("请输入通知书查询码或身份证号。"))
    household = Household.objects.filter(project_id=session.project_id, lookup_code=value).first()
    method = CheckInMethod.NOTICE_CODE
    if household is None:
        member = (
            Member.objects.filter(project_id=session.project_id, id_number=value)
            .select_related("household")
            .first()
        )
        household = member.household if member else None
        method = CheckInMethod.ID_NUMBER
    if household is None:
        raise RuleViolation(
            "credential_unknown",
            # Typed, not shown back in full: the console is on a screen in the hall.
            _("查询码或身份证号“%(v)s”不属于本项目的任何安置户。") % {"v": mask(value, Mask.TEXT)},
        )
    if household.code not in {p["code"] for p in session.participants}:
        raise RuleViolation(
            "not_participant",
            _("安置户 %(h)s 不在本场次的参加名单中。") % {"h": household.code},
        )
    earlier = CheckIn.objects.filter(session=session, household=household).first()
    if earlier is not None:
        raise RuleViolation(
            "already_checked_in",
            _("安置户 %(h)s 已于 %(t)s 签到(到场人:%(a)s)。")
            % {
                "h": household.code,
                "t": timezone.localtime(earlier.checked_in_at).strftime("%H:%M"),
                "a": earlier.attendee,
            },
        )
    try:
        with transaction.atomic():
            return CheckIn.objects.create(
                session=session,
                household=household,
                method=method,
                attendee=attendee,
                checked_in_by=actor,
            )
    except IntegrityError as exc:
        raise RuleViolation(
            "already_checked_in", _("安置户 %(h)s 已签到。") % {"h": household.code}
        ) from exc


def _reveal_rows(
    session: LotterySession, items: Sequence[selectors.CallItem], actor
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
    present = selectors.checked_in_codes(session, household_codes) if household_codes else set()
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
        scheme = selectors.scheme_for(session)
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
    order = selectors.call_order(session)
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
    order = selectors.call_order(session)
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
    order = selectors.call_order(session)
    done = selectors.allocation_rows(session)
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
    scheme = selectors.scheme_for(session)
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


# -- closing --------------------------------------------------------------------------------


@transaction.atomic
def lottery_session_sign_off(*, actor, session: LotterySession, witnesses: str) -> LotterySession:
    """The notary closes the session once every draw (and in choose mode every pick) is
    done: the bundle is built and stored with its hash, the secret is revealed, and binding
    allocations mark their apartments allocated. After this nothing about it changes."""
    require_permission(actor, WITNESS)
    session = _lock(session)
    _require_status(session, SessionStatus.DRAWING, doing=_("签署"))
    _require_witness(actor, session, signing=True)
    witnesses = (witnesses or "").strip()
    if not witnesses:
        raise RuleViolation("witnesses_blank", _("请填写现场见证人。"))
    order = selectors.call_order(session)
    revealed = _next_position(session) - 1
    if revealed < len(order):
        raise RuleViolation(
            "draws_remaining",
            _("还有 %(n)d 个摇号未完成(共 %(total)d 个),不能签署。")
            % {"n": len(order) - revealed, "total": len(order)},
        )
    if session.mode == SessionMode.CHOOSE:
        picked = {row["household"] for row in selectors.allocation_rows(session)}
        waiting = [p["code"] for p in session.participants if p["code"] not in picked]
        if waiting:
            raise RuleViolation(
                "picks_remaining",
                _("还有 %(n)d 户未选房(%(codes)s),不能签署。")
                % {"n": len(waiting), "codes": "、".join(waiting[:10])},
            )
    session.witnesses = witnesses
    session.closed_at = timezone.now()
    session.signed_by = actor
    session.bundle = verification.bundle_of(session)
    session.bundle_sha256 = algorithm.sha256_hex(algorithm.canonical_json(session.bundle))
    problems = verification.verify_bundle(session.bundle)
    if problems:  # the stored rows do not match the algorithm: never sign that
        raise RuleViolation("bundle_invalid", problems[0], details=problems)
    if not session.rehearsal:
        Apartment.objects.filter(
            pk__in=Allocation.objects.filter(session=session, binding=True).values("apartment_id")
        ).update(status=ApartmentStatus.ALLOCATED)
    _event(session, SessionEventKind.SIGNED, actor, witnesses)
    session.status = SessionStatus.SIGNED
    session.paused = False
    session.save(
        update_fields=[
            "witnesses",
            "closed_at",
            "signed_by",
            "bundle",
            "bundle_sha256",
            "status",
            "paused",
        ]
    )
    audit_record(actor=actor, action="lottery.sign_off", obj=session, payload=_facts(session))
    return session


def _facts(session: LotterySession, **more: Any) -> dict[str, Any]:
    """What the audit trail records of a sign-off or voiding."""
    return {
        "session": session.code,
        "project": session.project.code,
        "rehearsal": session.rehearsal,
        "commitment": session.commitment,
        "participants_sha256": session.participants_sha256,
        "inventory_sha256": session.inventory_sha256,
        "seed": session.seed,
        "bundle_sha256": session.bundle_sha256,
        "witnesses": session.witnesses,
        **more,
    }


@transaction.atomic
def lottery_session_void(*, actor, session: LotterySession, reason: str) -> LotterySession:
    """Void a session before sign-off, with a written reason (shown publicly): its
    allocations stop binding and its apartments are free again. A new session may then be
    created with `replaces=` this one (a new secret, a new commitment)."""
    _require_voider(actor, session)
    session = _lock(session)
    _require_status(session, *OPEN_STATUSES, doing=_("作废"))
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("reason_required", _("作废场次必须写明原因。"))
    Allocation.objects.filter(session=session, binding=True).update(binding=False)
    Apartment.objects.filter(
        Q(allocations__session=session), status=ApartmentStatus.ALLOCATED
    ).exclude(allocations__binding=True).update(status=ApartmentStatus.AVAILABLE)
    session.status = SessionStatus.VOIDED
    session.paused = False
    session.void_reason = reason
    session.voided_by = actor
    session.voided_at = timezone.now()
    session.save(update_fields=["status", "paused", "void_reason", "voided_by", "voided_at"])
    _event(session, SessionEventKind.VOIDED, actor, reason)
    audit_record(
        actor=actor, action="lottery.void", obj=session, payload=_facts(session, reason=reason)
    )
    return session
