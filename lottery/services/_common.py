"""What the lottery services share: the permissions, the session row lock, the event log,
the status checks and the facts the audit trail records."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lottery.models import LotterySession, SessionEvent, SessionStatus
from resettlement.errors import RuleViolation

OPEN_STATUSES = (SessionStatus.COMMITTED, SessionStatus.CONFIRMED, SessionStatus.DRAWING)
OPERATE = "lottery.operate_session"
WITNESS = "lottery.witness_session"
VOID = "lottery.void_session"


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
    if session.waits_for_public_value:
        raise RuleViolation(
            "public_value_missing",
            _("公开随机数尚未录入:须待事先指定的公开随机数公布并由公证员录入后才能摇号。"),
        )
    _require_status(session, SessionStatus.DRAWING, doing=doing)
    if session.paused:
        raise RuleViolation(
            "paused", _("场次 %(code)s 已暂停,请先继续再%(doing)s。") % _code(session, doing)
        )


def _code(session: LotterySession, doing: str = "") -> dict[str, str]:
    return {"code": session.code, "doing": doing}


def _facts(session: LotterySession, **more: Any) -> dict[str, Any]:
    """What the audit trail records of a sign-off or voiding."""
    return {
        "session": session.code,
        "project": session.project.code,
        "rehearsal": session.rehearsal,
        "algorithm": session.algorithm,
        "commitment": session.commitment,
        "public_value": session.public_value,
        "participants_sha256": session.participants_sha256,
        "inventory_sha256": session.inventory_sha256,
        "seed": session.seed,
        "bundle_sha256": session.bundle_sha256,
        "witnesses": session.witnesses,
        **more,
    }
