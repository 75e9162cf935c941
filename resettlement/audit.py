"""Append decisions to the hash-chained audit trail, read its head, verify it.

`audit_record` is called by a service inside the transaction that makes the decision, as
its last write: the entry commits or rolls back with the decision. Appends are serialised —
on PostgreSQL by a transaction-scoped advisory lock taken before the head is read, on SQLite
by the database's single writer lock, which the decision's earlier writes already hold — so
every entry follows the one committed before it and the chain never forks (the unique
constraints on sequence and previous hash are the backstop).

The hash of an entry is SHA-256 over a canonical JSON form of its fields, including the
previous entry's hash; docs/audit.md gives the exact input so anyone can recompute it.

The head is published (`PublishedHead`, shown on /public/audit-heads/) with every decision the
public relies on — a publication published, a lottery signed off, in the same transaction as
its entry — and daily by Celery beat (`audit_head_publish`). `audit_verify` checks the chain
against every published head, and against heads printed or copied outside the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from resettlement.models import GENESIS_HASH, AuditEntry, HeadOccasion, PublishedHead

FORMAT = "rs-audit-v1"
# pg_advisory_xact_lock key of the chain: any constant no other code uses ("rsaudit").
CHAIN_LOCK_KEY = 0x72736175646974
VERIFY_BATCH = 1000


class AuditAction(models.TextChoices):
    """The decisions that are audited. The code is stored (and hashed); the label is shown."""

    MEMBER_REVIEW = "member.review", gettext_lazy("成员资格审核")
    HOUSEHOLD_APPROVE = "household.approve", gettext_lazy("安置户审批")
    HOUSEHOLD_SEND_BACK = "household.send_back", gettext_lazy("退回重新审核")
    HOUSEHOLD_FACTS_CHANGE = "household.facts_change", gettext_lazy("审核后变更安置户信息")
    PUBLICATION_PUBLISH = "publication.publish", gettext_lazy("发布公示")
    PUBLICATION_WITHDRAW = "publication.withdraw", gettext_lazy("撤回公示")
    PUBLICATION_CLOSE = "publication.close", gettext_lazy("公示期满结束")
    OBJECTION_ANSWER = "objection.answer", gettext_lazy("公示异议答复")
    LOTTERY_SIGN_OFF = "lottery.sign_off", gettext_lazy("摇号签署")
    LOTTERY_VOID = "lottery.void", gettext_lazy("摇号场次作废")
    STATEMENT_COMPUTE = "statement.compute", gettext_lazy("结算单计算")
    STATEMENT_APPROVE = "statement.approve", gettext_lazy("结算单审批")
    STATEMENT_SEND_BACK = "statement.send_back", gettext_lazy("结算单退回")
    PAYMENT_RECORD = "payment.record", gettext_lazy("登记收付款")
    # Change control in settlement (issue 13): a statement restarted after the household's
    # facts changed, and a leader's correction after settlement.
    STATEMENT_RESTART = "statement.restart", gettext_lazy("信息变更后结算单重算并重新审批")
    CORRECTION_OPEN = "statement_correction.open", gettext_lazy("开启结算后更正")
    CORRECTION_CLOSE = "statement_correction.close", gettext_lazy("结算后更正关闭")
    # Households' bank accounts (issue 14): recorded by one, confirmed or rejected by a second
    # person; the facts hold the number masked (the chain is read by roles that may not see
    # it). An overdue household's switch to cash (超期改货币补偿).
    BANK_ACCOUNT_RECORD = "bank_account.record", gettext_lazy("录入银行账户")
    BANK_ACCOUNT_CONFIRM = "bank_account.confirm", gettext_lazy("复核确认银行账户")
    BANK_ACCOUNT_REJECT = "bank_account.reject", gettext_lazy("复核退回银行账户")
    OVERDUE_CASH_SWITCH = "overdue.cash_switch", gettext_lazy("超期改货币补偿")
    ACCESS_GRANT = "access.grant", gettext_lazy("授予项目权限")
    ACCESS_REVOKE = "access.revoke", gettext_lazy("收回项目权限")
    PERSONAL_DATA_UNMASK = "personal_data.unmask", gettext_lazy("查看完整个人信息")
    # Configuration: what the rules, prices and chains read (the admin is a configuration
    # tool; its forms call these services).
    PROJECT_CREATE = "project.create", gettext_lazy("新建项目")
    PROJECT_UPDATE = "project.update", gettext_lazy("修改项目安置政策")
    COMMUNITY_CREATE = "community.create", gettext_lazy("新建村/社区")
    COMMUNITY_UPDATE = "community.update", gettext_lazy("修改村/社区")
    VILLAGER_GROUP_CREATE = "villager_group.create", gettext_lazy("新建村民小组")
    VILLAGER_GROUP_UPDATE = "villager_group.update", gettext_lazy("修改村民小组")
    PRICE_RULES_SET = "price_rules.set", gettext_lazy("设置结算价格")
    APPROVAL_CHAIN_SET = "approval_chain.set", gettext_lazy("设置资金审批流程")
    ESTATE_CREATE = "estate.create", gettext_lazy("新建安置小区")
    ESTATE_UPDATE = "estate.update", gettext_lazy("修改安置小区")
    FLOOR_RULE_SET = "floor_rule.set", gettext_lazy("设置楼层档次规则")
    APARTMENT_TYPE_CREATE = "apartment_type.create", gettext_lazy("新建户型")
    APARTMENT_TYPE_UPDATE = "apartment_type.update", gettext_lazy("修改户型参数")
    ALLOCATION_POLICY_UPDATE = "allocation_policy.update", gettext_lazy("设置超面积上限")
    PUBLICITY_PERIOD_SET = "publicity_period.set", gettext_lazy("设置公示期限")
    TEAM_SAVE = "team.save", gettext_lazy("设置工作组")
    RETURN_PLAN_SET = "return_plan.set", gettext_lazy("设置回迁计划")
    SECOND_FACTOR_ENROL = "second_factor.enrol", gettext_lazy("绑定身份验证器")
    SECOND_FACTOR_RESET = "second_factor.reset", gettext_lazy("解除身份验证器绑定")
    LOGIN_UNLOCK = "login.unlock", gettext_lazy("解除登录锁定")
    LEDGER_REFRESH = "ledger.refresh", gettext_lazy("更新超期回迁台账")
    # Transition-subsidy runs (issue 14).
    TRANSITION_POLICY_SET = "transition_policy.set", gettext_lazy("设置过渡安置政策")
    SUBSIDY_RUN_COMPUTE = "subsidy_run.compute", gettext_lazy("计算过渡费发放批次")
    SUBSIDY_RUN_APPROVE = "subsidy_run.approve", gettext_lazy("过渡费发放批次审批")
    SUBSIDY_RUN_SEND_BACK = "subsidy_run.send_back", gettext_lazy("过渡费发放批次退回")
    SUBSIDY_RUN_SEND = "subsidy_run.send", gettext_lazy("生成过渡费代发文件")
    SUBSIDY_RUN_RESULT = "subsidy_run.result", gettext_lazy("导入过渡费银行回盘")
    # House tickets (房票, issue 14; tickets/services/).
    TICKET_POLICY_SET = "ticket_policy.set", gettext_lazy("设置房票政策")
    DEVELOPER_SAVE = "developer.save", gettext_lazy("登记开发企业")
    LISTING_SAVE = "listing.save", gettext_lazy("登记房源")
    TICKET_ISSUE = "ticket.issue", gettext_lazy("签发房票")
    TICKET_PURCHASE = "ticket.purchase", gettext_lazy("房票购房")
    TICKET_TRANSFER = "ticket.transfer", gettext_lazy("房票转让")
    TICKET_BUY_BACK = "ticket.buy_back", gettext_lazy("房票回购")
    TICKET_EXPIRE = "ticket.expire", gettext_lazy("房票到期处理")
    DEVELOPER_SETTLEMENT_OPEN = "developer_settlement.open", gettext_lazy("发起开发企业结算")
    DEVELOPER_SETTLEMENT_APPROVE = "developer_settlement.approve", gettext_lazy("开发企业结算审批")


class AuditHead(NamedTuple):
    """The last entry of the chain: (0, 64 zeros) while it is empty."""

    sequence: int
    hash: str


# -- the hash ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """`value` as JSON types only: Decimal, date, UUID and lazy text become strings; a
    datetime becomes UTC with microseconds. Floats are refused: they do not round-trip
    exactly, and money and areas are Decimal anyway."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str | Promise):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise TypeError(f"naive datetime in audit data: {value!r}")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"audit data keys must be strings, not {key!r}")
            plain[key] = _plain(item)
        return plain
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not allowed in audit data: {value!r}")


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys, no spaces, non-ASCII kept as is (docs/audit.md)."""
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def hash_document(entry: AuditEntry) -> dict[str, Any]:
    """The fields of `entry` that its hash covers, as hashed."""
    return {
        "format": FORMAT,
        "sequence": entry.sequence,
        "recorded_at": entry.recorded_at,
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "payload": entry.payload,
        "previous_hash": entry.previous_hash,
    }


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json(hash_document(entry))).hexdigest()


# -- appending --------------------------------------------------------------------------------


def _lock_chain() -> None:
    """Hold the chain until this transaction ends. SQLite needs nothing: a decision has
    written before it is audited, so its transaction already holds the one writer lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def audit_head() -> AuditHead:
    """The chain's current head, as committed (or as this transaction sees it)."""
    row = AuditEntry.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return AuditHead(*row) if row else AuditHead(0, GENESIS_HASH)


