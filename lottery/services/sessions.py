"""Every change to a lottery session goes through the services in `lottery.services`
(DESIGN §5; rs-lottery-v2, docs/lottery.md §13a); this module holds the session's own life.

The life of a session: `lottery_session_create` (leader: secret drawn, commitment public at
once, participant and inventory snapshots taken) → `lottery_session_confirm` (notary: the
snapshot hashes they saw) → `lottery_session_enter_entropy` (notary: the seed, hence every
step's order, is fixed) → check-ins (`lottery.services.check_in`) and draws revealed one by
one in call order (`lottery.services.draws`: `lottery_draw_next`, operator;
`lottery_draw_remaining` in bulk) and, in order-then-choose mode, picks (`lottery_pick`) →
`lottery_session_sign_off` (`lottery.services.sign_off`, notary: bundle built, secret
revealed). Before sign-off a session may be voided with a written reason
(`lottery_session_void`); after it nothing changes (the database refuses too: migration 0003).

Each function takes the acting user as `actor`, checks the permission and the four-eyes
rule (`lottery.services.four_eyes`: the notary who witnessed a session never operates its
draws, and the notary who signs never operated), runs in one transaction and raises
`RuleViolation` with a message naming the problem. Session rows are locked
(`select_for_update`) for every change, so two operators clicking at once never reveal one
position twice.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import Apartment, ApartmentStatus, ApartmentType, Estate
from households.access import require_project_access
from households.models import Community, Project
from lottery import algorithm
from lottery.gates import require_publicity_cleared
from lottery.models import Allocation, LotterySession, SessionEventKind, SessionMode, SessionStatus
from lottery.selectors.draws import scheme_for
from lottery.selectors.sessions import (
    households_without_locked_demand,
    inventory_snapshot,
    participants_snapshot,
)
from lottery.services._common import (
    OPEN_STATUSES,
    WITNESS,
    _event,
    _facts,
    _lock,
    _require_status,
)
from lottery.services.four_eyes import _require_voider, _require_witness
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission

# Session codes appear in URLs (/staff/lottery/<code>/, /public/lottery/<code>/): letters,
# digits, "-" and "_" only, and never the word a page of their own uses.
SESSION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
RESERVED_SESSION_CODES = {"new"}


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
    public_source: Mapping[str, Any] | None = None,
    legacy_v1: bool = False,
) -> LotterySession:
    """Open a session: draw its secret, publish the commitment, snapshot who takes part
    and which apartments are available (DESIGN §5 item 1).

    Refused when the participant list is empty, a participant of a binding session has not
    been through publicity (`lottery.gates.require_publicity_cleared`), a household of the
    communities has no locked apartment-type choice, an apartment type is short, another
    binding session is open on the estate, or `fixed_village_order` does not list each
    community once.

    With `public_source` (a public random value that does not exist yet, docs/lottery.md
    §13a) the session is `rs-lottery-v2`: its commitment is the hash of a record binding the
    secret's hash, the estates and step prefix, both snapshot hashes and that source.
    A binding session must name one (issue 16: no one may opt out of public randomness);
    a rehearsal may go without, and is then `rs-lottery-v1` (it binds nothing and is never
    published). `legacy_v1=True` builds a binding v1 session as they were made before v2:
    only for the tests of v1 verification and the demo's "created before v2" session — the
    form and the API never pass it.
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
    if public_source is not None:
        public_source = _clean_public_source(public_source, problem)
    elif not rehearsal and not legacy_v1:
        problem(
            "public_source_kind",
            _(
                "正式摇号必须事先指定一个公开随机数(福利彩票、体育彩票或 drand),"
                "请填写“事先指定的公开随机数”。"
            ),
        )
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
    missing = households_without_locked_demand(project, communities)
    if missing:
        raise _refusal(
            "demand_not_locked",
            "communities",
            _("以下 %(n)d 户的户型选择尚未锁定,不能参加摇号:%(codes)s")
            % {"n": len(missing), "codes": "、".join(missing)},
            households=missing,
        )
    participants = participants_snapshot(project, communities)
    if not participants:
        raise _refusal(
            "no_participants",
            "communities",
            _("所选村/社区没有已审批、户型已锁定且尚未分房的安置户。"),
        )
    if not rehearsal:
        require_publicity_cleared(project, [p["code"] for p in participants])
    present = {p["community"] for p in participants}
    empty = [c for c in codes if c not in present]
    if empty:
        raise _refusal(
            "community_without_participants",
            "communities",
            _("以下村/社区没有参加摇号的安置户,请不要选择:%(codes)s") % {"codes": "、".join(empty)},
            communities=empty,
        )
    inventory = inventory_snapshot(estate)
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
    estates = sorted(Estate.objects.filter(project=project).values_list("code", flat=True))
    participants_sha256 = algorithm.snapshot_hash(participants)
    inventory_sha256 = algorithm.snapshot_hash(inventory)
    prefix = algorithm.step_prefix_of(estate.code, estates)
    record = None
    commitment = algorithm.commitment_of(secret)
    if public_source is not None:
        record = algorithm.commitment_record(
            server_secret=secret,
            project=project.code,
            session=code,
            estate=estate.code,
            estates=estates,
            mode=mode,
            fixed_village_order=fixed_village_order,
            participants_sha256=participants_sha256,
            inventory_sha256=inventory_sha256,
            public_source=public_source,
        )
        commitment = algorithm.commitment_of_record(record)
    session = LotterySession(
        project=project,
        estate=estate,
        code=code,
        title=title,
        mode=mode,
        rehearsal=bool(rehearsal),
        fixed_village_order=list(fixed_village_order) if fixed_village_order is not None else None,
        algorithm=algorithm.ALGORITHM_V2 if record else algorithm.ALGORITHM,
        commitment_record=record,
        server_secret=secret.hex(),
        commitment=commitment,
        participants=participants,
        participants_sha256=participants_sha256,
        inventory=inventory,
        inventory_sha256=inventory_sha256,
        step_prefix=prefix,
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
    now_participants = participants_snapshot(session.project, communities)
    now_inventory = inventory_snapshot(session.estate)
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
    """The notary enters the witness entropy (NFC-normalised, surrounding spaces removed).
    In v1 the seed and every step's draw order are fixed now (DESIGN §5 items 2–4); in v2
    once the public value is entered too (`lottery_session_enter_public_value`)."""
    require_permission(actor, WITNESS)
    session = _lock(session)
    _require_status(session, SessionStatus.CONFIRMED, doing=_("录入见证随机数"))
    _require_witness(actor, session)
    if session.witness_entropy:
        raise RuleViolation("entropy_entered", _("见证随机数已录入,不能修改。"))
    entropy = algorithm.normalise_entropy((witness_entropy or "").strip())
    if not entropy:
        raise RuleViolation("entropy_blank", _("请录入现场产生的见证随机数,不能为空。"))
    session.witness_entropy = entropy
    session.entropy_by = actor
    session.entropy_at = timezone.now()
    fields = ["witness_entropy", "entropy_by", "entropy_at"]
    if not session.waits_for_public_value:
        fields += _fix_seed(session)
    session.save(update_fields=fields)
    _event(session, SessionEventKind.ENTROPY, actor, entropy)
    return session


@transaction.atomic
def lottery_session_enter_public_value(
    *, actor, session: LotterySession, value: str, signature: str = ""
) -> LotterySession:
    """v2: the notary enters the public random value named at creation, as published (for a
    drand round its randomness and signature). With the witness entropy already in, the seed
    and every step's order are fixed now; until then nothing can be drawn."""
    require_permission(actor, WITNESS)
    session = _lock(session)
    if not session.is_v2:
        raise RuleViolation(
            "not_v2", _("场次 %(code)s 没有事先指定公开随机数。") % {"code": session.code}
        )
    _require_status(session, SessionStatus.CONFIRMED, doing=_("录入公开随机数"))
    _require_witness(actor, session)
    if session.public_value:
        raise RuleViolation("public_value_entered", _("公开随机数已录入,不能修改。"))
    kind = session.public_source["kind"]
    value = algorithm.normalise_public_value(kind, value or "")
    signature = (signature or "").strip().lower()
    if not value:
        raise RuleViolation("public_value_blank", _("请录入已公布的公开随机数,不能为空。"))
    if kind != "drand":
        signature = ""
    problem = algorithm.public_value_problem(kind, value, signature)
    if problem:
        raise RuleViolation(
            "public_value_invalid",
            _(
                "drand 随机数应为 64 位十六进制数,并附上该轮次公布的签名(十六进制);"
                "随机数必须等于签名的 SHA-256。请按 drand 公布的原文录入。"
            ),
            details=[{"field": "value", "message": problem}],
        )
    session.public_value = value
    session.public_signature = signature
    session.public_value_by = actor
    session.public_value_at = timezone.now()
    fields = ["public_value", "public_signature", "public_value_by", "public_value_at"]
    if session.witness_entropy:
        fields += _fix_seed(session)
    session.save(update_fields=fields)
    _event(session, SessionEventKind.PUBLIC_VALUE, actor, value)
    return session


def _fix_seed(session: LotterySession) -> list[str]:
    """Every input is in: compute the seed and every step, check the allocation can be
    made, and move to drawing. Returns the fields it changed (the caller saves)."""
    secret = bytes.fromhex(session.server_secret)
    if session.is_v2:
        seed = algorithm.seed_of_v2(
            secret, session.commitment, session.public_value, session.witness_entropy
        )
    else:
        seed = algorithm.seed_of(secret, session.witness_entropy)
    try:
        steps = algorithm.draw_all(
            seed,
            session.participants,
            fixed_village_order=session.fixed_village_order,
            prefix=session.step_prefix,
        )
    except algorithm.LotteryError as exc:
        raise RuleViolation("cannot_draw", _("无法生成摇号步骤:%(e)s") % {"e": exc}) from exc
    session.seed = seed.hex()
    session.steps = steps
    session.status = SessionStatus.DRAWING
    try:
        scheme_for(session)  # the allocation must be computable before any draw
    except algorithm.LotteryError as exc:
        raise RuleViolation("cannot_allocate", _("无法按方案分配房源:%(e)s") % {"e": exc}) from exc
    return ["seed", "steps", "status"]


def _clean_public_source(source: Mapping[str, Any], problem) -> dict[str, Any]:
    """The public random value named in advance, in the record's form (docs/lottery.md §13a):
    {"kind": "welfare_lottery" | "sports_lottery", "game", "draw", "date"} or
    {"kind": "drand", "chain", "round"}. Problems go to `problem(field, message)`."""
    kind = str(source.get("kind") or "").strip()
    if kind not in algorithm.PUBLIC_SOURCE_KINDS:
        problem("public_source_kind", _("请选择公开随机数的来源:福利彩票、体育彩票或 drand。"))
        return {}
    if kind == "drand":
        chain = str(source.get("chain") or "").strip().lower()
        round_text = str(source.get("round") or "").strip()
        if not re.fullmatch(r"[0-9a-f]{64}", chain):
            problem("public_source_kind", _("drand 链的哈希应为 64 位十六进制数。"))
        if not round_text.isdigit() or int(round_text) < 1:
            problem("public_source_kind", _("drand 轮次应为正整数。"))
            return {}
        return {"kind": kind, "chain": chain, "round": int(round_text)}
    game = " ".join(str(source.get("game") or "").split())
    draw = " ".join(str(source.get("draw") or "").split())
    date_text = str(source.get("date") or "").strip()
    if not game or not draw:
        problem("public_source_kind", _("请填写彩票的玩法和期号。"))
    try:
        draw_date = dt.date.fromisoformat(date_text)
    except ValueError:
        problem("public_source_kind", _("请按 YYYY-MM-DD 填写开奖日期。"))
        return {}
    if draw_date < timezone.localdate():
        problem(
            "public_source_kind",
            _("开奖日期 %(d)s 已过:公开随机数必须在创建场次时尚未产生。") % {"d": date_text},
        )
    return {"kind": kind, "game": game, "draw": draw, "date": draw_date.isoformat()}


# -- voiding -----------------------------------------------------------------------------------


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
