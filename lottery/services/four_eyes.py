"""Who may take which part in a session: the operator, the witnessing notary, the voider,
and the four-eyes rule between the first two (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lottery.models import Allocation, CheckIn, LotterySession, Reveal
from lottery.services._common import OPEN_STATUSES, OPERATE, VOID, WITNESS
from resettlement.errors import NotAllowed
from resettlement.roles import require_permission


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