def _label(obj: models.Model) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(obj)[:255]


def audit_record(
    *, actor, action: str, obj: models.Model | None, payload: Mapping[str, Any]
) -> AuditEntry:
    """Append one decision to the chain and return its entry.

    Precondition: called inside the caller's `transaction.atomic`, as the decision's last
    write — on PostgreSQL the chain stays locked until that transaction ends, so nothing
    slow may follow. `actor` is the deciding user, or None for the system (a scheduled task);
    `payload` holds the decision's facts (JSON types, Decimal, dates; no floats).
    """
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the decision's transaction")
    # Stored exactly as hashed, so a JSON round trip through the database changes nothing.
    payload = json.loads(canonical_json(payload))
    person = actor if getattr(actor, "pk", None) is not None else None
    _lock_chain()
    head = audit_head()
    entry = AuditEntry(
        sequence=head.sequence + 1,
        recorded_at=timezone.now(),
        actor=person,
        actor_username=person.get_username() if person else "",
        action=str(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=_label(obj) if obj is not None else "",
        payload=payload,
        previous_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    entry.save(force_insert=True)
    if action in HeadOccasion.values:  # a decision the public relies on: publish the head
        _publish_head(AuditHead(entry.sequence, entry.hash), occasion=action)
    return entry


# -- publishing the head ----------------------------------------------------------------------


def _publish_head(head: AuditHead, *, occasion: str) -> PublishedHead:
    return PublishedHead.objects.create(
        sequence=head.sequence, hash=head.hash, published_at=timezone.now(), occasion=occasion
    )


@transaction.atomic
def audit_head_publish() -> PublishedHead | None:
    """Publish the chain's current head (the daily schedule). Nothing when the chain is
    empty or its head is published already (nothing was appended since). Holds the chain
    lock, so the head cannot move while it is read and published."""
    _lock_chain()
    head = audit_head()
    if head.sequence == 0 or PublishedHead.objects.filter(sequence=head.sequence).exists():
        return None
    return _publish_head(head, occasion=HeadOccasion.DAILY)


# -- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditProblem:
    """The first place the chain is broken. `code`: missing (a gap in the sequence, or a
    known head beyond the chain's end: the tail was cut off), content_changed (the entry's
    fields do not give its hash), link_broken (its previous hash is not the hash of the entry
    before it), differs_from_published / differs_from_printed / differs_from_copy (its hash
    is not the one published on the site, printed on paper, or kept in a copy of the
    published heads), published_head_removed (a head in the copy is no longer, or no longer
    so, among the published heads in the database)."""

    sequence: int
    code: str
    message: str


@dataclass(frozen=True)
class KnownHead:
    """A head known from outside the chain: `source` is "published" (the PublishedHead
    table), "printed" (a PDF, typed in) or "copy" (a saved copy of the published heads);
    `where` says which one, for the message."""

    sequence: int
    hash: str
    source: str
    where: str


@dataclass(frozen=True)
class AuditReport:
    count: int
    head: AuditHead
    problem: AuditProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _entries(batch_size: int) -> Iterator[AuditEntry]:
    """Every entry in sequence order, `batch_size` rows per query (keyset pagination)."""
    after = 0
    while True:
        batch = AuditEntry.objects.filter(sequence__gt=after).order_by("sequence")
        batch = list(batch[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1].sequence


def _check(entry: AuditEntry, expected: int, previous: str) -> AuditProblem | None:
    if entry.sequence != expected:
        return AuditProblem(
            expected,
            "missing",
            _("第 %(a)d 至 %(b)d 条记录缺失(删除或未写入)。")
            % {"a": expected, "b": entry.sequence - 1},
        )
    if entry_hash(entry) != entry.hash:
        return AuditProblem(
            entry.sequence,
            "content_changed",
            _("第 %(n)d 条记录的内容与其哈希不符:记录被改动过。") % {"n": entry.sequence},
        )
    if entry.previous_hash != previous:
        return AuditProblem(
            entry.sequence,
            "link_broken",
            _("第 %(n)d 条记录的“前一条哈希”与第 %(p)d 条记录的哈希不符:链被改接过。")
            % {"n": entry.sequence, "p": entry.sequence - 1},
        )
    return None


def published_heads() -> list[KnownHead]:
    """Every head published on the site, as `audit_verify` checks them."""
    return [
        KnownHead(
            head.sequence,
            head.hash,
            "published",
            _("%(when)s 公布") % {"when": _local_time(head.published_at)},
        )
        for head in PublishedHead.objects.order_by("sequence")
    ]


HEADS_FORMAT = "rs-audit-heads-v1"


def published_heads_document() -> dict[str, Any]:
    """The published heads as the public JSON gives them (/public/audit-heads.json), newest
    first; a saved copy is what `verify_audit --heads FILE` reads back."""
    return {
        "format": HEADS_FORMAT,
        "heads": [
            {
                "sequence": head.sequence,
                "hash": head.hash,
                "published_at": _plain(head.published_at),
                "occasion": head.occasion,
            }
            for head in PublishedHead.objects.order_by("-sequence")
        ],
    }


def heads_from_document(document: Any, *, name: str) -> list[KnownHead]:
    """The heads of a saved copy of `published_heads_document()` (`name`: the file, for the
    messages). Raises ValueError saying what is wrong with it."""
    if not isinstance(document, dict) or document.get("format") != HEADS_FORMAT:
        raise ValueError(
            _("%(f)s 不是公布的审计链头(应为 %(format)s)。") % {"f": name, "format": HEADS_FORMAT}
        )
    heads = []
    for i, item in enumerate(document.get("heads") or [], start=1):
        try:
            sequence, value, when = item["sequence"], item["hash"], item["published_at"]
            valid = (
                isinstance(sequence, int)
                and sequence >= 1
                and isinstance(value, str)
                and len(value) == 64
                and all(c in "0123456789abcdef" for c in value)
            )
        except (KeyError, TypeError):
            valid = False
        if not valid:
            raise ValueError(_("%(f)s 的第 %(i)d 个链头不完整或格式不对。") % {"f": name, "i": i})
        heads.append(
            KnownHead(
                sequence, value, "copy", _("%(f)s 记录的 %(when)s 公布") % {"f": name, "when": when}
            )
        )
    return heads


def _local_time(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _differs(entry: AuditEntry, known: KnownHead) -> AuditProblem:
    if known.source == "printed":
        message = _("第 %(n)d 条记录的哈希与打印的链头不符:该条或其之前的记录被重写过。")
    else:
        message = _(
            "第 %(n)d 条记录的哈希与公布过的链头 %(hash)s(%(where)s)不符:该条或其之前的"
            "记录被重写过,或删除链尾后伪造了新的记录。"
        )
    return AuditProblem(
        entry.sequence,
        f"differs_from_{known.source}",
        message % {"n": entry.sequence, "where": known.where, "hash": known.hash[:16] + "…"},
    )


def _cut_off(known: KnownHead, head: AuditHead) -> AuditProblem:
    if known.source == "printed":
        message = _("打印的链头第 %(n)d 条已不在链中(链尾被删除)。")
    else:
        message = _(
            "链中只有 %(count)d 条记录,但第 %(n)d 条的链头已经公布过(%(where)s):链尾被删除。"
        )
    return AuditProblem(
        known.sequence,
        "missing",
        message % {"n": known.sequence, "count": head.sequence, "where": known.where},
    )


def audit_verify(
    *,
    printed: Mapping[int, str] | None = None,
    copied: Iterable[KnownHead] = (),
    batch_size: int = VERIFY_BATCH,
) -> AuditReport:
    """Recompute the whole chain from entry 1 and report the first broken entry.

    The chain is also checked against every head known from outside it: each must still be
    in the chain with its hash, and the chain must reach the newest. The heads published
    on the site (`PublishedHead`) are always checked; `printed` maps sequence numbers to
    heads printed on paper (a publicity PDF, a notarial record); `copied` are heads from a
    copy of the published heads kept outside the database, each of which must also still be
    among the published heads. Together they catch a chain rewritten from some entry on with
    every hash recomputed, a forged entry appended in place of a published one, and a tail
    cut off — up to the newest head known.
    """
    copied = list(copied)
    removed = _removed_published_heads(copied)
    known: dict[int, list[KnownHead]] = {}
    for head in [
        *published_heads(),
        *(KnownHead(seq, value, "printed", "") for seq, value in (printed or {}).items()),
        *copied,
    ]:
        known.setdefault(head.sequence, []).append(head)
    count, head = 0, AuditHead(0, GENESIS_HASH)
    for entry in _entries(batch_size):
        problem = _check(entry, head.sequence + 1, head.hash)
        if problem is None:
            wrong = [k for k in known.get(entry.sequence, ()) if k.hash != entry.hash]
            problem = _differs(entry, wrong[0]) if wrong else None
        if problem is not None:
            return AuditReport(count, head, problem)
        count += 1
        head = AuditHead(entry.sequence, entry.hash)
    beyond = sorted(seq for seq in known if seq > head.sequence)
    if beyond:
        return AuditReport(count, head, _cut_off(known[beyond[0]][0], head))
    if removed is not None:
        return AuditReport(count, head, removed)
    return AuditReport(count, head, None)


def _removed_published_heads(copied: list[KnownHead]) -> AuditProblem | None:
    """The first head of the copy that the database no longer publishes as it was."""
    published = {head.sequence: head.hash for head in PublishedHead.objects.all()}
    for known in sorted(copied, key=lambda k: k.sequence):
        if published.get(known.sequence) != known.hash:
            return AuditProblem(
                known.sequence,
                "published_head_removed",
                _("第 %(n)d 条的链头(%(where)s)已不在数据库的公布记录中,或已被改动。")
                % {"n": known.sequence, "where": known.where},
            )
    return None
