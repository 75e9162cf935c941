"""A household's case as one timeline (办理时间线): every event from registration to moving in.

Each event says what happened, when, by whom (a person's name, not a user name) and, where
the decision is on the audit chain (resettlement.audit), the chain entry's sequence number —
found by the entry's subject (object type and id: the household, its members, its statement
and payments, the publications it appeared in, the objections about it, the lottery sessions
it took part in). Events kept only in their stage's records (registration, check-in, the
draw, choices, agreement, keys, defects) carry no sequence number. Chain entries about the
household's subjects that no record explains (a decision recorded by a later version of a
service) are shown as they are, so nothing on the chain is left out.

Oversight reads every stage; it runs a fixed number of queries per household, whatever the
length of its history. It never writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import Demand
from households.models import Household, Member
from households.stages import Stage, stage_of
from lottery.models import Allocation, CheckIn, LotterySession
from publicity.models import Objection, Publication, PublicationStatus
from publicity.selectors.public_site import roster_lists
from resettlement import publicity_kinds
from resettlement.audit import AuditAction
from resettlement.models import AuditEntry
from resettlement.money import money_text
from resettlement.people import person_name
from settlement.models import (
    Agreement,
    BankAccount,
    DefectTicket,
    Handover,
    Outcome,
    OverdueCashSwitch,
    Payment,
    PaymentDirection,
    Statement,
    StatementApproval,
    StatementSendBack,
)


@dataclass
class Event:
    at: dt.datetime  # when it was recorded: the timeline's order
    kind: str  # a stable code: "registration", "review", "publication", …
    title: str
    detail: str = ""  # may hold residents' free text: mask it where the reader may not see it
    actor: str = ""
    day: dt.date | None = None  # the day the record names, where it differs from `at`
    sequence: int | None = None  # the audit chain entry's sequence number


@dataclass
class Timeline:
    household: Household
    stage: Stage
    events: list[Event] = field(default_factory=list)


def person(user: Any) -> str:
    """A user as people know them (`resettlement.people.person_name`); the system for nobody."""
    if user is None:
        return _("系统")
    return person_name(user)


def _key(obj: Any) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


class _Chain:
    """The audit entries about the household's subjects, taken one by one as records claim
    them; what is left is shown as it stands."""

    def __init__(self, entries: Iterable[AuditEntry]) -> None:
        self._by_subject: dict[tuple[str, str, str], list[AuditEntry]] = defaultdict(list)
        for entry in entries:
            self._by_subject[(entry.object_type, entry.object_id, entry.action)].append(entry)

    def take(self, obj: Any, action: str, **payload: Any) -> AuditEntry | None:
        """The first unclaimed entry on `obj` for `action` whose payload has `payload`."""
        entries = self._by_subject.get((*_key(obj), action), [])
        for entry in entries:
            if all(entry.payload.get(k) == v for k, v in payload.items()):
                entries.remove(entry)
                return entry
        return None

    def all_for(self, obj: Any, action: str) -> list[AuditEntry]:
        return self._by_subject.pop((*_key(obj), action), [])

    def rest(self) -> list[AuditEntry]:
        return [e for entries in self._by_subject.values() for e in entries]


def _entry_event(entry: AuditEntry, title: str, detail: str = "", kind: str = "audit") -> Event:
    return Event(
        at=entry.recorded_at,
        kind=kind,
        title=title,
        detail=detail,
        actor=person(entry.actor),
        sequence=entry.sequence,
    )


def _action_label(action: str) -> str:
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action


def household_timeline(household: Household) -> Timeline:
    """Every event of the household's case, oldest first."""
    h = household
    members = {m.pk: m for m in Member.objects.filter(household=h)}
    # Only rosters with a household column can list it (not the housing stock, say).
    per_household = [
        kind.code
        for kind in publicity_kinds.all_kinds()
        if any(column.key == "household" for column in kind.columns)
    ]
    rosters = (
        Publication.objects.filter(project=h.project_id, kind__in=per_household)
        .exclude(status=PublicationStatus.DRAFT)
        .filter(Q(community__isnull=True) | Q(community=h.community_id))
    )
    if connection.vendor == "postgresql":
        # Only rosters with a cell holding the code are read whole (JSON containment), not
        # every roster of the project; `roster_lists` then checks it is the household column.
        rosters = rosters.filter(rows__contains=[[h.code]])
    publications = [
        p
        for p in rosters.select_related("published_by").order_by("published_at", "pk")
        if roster_lists(p, h.code)
    ]
    objections = list(
        Objection.objects.filter(publication__project=h.project_id, household_code=h.code)
        .select_related("publication", "answered_by")
        .order_by("filed_at", "pk")
    )
    check_ins = list(CheckIn.objects.filter(household=h).select_related("session", "checked_in_by"))
    allocations = list(
        Allocation.objects.filter(household=h)
        .select_related("session", "apartment", "created_by")
        .order_by("created_at", "pk")
    )
    session_ids = {c.session_id for c in check_ins} | {a.session_id for a in allocations}
    sessions = list(
        LotterySession.objects.filter(pk__in=session_ids).select_related("signed_by", "voided_by")
    )
    demand = (
        Demand.objects.filter(household=h)
        .select_related("chosen_by", "locked_by")
        .prefetch_related("items__apartment_type")
        .first()
    )
    statement = Statement.objects.filter(household=h).select_related("computed_by").first()
    approvals = list(
        StatementApproval.objects.filter(statement__household=h).select_related("actor")
    )
    send_backs = list(
        StatementSendBack.objects.filter(statement__household=h).select_related("actor")
    )
    payments = list(Payment.objects.filter(statement__household=h).select_related("recorded_by"))
    agreement = Agreement.objects.filter(household=h).select_related("recorded_by").first()
    handover = Handover.objects.filter(household=h).select_related("handed_over_by").first()
    # Bank accounts and a switch to cash: shown from their audit entries, whose facts hold
    # the account number masked (settlement.services.bank_accounts).
    accounts = list(BankAccount.objects.filter(household=h).only("pk", "household_id"))
    switch = OverdueCashSwitch.objects.filter(household=h).only("pk", "household_id").first()
    defects = list(
        DefectTicket.objects.filter(household=h)
        .select_related("reported_by", "answered_by", "apartment")
        .order_by("reported_at", "pk")
    )

    subjects: list[Any] = [h, *members.values(), *publications, *objections, *sessions]
    subjects += [x for x in (demand, statement, agreement, handover, switch) if x is not None]
    subjects += accounts
    subjects += [*payments, *check_ins, *allocations, *defects]
    by_type: dict[str, set[str]] = defaultdict(set)
    for obj in subjects:
        object_type, object_id = _key(obj)
        by_type[object_type].add(object_id)
    where = Q(pk__in=[])
    for object_type, ids in by_type.items():
        where |= Q(object_type=object_type, object_id__in=ids)
    chain = _Chain(AuditEntry.objects.filter(where).select_related("actor").order_by("sequence"))

    events: list[Event] = [
        Event(
            at=h.registered_at,
            kind="registration",
            title=_("登记"),
            detail=_("户编号 %(code)s,%(group)s") % {"code": h.code, "group": h.group.name},
            actor=person(h.registered_by),
        )
    ]
    events += _review_events(chain, h, members)
    events += _publicity_events(chain, publications, objections)
    events += _lottery_events(chain, check_ins, allocations, sessions)
    events += _demand_events(demand)
    events += _statement_events(chain, statement, approvals, send_backs, payments)
    events += _handover_events(agreement, handover, defects)
    events += _bank_account_events(chain, accounts)
    events += [
        _entry_event(entry, _action_label(entry.action), str(entry.payload.get("reason", "")))
        for entry in chain.rest()
    ]
    events.sort(key=lambda e: (e.at, e.sequence or 0))
    return Timeline(household=h, stage=stage_of(h), events=events)


