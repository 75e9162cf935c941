"""The notary closes a session: the bundle built and checked, the secret revealed, binding
allocations marking their apartments allocated."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import Apartment, ApartmentStatus
from lottery import algorithm, verification
from lottery.models import (
    Allocation,
    LotterySession,
    SessionEventKind,
    SessionMode,
    SessionStatus,
)
from lottery.selectors.draws import allocation_rows, call_order
from lottery.services._common import WITNESS, _event, _facts, _lock, _require_status
from lottery.services.draws import _next_position
from lottery.services.four_eyes import _require_witness
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission


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
    order = call_order(session)
    revealed = _next_position(session) - 1
    if revealed < len(order):
        raise RuleViolation(
            "draws_remaining",
            _("还有 %(n)d 个摇号未完成(共 %(total)d 个),不能签署。")
            % {"n": len(order) - revealed, "total": len(order)},
        )
    if session.mode == SessionMode.CHOOSE:
        picked = {row["household"] for row in allocation_rows(session)}
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
    # The audit chain seals the Merkle root of the allocation rows too (household receipts,
    # docs/lottery.md §17).
    audit_record(
        actor=actor,
        action="lottery.sign_off",
        obj=session,
        payload=_facts(session, merkle_root=session.bundle.get("merkle_root")),
    )
    return session