def _bank_account_events(chain: _Chain, accounts: list[BankAccount]) -> list[Event]:
    """Recorded, confirmed, rejected: the bank, the number as the audit holds it (masked)
    and the reason."""
    events = []
    for account in accounts:
        for action in ("bank_account.record", "bank_account.confirm", "bank_account.reject"):
            for entry in chain.all_for(account, action):
                facts = entry.payload
                detail = _("%(bank)s,账号 %(number)s") % {
                    "bank": facts.get("bank_name", ""),
                    "number": facts.get("account_number", ""),
                }
                if facts.get("reason"):
                    detail += _(",理由:%(r)s") % {"r": facts["reason"]}
                events.append(_entry_event(entry, _action_label(action), detail, "bank_account"))
    return events


def _review_events(chain: _Chain, h: Household, members: dict[int, Member]) -> list[Event]:
    events = []
    for member in members.values():
        for entry in chain.all_for(member, "member.review"):
            decision = entry.payload.get("decision", "")
            title = _("成员资格审核:%(name)s") % {"name": member.name}
            detail = {"passed": _("通过"), "rejected": _("不通过")}.get(decision, decision)
            if entry.payload.get("overridden"):
                detail += _("(改变系统判定)")
            if entry.payload.get("reason"):
                detail += _(",理由:%(r)s") % {"r": entry.payload["reason"]}
            events.append(_entry_event(entry, title, detail, "review"))
    for entry in chain.all_for(h, "household.approve"):
        p = entry.payload
        detail = _("安置人口 %(n)s 人,应安置面积 %(a)s ㎡") % {
            "n": p.get("population"),
            "a": p.get("entitlement_area"),
        }
        opinion = p.get("opinion") or p.get("comment") or p.get("reason")
        if opinion:
            detail += _(";审批意见:%(o)s") % {"o": opinion}
        events.append(_entry_event(entry, _("安置户审批"), detail, "approval"))
    for entry in chain.all_for(h, "household.send_back"):
        detail = _("理由:%(r)s") % {"r": entry.payload.get("reason", "")}
        events.append(_entry_event(entry, _("退回重新审核"), detail, "send_back"))
    return events


def _publicity_events(
    chain: _Chain, publications: list[Publication], objections: list[Objection]
) -> list[Event]:
    events = []
    for p in publications:
        entry = chain.take(p, "publication.publish")
        events.append(
            Event(
                at=p.published_at or p.created_at,
                kind="publication",
                title=_("列入公示:%(t)s(第 %(v)s 版)") % {"t": p.title, "v": p.version},
                detail=_("公示期 %(s)s 至 %(e)s;内容哈希 %(h)s")
                % {"s": p.starts_on, "e": p.ends_on, "h": p.content_hash},
                actor=person(p.published_by),
                sequence=entry.sequence if entry else None,
            )
        )
        for entry in chain.all_for(p, "publication.withdraw"):
            reason = entry.payload.get("reason", "")
            events.append(
                _entry_event(entry, _("公示撤回:%(t)s") % {"t": p.title}, reason, "publication")
            )
    for o in objections:
        events.append(
            Event(
                at=o.filed_at,
                kind="objection",
                title=_("异议:%(t)s") % {"t": o.publication.title},
                detail=o.text,
                actor=o.contact_name,
            )
        )
        entry = chain.take(o, "objection.answer")
        if o.answered_at is not None:
            verdict = _("异议成立") if o.upheld else _("异议不成立")
            events.append(
                Event(
                    at=o.answered_at,
                    kind="objection_answer",
                    title=_("异议答复:%(v)s") % {"v": verdict},
                    detail=o.answer,
                    actor=person(o.answered_by),
                    sequence=entry.sequence if entry else None,
                )
            )
    return events


def _lottery_events(
    chain: _Chain,
    check_ins: list[CheckIn],
    allocations: list[Allocation],
    sessions: list[LotterySession],
) -> list[Event]:
    events = [
        Event(
            at=c.checked_in_at,
            kind="check_in",
            title=_("摇号签到:%(s)s") % {"s": c.session.code},
            detail=_("到场人 %(who)s(%(how)s)")
            % {"who": c.attendee, "how": c.get_method_display()},
            actor=person(c.checked_in_by),
        )
        for c in check_ins
    ]
    by_session: dict[int, list[Allocation]] = defaultdict(list)
    for a in allocations:
        by_session[a.session_id].append(a)
    for rows in by_session.values():
        first = rows[0]
        codes = "、".join(a.apartment.code for a in rows)
        detail = _("选房序号 %(n)s,房号 %(codes)s") % {"n": first.sequence, "codes": codes}
        if any(a.proxy for a in rows):
            detail += _("(代摇)")
        if not all(a.binding for a in rows):
            detail += _("(演练或已作废,不作数)")
        events.append(
            Event(
                at=first.created_at,
                kind="draw",
                title=_("摇号:%(s)s") % {"s": first.session.code},
                detail=detail,
                actor=person(first.created_by),
            )
        )
    for s in sessions:
        for entry in chain.all_for(s, "lottery.sign_off"):
            events.append(
                _entry_event(entry, _("摇号结果签署:%(s)s") % {"s": s.code}, s.title, "sign_off")
            )
        for entry in chain.all_for(s, "lottery.void"):
            reason = entry.payload.get("reason", "")
            events.append(
                _entry_event(entry, _("摇号场次作废:%(s)s") % {"s": s.code}, reason, "void")
            )
    return events


def _demand_events(demand: Demand | None) -> list[Event]:
    if demand is None:
        return []
    items = "、".join(f"{item.apartment_type.name}×{item.count}" for item in demand.items.all())
    events = [
        Event(
            at=demand.chosen_at,
            kind="choice",
            title=_("户型选择"),
            detail=_("%(items)s,所选面积 %(a)s ㎡(应安置 %(e)s ㎡)")
            % {"items": items, "a": demand.chosen_area, "e": demand.entitlement_area},
            actor=person(demand.chosen_by),
        )
    ]
    if demand.locked_at is not None:
        events.append(
            Event(
                at=demand.locked_at,
                kind="choice_locked",
                title=_("户型选择锁定"),
                actor=person(demand.locked_by),
            )
        )
    return events


def _statement_events(
    chain: _Chain,
    statement: Statement | None,
    approvals: list[StatementApproval],
    send_backs: list[StatementSendBack],
    payments: list[Payment],
) -> list[Event]:
    if statement is None:
        return []
    events = []
    versions = set()
    for entry in chain.all_for(statement, "statement.compute"):
        p = entry.payload
        versions.add(p.get("version"))
        events.append(
            _entry_event(
                entry,
                _("结算单计算(第 %(v)s 次)") % {"v": p.get("version")},
                _("%(outcome)s,应付(+)/应收(−) %(net)s")
                % {"outcome": _outcome(p.get("outcome")), "net": money_text(Decimal(str(p["net"])))}
                if p.get("net") is not None
                else "",
                "statement",
            )
        )
    if statement.version not in versions:
        events.append(
            Event(
                at=statement.computed_at,
                kind="statement",
                title=_("结算单计算(第 %(v)s 次)") % {"v": statement.version},
                detail=_("%(outcome)s,应付(+)/应收(−) %(net)s")
                % {"outcome": statement.get_outcome_display(), "net": money_text(statement.net)},
                actor=person(statement.computed_by) if statement.computed_by else _("系统"),
            )
        )
    for a in approvals:
        entry = chain.take(statement, "statement.approve", round=a.round, step=a.position)
        detail = _("第 %(r)s 轮") % {"r": a.round}
        if a.comment:
            detail += _(";意见:%(c)s") % {"c": a.comment}
        events.append(
            Event(
                at=a.at,
                kind="statement_approval",
                title=_("结算单审批:%(step)s") % {"step": a.label},
                detail=detail,
                actor=person(a.actor),
                sequence=entry.sequence if entry else None,
            )
        )
    for b in send_backs:
        entry = chain.take(statement, "statement.send_back", round=b.round, step=b.position)
        events.append(
            Event(
                at=b.at,
                kind="statement_send_back",
                title=_("结算单退回:%(step)s") % {"step": b.label},
                detail=_("理由:%(r)s") % {"r": b.reason},
                actor=person(b.actor),
                sequence=entry.sequence if entry else None,
            )
        )
    for pay in payments:
        entry = chain.take(pay, "payment.record")
        what = _("付款") if pay.direction == PaymentDirection.PAY else _("收款")
        events.append(
            Event(
                at=pay.recorded_at,
                kind="payment",
                title=_("登记%(what)s %(amount)s")
                % {"what": what, "amount": money_text(pay.amount)},
                detail=pay.reference,
                actor=person(pay.recorded_by),
                sequence=entry.sequence if entry else None,
            )
        )
    if statement.settled_at is not None:
        events.append(
            Event(at=statement.settled_at, kind="settled", title=_("结算单结清"), actor="")
        )
    return events


def _outcome(code: str | None) -> str:
    try:
        return str(Outcome(code).label)
    except ValueError:
        return code or ""


def _handover_events(
    agreement: Agreement | None, handover: Handover | None, defects: list[DefectTicket]
) -> list[Event]:
    events = []
    if agreement is not None:
        signed = agreement.signed_on is not None
        events.append(
            Event(
                at=agreement.recorded_at,
                day=agreement.signed_on,
                kind="agreement",
                title=_("签订安置协议") if signed else _("出具安置协议"),
                detail=_("协议编号 %(n)s") % {"n": agreement.number}
                + (_(",签字人 %(s)s") % {"s": agreement.signer_name} if signed else ""),
                actor=person(agreement.recorded_by),
            )
        )
    if handover is not None:
        events.append(
            Event(
                at=handover.recorded_at,
                day=handover.handed_over_on,
                kind="keys",
                title=_("交房(钥匙 %(n)s 把)") % {"n": handover.keys},
                detail=_("接房人 %(who)s") % {"who": handover.received_by},
                actor=person(handover.handed_over_by),
            )
        )
        if handover.moved_in_on is not None:
            events.append(
                Event(
                    at=max(handover.recorded_at, _start_of(handover.moved_in_on)),
                    day=handover.moved_in_on,
                    kind="moved_in",
                    title=_("入住"),
                )
            )
    for d in defects:
        where = d.apartment.code if d.apartment_id else ""
        events.append(
            Event(
                at=d.reported_at,
                kind="defect",
                title=_("报修:%(where)s %(loc)s") % {"where": where, "loc": d.location},
                detail=d.description,
                actor=_("居民自报") if d.reported_by_resident else person(d.reported_by),
            )
        )
        if d.answered_at is not None:
            events.append(
                Event(
                    at=d.answered_at,
                    kind="defect_answer",
                    title=_("报修答复:%(loc)s") % {"loc": d.location},
                    detail=d.answer,
                    actor=person(d.answered_by),
                )
            )
    return events


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
